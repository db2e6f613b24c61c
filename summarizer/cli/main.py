"""python -m summarizer summarize | bench | eval"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from pathlib import Path

from config.model_settings import SUPPORT_ACROSS_LANGUAGES, SUPPORT_THRESHOLD
from summarizer.types import SummarizerError

log = logging.getLogger("summarizer")


def _model_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, help="hub id, model directory or .gguf file (default: offline model)")
    parser.add_argument("--backend", default="transformers", choices=["transformers", "openai"])
    parser.add_argument("--base-url", default=None, help="OpenAI-compatible server, for --backend openai")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--candidates", type=int, default=1,
                        help="prompt variants generated and compared per summary (default 1)")
    parser.add_argument("--prompt-style", default=None, choices=["chat", "completion"],
                        help="chat template or completion cue (default: the model's tokenizer decides; chat for openai)")
    parser.add_argument("--per-source", type=_non_negative_int, default=None, metavar="N",
                        help="summarise up to N sources of a story each on its own, 0 = all in one prompt "
                             "(default: 3 for an in-process causal model, else 0)")
    parser.add_argument("--threads", type=_positive_int, default=None,
                        help="threads for an in-process model (default: every core)")
    parser.add_argument("--support-threshold", type=float, default=SUPPORT_THRESHOLD, metavar="COSINE",
                        help="the trust gate's support check with the offline embedder, as the bot's default "
                             f"(default {SUPPORT_THRESHOLD}; 0 = names, numbers and wording only)")


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


def _non_negative_int(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {number}")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m summarizer", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    summarize = commands.add_parser("summarize", help="summarise a file, URL or stdin")
    summarize.add_argument("input", help="file path, http(s) URL, or - for stdin")
    summarize.add_argument("--lang", default=None, help="ISO 639-1 summary language (default: the input's)")
    summarize.add_argument("--max-chars", type=int, default=400)
    summarize.add_argument("--allow-private-urls", action="store_true",
                           help="let a URL INPUT point at a private, loopback or link-local address")
    _model_args(summarize)
    bench = commands.add_parser("bench", help="latency and throughput, one at a time and concurrently")
    bench.add_argument("--n", type=_positive_int, default=8, help="articles to summarise in each run")
    bench.add_argument("--concurrency", type=_positive_int, default=8, help="requests in flight in the concurrent run")
    bench.add_argument("--corpus", type=Path, default=None,
                       help="a corpus folder with a manifest.json (default: the demo's article pages)")
    bench.add_argument("--lang", default="en", help="ISO 639-1 summary language")
    bench.add_argument("--max-chars", type=int, default=300)
    _model_args(bench)
    evaluate = commands.add_parser("eval", help="language, grounding and ROUGE over a set of articles")
    evaluate.add_argument("input", help="JSONL file, or a corpus folder with a manifest.json")
    evaluate.add_argument("--lang", default=None, help="ISO 639-1 summary language for every article")
    evaluate.add_argument("--max-chars", type=int, default=400)
    _model_args(evaluate)
    return parser


async def load(args: argparse.Namespace):
    from summarizer.backends.loader import load_backend
    from summarizer.backends.pipeline import Summarizer
    from summarizer.checks import MODEL_FREE, Gate

    started = time.monotonic()
    log.info("loading model %s ...", args.model or "(offline default)")
    checks = MODEL_FREE
    if args.support_threshold:
        from summarizer.checks.support import EmbeddingSupport
        from summarizer.embeddings import load_embedder

        embedder = await asyncio.to_thread(load_embedder)
        checks = Gate([EmbeddingSupport(embedder, args.support_threshold, across_languages=SUPPORT_ACROSS_LANGUAGES)])
    backend = await asyncio.to_thread(
        load_backend, args.model, backend=args.backend, base_url=args.base_url,
        threads=args.threads, prompt_style=args.prompt_style,
    )
    log.info("model ready in %.1f s", time.monotonic() - started)
    pipeline = Summarizer(backend, checks, candidates=args.candidates, per_source=args.per_source)
    return pipeline, time.monotonic() - started


async def cmd_summarize(args: argparse.Namespace) -> int:
    from summarizer.cli.inputs import read_input
    from summarizer.types import SummaryRequest

    text = await read_input(args.input, allow_private_urls=args.allow_private_urls)
    pipeline, _ = await load(args)
    try:
        [summary] = await pipeline.summarize([SummaryRequest.of(text, args.lang, args.max_chars)])
    finally:
        await pipeline.aclose()
    if args.json:
        print(json.dumps(summary.to_json(), ensure_ascii=False))
    else:
        print(summary.summary)
        note = f"[{summary.source_language} -> {summary.language}, {summary.seconds:.1f} s"
        if summary.ungrounded:
            note += f", not in the source: {', '.join(summary.ungrounded)}"
        if summary.flags:
            note += f", {', '.join(summary.flags)}"
        print(note + "]", file=sys.stderr)
    return 0


async def cmd_bench(args: argparse.Namespace) -> int:
    from summarizer.cli.bench import bench_articles, run_bench

    articles = bench_articles(args.n, args.corpus)
    log.info("articles: %s, cycled to %d", articles.origin, args.n)
    pipeline, load_s = await load(args)
    try:
        result = await run_bench(
            pipeline, articles, concurrency=args.concurrency, language=args.lang, max_chars=args.max_chars, load_s=load_s
        )
    finally:
        await pipeline.aclose()
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(_aligned([[key, str(value)] for key, value in result.items()]))
    return 0


async def cmd_eval(args: argparse.Namespace) -> int:
    from summarizer.cli.evaluation import evaluate, load_items, totals

    items = load_items(args.input, args.lang)
    pipeline, _ = await load(args)
    try:
        rows = await evaluate(pipeline, items, args.max_chars)
    finally:
        await pipeline.aclose()
    result = totals(rows)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    table = [["#", "source", "target", "output", "chars", "ungrounded", "seconds", "gate", "flags"]]
    for index, row in enumerate(rows, 1):
        summary = row.summary
        table.append([
            str(index),
            summary.source_language,
            row.target_language,
            summary.language,
            str(len(summary.summary)),
            str(len(summary.ungrounded)),
            f"{summary.seconds:.1f}",
            "withheld" if row.withheld else "passed",
            ",".join(summary.flags) or "-",
        ])
    print(_aligned(table))
    print()
    for index, row in enumerate(rows, 1):
        print(f"{index}. {row.summary.summary or '-'}")
    print()
    print(_aligned([[key, "-" if value is None else str(value)] for key, value in result.items() if key != "posted"]))
    print()
    print("what a channel would be given:")
    print(_aligned([[key, "-" if value is None else str(value)] for key, value in result["posted"].items()]))
    return 0


def _aligned(rows: list[list[str]]) -> str:
    """Rows as text columns, each padded to its widest cell."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows)


COMMANDS = {"summarize": cmd_summarize, "bench": cmd_bench, "eval": cmd_eval}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S", stream=sys.stderr)
    try:
        return asyncio.run(COMMANDS[args.command](args))
    except SummarizerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130

