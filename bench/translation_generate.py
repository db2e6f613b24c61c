"""Sentences for the translation check's labelled set, translated by the offline model.

Usage: .venv/bin/python bench/translation_generate.py --out FILE [--model NAME_OR_GGUF] [--per-pair N]

Takes headlines and opening sentences of the sample corpus (../shared/corpus/parler: ru, fr, ar,
cs) and of the demo feeds (cs, de, es, fr), translates each into English and some into Russian
and French with the offline model (or --model) as the bot does (summarizer.translation), and writes one JSON
line per sentence: the languages, the source, the model's rendering, the check's reasons and
"faithful": null, for a reader to label (tests/data/translations.jsonl holds the labelled lines).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import demo_entries  # noqa: E402
from config.model_settings import TRANSLATION_THRESHOLD  # noqa: E402
from summarizer import PromptedModel, load_backend  # noqa: E402
from summarizer.embeddings import load_embedder  # noqa: E402
from summarizer.text import clean_text, split_sentences  # noqa: E402
from summarizer.translation.check import TranslationCheck  # noqa: E402
from summarizer.translation.translator import Translator  # noqa: E402

PARLER = ROOT.parent / "shared" / "corpus" / "parler"
SENTENCES_PER_TEXT = 4
# Which channel languages each source language is translated into.
TARGETS = {"ru": ["en", "fr"], "fr": ["en", "ru"], "ar": ["en", "fr"], "cs": ["en", "ru"], "de": ["en", "fr"],
           "es": ["en", "fr"]}


def opening(text: str, count: int) -> list[str]:
    return [s for s in split_sentences(clean_text(text)) if 30 <= len(s) <= 300][:count]


def sources() -> list[tuple[str, str]]:
    """(language, sentence) pairs: the corpus's openings, the demo's headlines and openings."""
    manifest = json.loads((PARLER / "manifest.json").read_text())
    found = [
        (article["language"], sentence)
        for article in manifest["articles"]
        for sentence in opening((PARLER / article["file"]).read_text(), SENTENCES_PER_TEXT)
    ]
    for language, title, text in demo_entries():
        if language != "en":
            found += [(language, title), *((language, s) for s in opening(text, 2))]
    return list(dict.fromkeys(found))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--model", help="hub id, directory or .gguf file (default: the offline model)")
    parser.add_argument("--per-pair", type=int, help="only the first N sentences of each language pair")
    args = parser.parse_args()
    backend = await asyncio.to_thread(load_backend, args.model)
    embedder = await asyncio.to_thread(load_embedder, "offline")
    translator = Translator(PromptedModel(backend), TranslationCheck(embedder, TRANSLATION_THRESHOLD))
    by_pair: dict[tuple[str, str], list[str]] = {}
    for language, sentence in sources():
        for target in TARGETS.get(language, ["en"]):
            by_pair.setdefault((language, target), []).append(sentence)
    with args.out.open("w", encoding="utf-8") as out:
        for (language, target), sentences in by_pair.items():
            sentences = sentences[: args.per_pair]
            for translation in await translator.translate(sentences, language, target):
                out.write(json.dumps({
                    "source_language": language, "target_language": target, "source": translation.source,
                    "translation": translation.rendering, "reasons": list(translation.reasons), "faithful": None,
                }, ensure_ascii=False) + "\n")
                out.flush()
            print(f"{language}->{target}: {len(sentences)} sentences", flush=True)
    await backend.aclose()


if __name__ == "__main__":
    asyncio.run(main())
