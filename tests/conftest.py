"""Shared fixtures: tiny models built on the spot, the demo config in a scratch folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Tests never reach a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

pytest_plugins = [
    "tests.fakebotapi.fixtures", "tests.feedserver.fixtures", "tests.botharness.fixtures", "tests.pg", "tests.store",
]

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "parler"


@pytest.fixture(scope="session")
def tiny_causal_dir(tmp_path_factory) -> Path:
    from tests.tinymodels import build_tiny_causal

    return build_tiny_causal(tmp_path_factory.mktemp("tiny-causal"))


@pytest.fixture(scope="session")
def tiny_embedder(tmp_path_factory):
    """A tiny random sentence-transformers model, loaded as the bot loads one."""
    from summarizer.embeddings import load_embedder
    from tests.tinymodels import build_tiny_sentence_transformer

    return load_embedder("sentence-transformers", name=str(build_tiny_sentence_transformer(tmp_path_factory.mktemp("st"))))


@pytest.fixture
def demo_config(tmp_path, tiny_causal_dir) -> Path:
    """config/demo.yaml with its sample feeds, a scratch database and the tiny model."""
    shutil.copytree(REPO / "config" / "demo", tmp_path / "demo")
    text = (REPO / "config" / "demo.yaml").read_text(encoding="utf-8")
    text = text.replace("sqlite+aiosqlite:///data/demo.db", f"sqlite+aiosqlite:///{tmp_path}/demo.db")
    text = text.replace("  name: null", f"  name: {tiny_causal_dir}")
    assert str(tiny_causal_dir) in text and str(tmp_path) in text, "demo.yaml layout changed"
    config = tmp_path / "demo.yaml"
    config.write_text(text, encoding="utf-8")
    return config
