"""The offline default model served by a real llama.cpp server, against the same model in process.

Usage: .venv/bin/python bench/inference_server.py --server-python PYTHON [--n 8] [--concurrency 8] [--json]

PYTHON is an interpreter with `llama-cpp-python[server]` installed (it compiles llama.cpp, about
15 minutes on 2 cores, so it is kept out of briefbot's own environment):
    python3 -m venv /tmp/llama && /tmp/llama/bin/pip install 'llama-cpp-python[server]'

The server serves the packaged Gemma 3 270M GGUF on 127.0.0.1 and briefbot's OpenAI-compatible
backend asks it with the same completion prompt the in-process backend uses. The two run one
after the other, never together, so neither slows the other. Each reports what
`python -m summarizer bench` reports (one article at a time, then --concurrency in flight);
the server's own peak memory is read from its process. Prints a table, or one JSON object
{"llama_cpp_server": {...}, "transformers": {...}} with --json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from summarizer.backends.base import Backend  # noqa: E402
from summarizer.backends.openai import OpenAIBackend  # noqa: E402
from summarizer.bench import bench_articles, run_bench  # noqa: E402
from summarizer.loader import load_backend  # noqa: E402
from summarizer.models import offline_package  # noqa: E402

SERVER_START_TIMEOUT = 300.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def wait_until_serving(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise SystemExit(f"llama.cpp server exited with {server.returncode}:\n{log.read_text()[-2000:]}")
            try:
                async with http.get(f"{url}/v1/models", timeout=aiohttp.ClientTimeout(total=2)) as response:
                    if response.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.5)
    raise SystemExit(f"llama.cpp server did not answer within {SERVER_START_TIMEOUT:.0f} s")


async def bench_server(args: argparse.Namespace, gguf: str) -> dict:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    threads = str(os.cpu_count())
    command = [
        args.server_python, "-m", "llama_cpp.server", "--model", gguf, "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", "4096", "--n_threads", threads, "--n_threads_batch", threads, "--verbose", "False",
    ]
    with tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False) as log:
        started = time.monotonic()
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        await wait_until_serving(url, server, Path(log.name))
        load_s = time.monotonic() - started
        backend = OpenAIBackend(base_url=url, prompt_style="completion", timeout=600.0, max_in_flight=args.concurrency)
        result = await measure(backend, args, load_s)
        # The client's memory says nothing about the model's: report the server's.
        result["peak_rss_mb"] = round(server_peak_rss_mb(server.pid), 1)
        return result
    finally:
        server.terminate()
        server.wait(timeout=30)


def server_peak_rss_mb(pid: int) -> float:
    """VmHWM, the process's peak resident memory, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def bench_in_process(args: argparse.Namespace) -> dict:
    started = time.monotonic()
    backend = await asyncio.to_thread(load_backend, None)
    return await measure(backend, args, time.monotonic() - started)


async def measure(backend: Backend, args: argparse.Namespace, load_s: float) -> dict:
    """What `python -m summarizer bench` reports, for either backend; closes it afterwards."""
    try:
        return await run_bench(
            backend, bench_articles(args.n), concurrency=args.concurrency,
            language=args.lang, max_chars=args.max_chars, load_s=load_s,
        )
    finally:
        await backend.aclose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server-python", required=True, help="python with llama-cpp-python[server]")
    parser.add_argument("--n", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--lang", default="en")
    parser.add_argument("--max-chars", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    gguf = offline_package().assemble()
    results = {"llama_cpp_server": await bench_server(args, gguf), "transformers": await bench_in_process(args)}
    if args.json:
        print(json.dumps(results))
        return
    keys = [key for key in results["transformers"] if key not in ("model", "backend")]
    print(f"{'':30}{'llama.cpp server':>18}{'transformers':>16}")
    for key in keys:
        print(f"{key:30}{results['llama_cpp_server'][key]!s:>18}{results['transformers'][key]!s:>16}")


if __name__ == "__main__":
    asyncio.run(main())
