"""Write raw summary sentences of the faithfulness set's sources, without the gate, for labelling.

Usage: nice .venv/bin/python bench/faithfulness_generate.py [--set tests/data/faithfulness.jsonl]
           [--model SPEC] [--max-chars 400] > unlabelled.jsonl

For every summary of the set (its sources and language), the model's answer goes through the
backend's own map-reduce, generation and clean-up, and nothing else: no sentence is dropped, so
the unfaithful ones stay to be labelled. One JSON line per sentence, with the set's keys but the
labels, which a person adds. One model call at a time (the offline model: 20-60 s each on a
shared 2-core machine).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.faithfulness import LABELLED  # noqa: E402
from bench.faithfulness_sources import MissingSource, read_source  # noqa: E402
from summarizer.backends.loader import load_backend  # noqa: E402
from summarizer.backends.pipeline import Summarizer  # noqa: E402
from summarizer.text import split_sentences  # noqa: E402
from summarizer.types import SummaryRequest  # noqa: E402


async def generate(labelled: Path, model: str | None, max_chars: int) -> None:
    summaries: dict[str, tuple[list[str], str]] = {}
    for line in labelled.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        summaries.setdefault(record["summary"], (record["sources"], record["lang"]))
    summarizer = Summarizer(await asyncio.to_thread(load_backend, model))
    try:
        for summary, (specs, language) in summaries.items():
            try:
                texts = [read_source(spec) for spec in specs]
            except MissingSource as exc:
                print(f"skipped {summary}: source {exc} is not on this machine", file=sys.stderr)
                continue
            prepared = summarizer.preprocess(SummaryRequest.of(texts, language, max_chars))
            source = await summarizer._reduce_to_one_chunk(prepared, [])
            text = await summarizer._generate_text(source, language, max_chars)  # generate + clean, no gate
            for sentence in split_sentences(text):
                record = {"summary": summary, "sources": specs, "lang": language, "sentence": sentence}
                print(json.dumps(record, ensure_ascii=False), flush=True)
    finally:
        await summarizer.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=LABELLED, help="the summaries to write again: sources, language")
    parser.add_argument("--model", default=None, help="hub id, model directory or .gguf (default: the offline model)")
    parser.add_argument("--max-chars", type=int, default=400)
    args = parser.parse_args()
    asyncio.run(generate(args.set, args.model, args.max_chars))


if __name__ == "__main__":
    main()
