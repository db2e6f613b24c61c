"""python -m summarizer summarize | bench | eval"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time

from summarizer.types import SummarizerError

log = logging.getLogger("summarizer")


def _model_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, help="hub id, model directory or .gguf file (default: offline model)")
    parser.add_argument("--backend", default="transformers", choices=["transformers", "openai"])
    parser.add_argument("--base-url", default=None, help="OpenAI-compatible server, for --backend openai")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m summarizer", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    summarize = commands.add_parser("summarize", help="summarise a file, URL or stdin")
    summarize.add_argument("input", help="file path, http(s) URL, or - for stdin")
    summarize.add_argument("--lang", default=None, help="ISO 639-1 summary language (default: the input's)")
    summarize.add_argument("--max-chars", type=int, default=400)
    _model_args(summarize)
    return parser


async def load(args: argparse.Namespace):
    from summarizer.loader import load_backend

    started = time.monotonic()
    log.info("loading model %s ...", args.model or "(offline default)")
    backend = await asyncio.to_thread(
        load_backend, args.model, backend=args.backend, base_url=args.base_url
    )
    log.info("model ready in %.1f s", time.monotonic() - started)
    return backend, time.monotonic() - started


async def cmd_summarize(args: argparse.Namespace) -> int:
    from summarizer.inputs import read_input
    from summarizer.types import SummaryRequest

    text = await read_input(args.input)
    backend, _ = await load(args)
    try:
        [summary] = await backend.summarize([SummaryRequest.of(text, args.lang, args.max_chars)])
    finally:
        await backend.aclose()
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


COMMANDS = {"summarize": cmd_summarize}


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


if __name__ == "__main__":
    sys.exit(main())
