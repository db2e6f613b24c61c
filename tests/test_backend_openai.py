"""OpenAIBackend against a fake OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from summarizer.backends.openai import OpenAIBackend
from summarizer.backends.pipeline import Summarizer, max_new_tokens
from summarizer.backends.prompts import chat_messages, completion_prompt
from summarizer.text import clean_text
from summarizer.types import BackendUnavailableError, Summary, SummaryRequest

ANSWER = "The city council approved the new budget on Tuesday after a long debate."
ARTICLE = (
    "The city council approved the new budget on Tuesday after a long debate. "
    "The plan raises spending on schools and public transport, while the fees for parking "
    "in the old town will go up next spring. The opposition said the council had ignored "
    "the concerns of small shops."
)


class FakeOpenAIServer:
    """Lists one model and answers every chat completion with ANSWER, unless told to fail first."""

    def __init__(self) -> None:
        self.models = ["tiny-chat"]
        self.chat_requests: list[dict] = []
        self.completion_requests: list[dict] = []
        self.model_listings = 0
        self.headers: list[dict[str, str]] = []
        # Responses served before the normal answer, one per request.
        self.failures: list[web.Response] = []
        self.delay = 0.0
        self.hang = False
        self.in_flight = 0
        self.max_in_flight = 0
        self._released = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def __aenter__(self) -> FakeOpenAIServer:
        app = web.Application()
        app.router.add_get("/v1/models", self._list_models)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/completions", self._complete)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._released.set()  # let hanging handlers finish so the server can stop
        assert self._runner is not None
        await self._runner.cleanup()

    async def _list_models(self, request: web.Request) -> web.Response:
        self.model_listings += 1
        listing = [{"id": name, "object": "model"} for name in self.models]
        return web.json_response({"object": "list", "data": listing})

    async def _chat(self, request: web.Request) -> web.Response:
        self.headers.append(dict(request.headers))
        self.chat_requests.append(await request.json())
        if self.failures:
            return self.failures.pop(0)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.hang:
                await self._released.wait()
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        message = {"role": "assistant", "content": ANSWER}
        choice = {"index": 0, "message": message, "finish_reason": "stop"}
        return web.json_response({"object": "chat.completion", "choices": [choice]})

    async def _complete(self, request: web.Request) -> web.Response:
        self.completion_requests.append(await request.json())
        choice = {"index": 0, "text": f" {ANSWER}", "finish_reason": "stop"}
        return web.json_response({"object": "text_completion", "choices": [choice]})


@pytest.fixture
async def server() -> AsyncIterator[FakeOpenAIServer]:
    async with FakeOpenAIServer() as running:
        yield running


def backend_for(url: str, **options: object) -> OpenAIBackend:
    settings = {"timeout": 5.0, "backoff": 0.01, **options}
    return OpenAIBackend(base_url=url, **settings)


async def summarize_once(backend: OpenAIBackend, request: SummaryRequest) -> Summary:
    try:
        return await Summarizer(backend).summarize_one(request)
    finally:
        await backend.aclose()


async def test_summary_comes_back_through_the_shared_postprocess(server: FakeOpenAIServer) -> None:
    backend = backend_for(server.base_url, model="tiny-chat", api_key="secret")
    summary = await summarize_once(backend, SummaryRequest.of(ARTICLE))
    assert summary.summary == ANSWER
    assert (summary.language, summary.source_language, summary.model) == ("en", "en", "tiny-chat")
    assert summary.ungrounded == [] and summary.flags == []
    (request,) = server.chat_requests
    assert request["model"] == "tiny-chat"
    assert request["messages"] == chat_messages(clean_text(ARTICLE), "en", 400)
    assert request["max_tokens"] == max_new_tokens(400)
    assert server.headers[0]["Authorization"] == "Bearer secret"
    assert server.model_listings == 0


async def test_a_base_model_gets_the_completion_cue_and_stops_at_its_paragraph(server: FakeOpenAIServer) -> None:
    backend = backend_for(server.base_url, model="tiny-base", prompt_style="completion")
    summary = await summarize_once(backend, SummaryRequest.of(ARTICLE))
    assert summary.summary == ANSWER
    assert server.chat_requests == []
    (request,) = server.completion_requests
    assert request["prompt"] == completion_prompt(clean_text(ARTICLE), "en", 0)
    assert request["stop"] == ["\n\n"]
    assert (request["model"], request["max_tokens"]) == ("tiny-base", max_new_tokens(400))


async def test_an_answer_in_the_wrong_language_is_flagged(server: FakeOpenAIServer) -> None:
    backend = backend_for(server.base_url, model="tiny-chat")
    summary = await summarize_once(backend, SummaryRequest.of(ARTICLE, language="fr"))
    assert "Summarize the news below in French" in server.chat_requests[0]["messages"][0]["content"]
    assert (summary.language, summary.flags) == ("en", ["language_mismatch"])


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/"])
async def test_model_is_asked_for_once_when_not_configured(server: FakeOpenAIServer, suffix: str) -> None:
    backend = backend_for(server.base_url + suffix)
    try:
        prompt = backend.prompt(ARTICLE, "en", 400, 0)
        answers = await asyncio.gather(*(backend.generate(prompt, 64) for _ in range(5)))
    finally:
        await backend.aclose()
    assert answers == [ANSWER] * 5
    assert server.model_listings == 1
    assert {request["model"] for request in server.chat_requests} == {"tiny-chat"}
    assert backend.model_name == "tiny-chat"


async def test_a_server_without_models_is_reported_and_asked_again_later(server: FakeOpenAIServer) -> None:
    server.models = []
    backend = backend_for(server.base_url)
    prompt = backend.prompt(ARTICLE, "en", 400, 0)
    try:
        requests = (backend.generate(prompt, 64) for _ in range(3))
        outcomes = await asyncio.gather(*requests, return_exceptions=True)
        server.models = ["late-model"]
        answer = await backend.generate(prompt, 64)
    finally:
        await backend.aclose()
    assert all(isinstance(outcome, BackendUnavailableError) for outcome in outcomes)
    assert re.fullmatch(r"inference server at http://127\.0\.0\.1:\d+ lists no models", str(outcomes[0]))
    assert server.model_listings == 2
    assert answer == ANSWER and server.chat_requests[0]["model"] == "late-model"


async def test_a_server_error_is_retried(server: FakeOpenAIServer) -> None:
    server.failures = [web.Response(status=500, text="model is loading")]
    backend = backend_for(server.base_url, model="tiny-chat")
    try:
        answer = await backend.generate(backend.prompt(ARTICLE, "en", 400, 0), 64)
    finally:
        await backend.aclose()
    assert answer == ANSWER
    assert len(server.chat_requests) == 2


async def test_persistent_server_errors_give_up_with_the_status_and_body(server: FakeOpenAIServer) -> None:
    server.failures = [web.Response(status=503, text="  overloaded,\n try later  ") for _ in range(3)]
    backend = backend_for(server.base_url, model="tiny-chat", attempts=3)
    try:
        with pytest.raises(BackendUnavailableError, match=r"answered HTTP 503: overloaded, try later$"):
            await backend.generate(backend.prompt(ARTICLE, "en", 400, 0), 64)
    finally:
        await backend.aclose()
    assert len(server.chat_requests) == 3


async def test_a_client_error_is_not_retried(server: FakeOpenAIServer) -> None:
    server.failures = [web.Response(status=400, text="prompt too long")]
    backend = backend_for(server.base_url, model="tiny-chat")
    try:
        with pytest.raises(BackendUnavailableError, match="answered HTTP 400: prompt too long"):
            await backend.generate(backend.prompt(ARTICLE, "en", 400, 0), 64)
    finally:
        await backend.aclose()
    assert len(server.chat_requests) == 1


async def test_429_waits_as_long_as_retry_after_says(server: FakeOpenAIServer) -> None:
    server.failures = [web.Response(status=429, headers={"Retry-After": "0.5"})]
    backend = backend_for(server.base_url, model="tiny-chat")
    started = time.monotonic()
    try:
        answer = await backend.generate(backend.prompt(ARTICLE, "en", 400, 0), 64)
    finally:
        await backend.aclose()
    assert answer == ANSWER
    assert 0.5 <= time.monotonic() - started < 2.0


async def test_retry_after_is_capped(server: FakeOpenAIServer) -> None:
    server.failures = [web.Response(status=429, headers={"Retry-After": "3600"})]
    backend = backend_for(server.base_url, model="tiny-chat", max_retry_wait=0.1)
    started = time.monotonic()
    try:
        answer = await backend.generate(backend.prompt(ARTICLE, "en", 400, 0), 64)
    finally:
        await backend.aclose()
    assert answer == ANSWER
    assert time.monotonic() - started < 1.0


async def test_a_hanging_server_times_out(server: FakeOpenAIServer) -> None:
    server.hang = True
    backend = backend_for(server.base_url, model="tiny-chat", timeout=0.3, attempts=2)
    started = time.monotonic()
    try:
        with pytest.raises(BackendUnavailableError) as raised:
            await backend.generate(backend.prompt(ARTICLE, "en", 400, 0), 64)
    finally:
        await backend.aclose()
    assert str(raised.value) == f"inference server at {server.base_url} did not answer within 0.3 s"
    assert 0.6 <= time.monotonic() - started < 2.0
    assert len(server.chat_requests) == 2


async def test_a_closed_port_is_reported_as_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = backend_for(f"http://127.0.0.1:{port}/v1", model="tiny-chat", attempts=2)
    started = time.monotonic()
    try:
        with pytest.raises(BackendUnavailableError) as raised:
            await backend.generate(backend.prompt(ARTICLE, "en", 400, 0), 64)
    finally:
        await backend.aclose()
    assert str(raised.value).startswith(f"inference server at http://127.0.0.1:{port} is not reachable: ")
    assert time.monotonic() - started < 2.0


async def test_requests_in_flight_are_bounded(server: FakeOpenAIServer) -> None:
    server.delay = 0.05
    backend = backend_for(server.base_url, model="tiny-chat", max_in_flight=4)
    try:
        prompt = backend.prompt(ARTICLE, "en", 400, 0)
        answers = await asyncio.gather(*(backend.generate(prompt, 64) for _ in range(12)))
    finally:
        await backend.aclose()
    assert answers == [ANSWER] * 12
    assert server.max_in_flight == 4


def test_token_estimate_errs_on_the_long_side() -> None:
    backend = OpenAIBackend(base_url="http://127.0.0.1:1")
    assert backend.count_tokens("") == 0
    assert backend.count_tokens("abcd") == 2
    # English text takes about one token per 4 characters in current vocabularies.
    assert backend.count_tokens(ARTICLE) > len(ARTICLE) / 4
