"""The shared summarisation pipeline, on a tiny random causal model (plumbing, not quality)."""

import asyncio

import pytest

from summarizer.backends.causal import CausalLMBackend
from summarizer.backends.model_files import ModelSource
from summarizer.backends.pipeline import Summarizer, clean_output
from summarizer.backends.prompts import COMPLETION_VARIANTS
from summarizer.types import SummaryRequest, UnsupportedInputError

ENGLISH = (
    "The city council approved the new budget on Tuesday after a long debate. "
    "Prices for electricity rose by 12 percent in January, the statistics office said. "
)


@pytest.fixture
async def backend(tiny_causal_dir):
    backend = CausalLMBackend(ModelSource(spec="tiny", path=str(tiny_causal_dir)))
    yield backend
    await backend.aclose()


async def test_summary_is_within_max_chars_and_reports_languages(backend):
    [summary] = await Summarizer(backend).summarize([SummaryRequest.of(ENGLISH * 2, "ru", max_chars=120)])
    assert len(summary.summary) <= 120
    assert summary.source_language == "en"
    assert summary.model == "tiny"
    # A random model rarely writes Russian: the result must say so instead of pretending.
    assert summary.language == "ru" or "language_mismatch" in summary.flags or "degenerate_output" in summary.flags


async def test_long_input_is_map_reduced_not_truncated(backend, monkeypatch):
    backend.chunk_tokens = 64
    prompts: list[str] = []
    generate = backend.generate

    async def recording(prompt, max_new_tokens):
        prompts.append(prompt)
        return await generate(prompt, max_new_tokens)

    monkeypatch.setattr(backend, "generate", recording)
    text = ENGLISH * 12
    await Summarizer(backend).summarize([SummaryRequest.of(text, "en", max_chars=100)])
    assert len(prompts) > 3
    # Every sentence of the input reached the model once, in some map prompt.
    assert sum(p.count("approved the new budget") for p in prompts) == 12


async def test_concurrent_requests_are_batched(backend, monkeypatch):
    sizes: list[int] = []
    run = backend.generate_batch

    def recording(jobs):
        sizes.append(len(jobs))
        return run(jobs)

    monkeypatch.setattr(backend._worker, "_run_batch", recording)
    requests = [SummaryRequest.of(ENGLISH, "en", max_chars=80) for _ in range(6)]
    summarizer = Summarizer(backend)
    await asyncio.gather(*(summarizer.summarize_one(r) for r in requests))
    assert max(sizes) > 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   \n\t  ", "empty"),
        ("12 345 678 90 12 13 14 15 16 17 18 19 20 21 22 23", "too little prose"),
        ("<div><p></p><br/></div>" * 20, "too little prose"),
        ("zxq vbnm qwrt plkj hgfd " * 3, "could not be recognised"),
    ],
)
async def test_unusable_input_gets_a_clear_error(backend, text, message):
    with pytest.raises(UnsupportedInputError, match=message):
        await Summarizer(backend).summarize_one(SummaryRequest.of(text, "en"))


async def test_unknown_target_language_is_refused(backend):
    with pytest.raises(UnsupportedInputError, match="unsupported summary language"):
        await Summarizer(backend).summarize_one(SummaryRequest.of(ENGLISH, "xx"))


def test_each_row_stops_at_a_blank_line_or_past_its_character_budget(backend):
    from summarizer.backends.causal import _AnswerComplete

    tokenizer = backend.tokenizer
    prompt = tokenizer(["The council met."], return_tensors="pt").input_ids
    answers = ["The budget passed", "The budget passed.\n\nThe council", "The budget passed on Tuesday"]
    answer_ids = tokenizer(answers, add_special_tokens=False, padding=True, return_tensors="pt").input_ids
    rows = prompt.repeat(len(answers), 1)
    import torch

    input_ids = torch.cat([rows, answer_ids], dim=1)
    stop = _AnswerComplete(tokenizer, prompt.shape[1], max_chars=[40, 40, 20])
    assert stop(input_ids, None).tolist() == [False, True, True]


def test_prompt_style_from_the_config_overrides_the_tokenizer(tiny_causal_dir):
    from summarizer.types import ModelLoadError

    source = ModelSource(spec="tiny", path=str(tiny_causal_dir))
    with pytest.raises(ModelLoadError, match="no chat template"):
        CausalLMBackend(source, prompt_style="chat")
    backend = CausalLMBackend(source, prompt_style="completion")
    assert (backend.chat, backend.prompt_variants) == (False, COMPLETION_VARIANTS)
    assert backend.prompt("Some news.", "en", 200, 1).endswith("TL;DR in English:")


def test_model_threads_from_the_config_reach_torch(tiny_causal_dir):
    import torch

    from summarizer.backends.loader import load_backend

    before = torch.get_num_threads()
    try:
        load_backend(str(tiny_causal_dir), threads=before + 1)
        assert torch.get_num_threads() == before + 1
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize(
    ("text", "degenerate"),
    [
        ("The council approved the budget after a long debate.", False),
        ("Shares rose 5% to 120 euros on Monday, then fell 7% to 112 euros by Friday.", False),
        ("", True),
        ("Too short.", True),
        ("the budget the budget the budget the budget the budget the budget", True),
        ("Share with friends [2] 1. Description 2. Description 3. Description 4. Description 5. Description", True),
    ],
    ids=["prose", "prose with numbers", "empty", "too short", "loop", "numbered loop"],
)
def test_degenerate_output_is_recognised(text, degenerate):
    from summarizer.backends.policy import is_degenerate

    assert is_degenerate(text) is degenerate


@pytest.mark.parametrize("raw", [
    "Article: The council approved the budget.",
    "[1] Summary: The council approved the budget.",
    "\n\n* Article: The council approved the budget.\n\nArticle: something else",
])
def test_a_prompt_label_the_model_repeats_is_not_part_of_the_summary(raw):
    assert clean_output(raw, 400) == "The council approved the budget."


def test_a_headline_the_model_copies_twice_is_said_once():
    raw = ("Solaire : le chimiste Arkalis s'alimentera au soleil Solaire : le chimiste Arkalis s'alimentera au soleil "
           "Le groupe a signé un contrat de quinze ans.")
    assert clean_output(raw, 400) == (
        "Solaire : le chimiste Arkalis s'alimentera au soleil Le groupe a signé un contrat de quinze ans."
    )
