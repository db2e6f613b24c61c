"""Seq2SeqBackend plumbing on tiny random mT5 models (their summaries are garbage by design)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from summarizer.backends.loader import load_backend
from summarizer.backends.model_files import resolve
from summarizer.backends.pipeline import Summarizer
from summarizer.backends.prompts import join_sources
from summarizer.backends.seq2seq import (
    CROSSSUM_LANGUAGES,
    MAX_INPUT_TOKENS,
    Seq2SeqBackend,
    Seq2SeqPrompt,
    language_controls,
)
from summarizer.types import ModelLoadError, SummaryRequest
from tests.tinymodels import CORPUS, SEQ2SEQ_MAX_INPUT, build_tiny_seq2seq

ARTICLE = " ".join(CORPUS[:2])  # one chunk
# Several chunks of the tiny model's 128-token input, few enough for their summaries to fit one.
LONG_ARTICLE = " ".join(CORPUS[:8])


@pytest.fixture(scope="module")
def xlsum_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_seq2seq(tmp_path_factory.mktemp("xlsum"))


@pytest.fixture(scope="module")
def crosssum_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_seq2seq(tmp_path_factory.mktemp("crosssum"), crosssum=True)


@pytest.fixture
async def xlsum(xlsum_dir: Path) -> AsyncIterator[Seq2SeqBackend]:
    backend = Seq2SeqBackend(resolve(str(xlsum_dir)), threads=1)
    yield backend
    await backend.aclose()


@pytest.fixture
async def crosssum(crosssum_dir: Path) -> AsyncIterator[Seq2SeqBackend]:
    backend = Seq2SeqBackend(resolve(str(crosssum_dir)), threads=1)
    yield backend
    await backend.aclose()


def record_model_calls(backend: Seq2SeqBackend, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Each model.generate call's arguments, plus its output under "output"."""
    calls: list[dict] = []
    generate = backend.model.generate

    def recording(**kwargs):
        output = generate(**kwargs)
        calls.append({**kwargs, "output": output})
        return output

    monkeypatch.setattr(backend.model, "generate", recording)
    return calls


def language_token_id(backend: Seq2SeqBackend, code: str) -> int:
    langid_map = backend.model.config.task_specific_params["langid_map"]
    return backend.tokenizer.convert_tokens_to_ids(langid_map[CROSSSUM_LANGUAGES[code]][1])


async def test_concurrent_requests_share_forward_passes(
    xlsum: Seq2SeqBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = record_model_calls(xlsum, monkeypatch)
    prompts = [xlsum.prompt(sentence, "en", 400, 0) for sentence in CORPUS[:8]]
    answers = await asyncio.gather(*(xlsum.generate(prompt, 24) for prompt in prompts))
    assert len(answers) == 8 and all(isinstance(answer, str) for answer in answers)
    assert len(calls) < 8
    assert sum(call["input_ids"].shape[0] for call in calls) == 8
    assert all(call["num_beams"] == 4 and call["no_repeat_ngram_size"] == 3 for call in calls)


async def test_summarize_runs_the_shared_pipeline(xlsum: Seq2SeqBackend, xlsum_dir: Path) -> None:
    summary = await Summarizer(xlsum).summarize_one(SummaryRequest.of(ARTICLE, max_chars=120))
    assert isinstance(summary.summary, str) and len(summary.summary) <= 120
    assert (summary.source_language, summary.model) == ("en", str(xlsum_dir))


async def test_prompt_is_the_plain_text_on_one_line(xlsum: Seq2SeqBackend) -> None:
    prompt = xlsum.prompt("First line.\n\nSecond  line.", "ru", 400, 0)
    assert prompt == Seq2SeqPrompt("First line. Second line.", "ru")


async def test_xlsum_style_model_is_never_steered(
    xlsum: Seq2SeqBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # It can only write in the source language; the shared language check reports a mismatch.
    calls = record_model_calls(xlsum, monkeypatch)
    await xlsum.generate(xlsum.prompt(ARTICLE, "ru", 400, 0), 16)
    assert xlsum.language_controls == {}
    assert "decoder_start_token_id" not in calls[0] and "forced_bos_token_id" not in calls[0]


async def test_crosssum_starts_the_decoder_from_the_target_language_token(
    crosssum: Seq2SeqBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = record_model_calls(crosssum, monkeypatch)
    answer = await crosssum.generate(crosssum.prompt(ARTICLE, "ru", 400, 0), 16)
    russian = language_token_id(crosssum, "ru")
    assert russian != crosssum.tokenizer.unk_token_id
    assert calls[0]["decoder_start_token_id"] == russian
    assert (calls[0]["output"][:, 0] == russian).all()
    assert isinstance(answer, str)


async def test_crosssum_batch_with_several_languages(
    crosssum: Seq2SeqBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = record_model_calls(crosssum, monkeypatch)
    languages = ["en", "ru", "en", "ar", "ru", "de"]  # CrossSum has no German token
    answers = await asyncio.gather(
        *(crosssum.generate(crosssum.prompt(ARTICLE, language, 400, 0), 16) for language in languages)
    )
    assert len(answers) == len(languages)
    rows_by_start = {call.get("decoder_start_token_id"): call["input_ids"].shape[0] for call in calls}
    assert rows_by_start == {
        language_token_id(crosssum, "en"): 2,
        language_token_id(crosssum, "ru"): 2,
        language_token_id(crosssum, "ar"): 1,
        None: 1,
    }


def test_language_controls_of_crosssum_and_mbart() -> None:
    vocab = {"▁<extra_id_1>": 7, "▁<extra_id_2>": 8}
    tokenizer = SimpleNamespace(convert_tokens_to_ids=lambda token: vocab.get(token, 2), unk_token_id=2)
    crosssum = SimpleNamespace(
        task_specific_params={
            "langid_map": {
                "english": [1, "▁<extra_id_1>"],
                "russian": [2, "▁<extra_id_2>"],
                "pidgin": [3, "▁<extra_id_3>"],  # no ISO 639-1 code
                "french": [4, "▁<extra_id_4>"],  # not in this tokenizer
            }
        }
    )
    assert language_controls(crosssum, tokenizer) == {
        "en": ("decoder_start_token_id", 7),
        "ru": ("decoder_start_token_id", 8),
    }
    mbart_tokenizer = SimpleNamespace(lang_code_to_id={"en_XX": 250004, "ru_RU": 250021, "zh_CN": 250025})
    assert language_controls(SimpleNamespace(), mbart_tokenizer) == {
        "en": ("forced_bos_token_id", 250004),
        "ru": ("forced_bos_token_id", 250021),
        "zh": ("forced_bos_token_id", 250025),
    }


async def test_input_limit_comes_from_the_model(xlsum: Seq2SeqBackend) -> None:
    assert SEQ2SEQ_MAX_INPUT < MAX_INPUT_TOKENS
    assert xlsum.max_input_tokens == SEQ2SEQ_MAX_INPUT
    assert 0 < xlsum.chunk_tokens < SEQ2SEQ_MAX_INPUT


async def test_long_input_is_truncated_to_the_input_limit(
    xlsum: Seq2SeqBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = record_model_calls(xlsum, monkeypatch)
    await xlsum.generate(xlsum.prompt(LONG_ARTICLE, "en", 400, 0), 8)
    assert calls[0]["input_ids"].shape[1] == xlsum.max_input_tokens


async def test_long_input_is_chunked_by_the_model_tokenizer_and_map_reduced(
    xlsum: Seq2SeqBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    chunks = Summarizer(xlsum).chunks([LONG_ARTICLE])
    assert len(chunks) >= 2
    for chunk in chunks:
        tokens = len(xlsum.tokenizer(chunk, add_special_tokens=False).input_ids)
        assert xlsum.count_tokens(chunk) == tokens <= xlsum.chunk_tokens

    prompts: list[Seq2SeqPrompt] = []
    generate = xlsum.generate
    partial = "The council approved the budget."

    async def recording(prompt: Seq2SeqPrompt, max_new_tokens: int) -> str:
        prompts.append(prompt)
        await generate(prompt, 8)
        # A fixed short answer instead of the garbage: one reduce round, and a known final input.
        return partial

    monkeypatch.setattr(xlsum, "generate", recording)
    summary = await Summarizer(xlsum).summarize_one(SummaryRequest.of(LONG_ARTICLE))
    final = xlsum.prompt(join_sources([partial] * len(chunks)), "en", 400, 0)
    assert prompts == [*(Seq2SeqPrompt(chunk, "en") for chunk in chunks), final]
    assert summary.summary == partial


async def test_loader_picks_this_backend_for_encoder_decoder_models(xlsum_dir: Path) -> None:
    backend = load_backend(str(xlsum_dir), max_batch=2)
    try:
        assert isinstance(backend, Seq2SeqBackend)
        assert backend.backend_name == "transformers-seq2seq"
    finally:
        await backend.aclose()


def test_directory_without_config_is_not_a_model(tmp_path: Path) -> None:
    (tmp_path / "model.safetensors").write_bytes(b"\0" * 16)
    with pytest.raises(ModelLoadError, match="no config.json"):
        resolve(str(tmp_path))


@pytest.mark.parametrize(
    ("damaged_file", "content"),
    [("model.safetensors", b"not safetensors"), ("tokenizer.json", b"{}"), ("model.safetensors", None)],
    ids=["corrupt-weights", "corrupt-tokenizer", "missing-weights"],
)
def test_damaged_model_directory_fails_to_load(
    xlsum_dir: Path, tmp_path: Path, damaged_file: str, content: bytes | None
) -> None:
    model_dir = tmp_path / "model"
    shutil.copytree(xlsum_dir, model_dir)
    if content is None:
        (model_dir / damaged_file).unlink()
    else:
        (model_dir / damaged_file).write_bytes(content)
    with pytest.raises(ModelLoadError, match=f"^cannot load model {model_dir}: "):
        Seq2SeqBackend(resolve(str(model_dir)))
