"""Native parser crashes at scale: `python -m bot poll` over a local news site, many times in a row.

Usage: .venv/bin/python bench/poll_crashes.py [--runs 30] [--feeds 20] [--entries 15] [--project DIR]

A child process serves tests/newssite.py's site on 127.0.0.1: FEEDS teaser feeds of ENTRIES entries,
each linking to a real-looking article page of about 80 KB, so every entry's page is fetched and
extracted. Each run gets a fresh SQLite store and a config with the per-host limits lifted
(per_host = concurrency, host_delay 0), and runs `python -m bot poll --config ...` with DIR as the
working directory (default: this checkout; name another checkout to compare builds). A run that
dies of a signal (SIGABRT from glibc's "double free or corruption", SIGSEGV) is a native crash.

Prints one JSON object: the setup, each run's {"exit", "seconds", "articles", "extracted",
"extract_errors"} (extract_errors: the distinct reasons, counted), and the totals
{"runs", "ok", "native_crashes", "other_failures", "seconds_p50", "seconds_max"}.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine, serve_forever  # noqa: E402
from tests.newssite import NewsSite  # noqa: E402

RUN_LIMIT = 600  # seconds; a run that takes longer is stopped and counted as a failure
CONCURRENCY = 32


def serve(feeds: int, entries: int, port_out: Connection) -> None:
    """Run the news site until the parent terminates this process."""

    serve_forever(NewsSite(feeds, entries).app(), port_out)


def write_config(folder: Path, base_url: str, feeds: int) -> Path:
    config = {
        "storage": {"url": f"sqlite+aiosqlite:///{folder}/poll.db"},
        "feeds": [{"name": f"site-{i}", "url": f"{base_url}/feed/{i}.xml"} for i in range(feeds)],
        "fetch": {"per_host": CONCURRENCY, "host_delay": 0, "concurrency": CONCURRENCY},
    }
    path = folder / "config.yaml"
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")  # JSON is YAML
    return path


def stored(database: Path) -> dict[str, object]:
    if not database.exists():
        return {"articles": 0, "extracted": 0, "extract_errors": {}}
    with sqlite3.connect(database) as connection:
        total, extracted = connection.execute(
            "SELECT count(*), count(*) - count(extract_error) FROM articles"
        ).fetchone()
        errors = dict(connection.execute(
            "SELECT extract_error, count(*) FROM articles WHERE extract_error IS NOT NULL GROUP BY extract_error"
        ).fetchall())
    return {"articles": total, "extracted": extracted, "extract_errors": errors}


def poll_once(project: Path, base_url: str, feeds: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="briefbot-crashes-") as scratch:
        folder = Path(scratch)
        config = write_config(folder, base_url, feeds)
        started = time.perf_counter()
        try:
            done = subprocess.run(
                [sys.executable, "-m", "bot", "poll", "--config", str(config)],
                cwd=project, capture_output=True, text=True, timeout=RUN_LIMIT,
            )
            code, stderr = done.returncode, done.stderr
        except subprocess.TimeoutExpired as expired:
            code, stderr = None, (expired.stderr or b"").decode(errors="replace")
        seconds = round(time.perf_counter() - started, 2)
        result = {"exit": code, "signal": _signal_name(code), "seconds": seconds, **stored(folder / "poll.db")}
    if code != 0:
        print(f"run failed ({result['signal'] or code}):\n" + "\n".join(stderr.splitlines()[-15:]), file=sys.stderr)
    return result


def _signal_name(code: int | None) -> str | None:
    if code is None or code >= 0:
        return None
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--feeds", type=int, default=20)
    parser.add_argument("--entries", type=int, default=15, help="teaser entries (article pages) per feed")
    parser.add_argument("--project", type=Path, default=ROOT, help="the checkout whose `python -m bot poll` runs")
    arguments = parser.parse_args()

    receive_port, send_port = multiprocessing.Pipe(duplex=False)
    server = multiprocessing.Process(target=serve, args=(arguments.feeds, arguments.entries, send_port), daemon=True)
    server.start()
    runs = []
    try:
        if not receive_port.poll(30):
            raise SystemExit("the news site did not start")
        base_url = f"http://127.0.0.1:{receive_port.recv()}"
        for number in range(arguments.runs):
            runs.append(poll_once(arguments.project.resolve(), base_url, arguments.feeds))
            last = runs[-1]
            print(f"run {number + 1}/{arguments.runs}: exit {last['exit']} in {last['seconds']} s, "
                  f"{last['extracted']}/{last['articles']} pages extracted", file=sys.stderr, flush=True)
    finally:
        server.terminate()
        server.join(5)
    seconds = [run["seconds"] for run in runs]
    exits = Counter(run["signal"] or ("ok" if run["exit"] == 0 else f"exit {run['exit']}") for run in runs)
    print(json.dumps({
        "machine": machine(),
        "setup": {
            "project": str(arguments.project.resolve()),
            "feeds": arguments.feeds,
            "pages": arguments.feeds * arguments.entries,
            "per_host": CONCURRENCY,
            "host_delay": 0,
            "concurrency": CONCURRENCY,
        },
        "runs": runs,
        "totals": {
            "runs": len(runs),
            "ok": exits["ok"],
            "native_crashes": sum(1 for run in runs if run["signal"]),
            "other_failures": sum(1 for run in runs if not run["signal"] and run["exit"] != 0),
            "exits": dict(exits),
            "seconds_p50": round(statistics.median(seconds), 2) if seconds else None,
            "seconds_max": max(seconds, default=None),
        },
    }, indent=2))


if __name__ == "__main__":
    main()
