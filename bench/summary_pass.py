"""How often a story's summary passes the trust gate in the channel's language, and what the
wording check and the support bar across languages add to the gate.

Usage: .venv/bin/python bench/summary_pass.py [--model NAME_OR_GGUF] [--show] [--json]

Stories: the sample corpus (../shared/corpus/parler: one story in ru, fr, ar, cs) for English,
Russian and French channels, and each demo entry as a story of its own for English and French
channels. Each is summarised as the bot does (the offline model unless --model) under the gate
without the wording check (names and numbers, support by meaning at config.settings'
SUPPORT_THRESHOLD for every sentence); then the door check of the default gate (with
trust.new_words' wording check and trust.support_across_languages' bar) judges the result again. A
summary "passes" when the gate lets it through in the channel's language and it is not a source's
opening copied (which the digest posts as a lead). The report gives passes over stories, across
languages and within one, how many of them the wording check and the bar across languages
withhold, and the seconds spent; --show prints each summary with its verdicts, for reading: passing
the gate is not the same as being faithful.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import demo_entries  # noqa: E402
from config.model_settings import SUPPORT_THRESHOLD, TrustSettings  # noqa: E402
from summarizer import EmbeddingSupport, Gate, Summarizer, load_backend, reasons_to_withhold  # noqa: E402
from summarizer.embeddings import load_embedder  # noqa: E402
from summarizer.language import detect_language  # noqa: E402
from summarizer.text import copied_source, source_text  # noqa: E402
from summarizer.types import SummaryRequest  # noqa: E402

PARLER = ROOT.parent / "shared" / "corpus" / "parler"
MAX_CHARS = 300  # the demo's model.max_chars


def stories() -> list[tuple[str, list[str], str]]:
    """(name, source texts, channel language) of every story asked for."""
    asked = []
    if PARLER.is_dir():
        manifest = json.loads((PARLER / "manifest.json").read_text())
        texts = [(PARLER / article["file"]).read_text(encoding="utf-8") for article in manifest["articles"]]
        asked += [("parler", texts, language) for language in ("en", "ru", "fr")]
    else:
        print(f"{PARLER} is missing: the sample corpus story is left out", file=sys.stderr)
    for language, title, text in demo_entries():
        asked += [(f"demo:{language}:{title[:40]}", [source_text(title, text)], channel) for channel in ("en", "fr")]
    return asked


def passes(summary, texts: list[str], language: str) -> bool:
    return (bool(summary.summary) and not summary.withheld and summary.language == language
            and copied_source(summary.summary, texts) is None)


async def run(summarizer: Summarizer, gate: Gate, asked, show: bool) -> dict:
    started = time.monotonic()
    results = {"stories": 0, "passed": 0, "across_languages": [0, 0], "same_language": [0, 0],
               "withheld_by_wording": 0, "withheld_across_languages": 0}
    for name, texts, language in asked:
        [summary] = await summarizer.summarize([SummaryRequest(tuple(texts), language, MAX_CHARS)])
        ok = passes(summary, texts, language)
        door = reasons_to_withhold(summary.summary, summary.flags, texts, gate)
        wording = [reason for reason in door if reason.startswith("wording")]
        across = [reason for reason in door if reason.startswith("support")]
        same = all(detect_language(text) == language for text in texts)
        tally = results["same_language" if same else "across_languages"]
        tally[0] += ok
        tally[1] += 1
        results["stories"] += 1
        results["passed"] += ok
        results["withheld_by_wording"] += ok and bool(wording)
        results["withheld_across_languages"] += ok and bool(across) and not wording
        if show:
            verdict = ("WITHHELD BY WORDING" if wording else "WITHHELD ACROSS LANGUAGES" if across else "PASS") if ok else "fail"
            print(f"  {verdict} {language} {name}: {summary.summary!r} {(summary.withheld or door)[:1]}", flush=True)
    results["seconds"] = round(time.monotonic() - started, 1)
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="hub id, directory or .gguf file (default: the offline model)")
    parser.add_argument("--show", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    backend = await asyncio.to_thread(load_backend, args.model)
    embedder = await asyncio.to_thread(load_embedder, "offline")
    trust = TrustSettings()
    without_wording = Summarizer(backend, Gate([EmbeddingSupport(embedder, SUPPORT_THRESHOLD)], new_words=None))
    door = Gate([EmbeddingSupport(embedder, SUPPORT_THRESHOLD, across_languages=trust.support_across_languages)],
                new_words=trust.new_words)
    result = await run(without_wording, door, stories(), args.show)
    await backend.aclose()
    if args.json:
        print(json.dumps(result, indent=2))
        return
    across, same = result["across_languages"], result["same_language"]
    print(f"{result['passed']}/{result['stories']} pass without the wording check (across languages "
          f"{across[0]}/{across[1]}, within one {same[0]}/{same[1]}); the wording check withholds "
          f"{result['withheld_by_wording']} of them; {result['seconds']} s")


if __name__ == "__main__":
    asyncio.run(main())
