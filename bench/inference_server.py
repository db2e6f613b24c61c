"""The offline default model served by real llama.cpp servers, against the same model in process.

Usage: .venv/bin/python bench/inference_server.py [--server-python PYTHON] [--server-binary LLAMA_SERVER]
                                                  [--n 8] [--concurrency 8] [--json]

PYTHON is an interpreter with `llama-cpp-python[server]` installed (it compiles llama.cpp, about
15 minutes on 2 cores, so it is kept out of briefbot's own environment):
    python3 -m venv /tmp/llama && /tmp/llama/bin/pip install 'llama-cpp-python[server]'
LLAMA_SERVER is llama.cpp's own C++ `llama-server`, the one the `llamacpp` Compose profile runs; it
serves --concurrency requests at once (`--parallel`). One way to get it without Docker is to build
the copy of llama.cpp inside that package's source archive (about 10 minutes on 2 cores):
    pip download --no-deps --no-binary :all: llama-cpp-python && tar xzf llama_cpp_python-*.tar.gz
    cd llama_cpp_python-*/vendor/llama.cpp && cmake -B build -DLLAMA_CURL=OFF \
        && cmake --build build --target llama-server -j2        # -> build/bin/llama-server

Each server serves the packaged Gemma 3 270M GGUF on 127.0.0.1 and briefbot's OpenAI-compatible
backend asks it with the same completion prompt the in-process backend uses. Everything runs one
after the other, never together, so nothing slows anything else. Each reports what
`python -m summarizer bench` reports (one article at a time, then --concurrency in flight);
a server's own peak memory is read from its process. Prints a table, or one JSON object
{"llama_cpp_python": {...}, "llama_server": {...}, "transformers": {...}} with --json.
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
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from summarizer.backends.base import Backend  # noqa: E402
from summarizer.backends.loader import load_backend  # noqa: E402
from summarizer.backends.model_files import offline_package  # noqa: E402
from summarizer.backends.openai import OpenAIBackend  # noqa: E402
from summarizer.backends.pipeline import Summarizer  # noqa: E402
from summarizer.cli.bench import bench_articles, run_bench  # noqa: E402

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


def python_server_command(args: argparse.Namespace, gguf: str, port: int) -> list[str]:
    threads = str(os.cpu_count())
    return [
        args.server_python, "-m", "llama_cpp.server", "--model", gguf, "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", "4096", "--n_threads", threads, "--n_threads_batch", threads, "--verbose", "False",
    ]


def cpp_server_command(args: argparse.Namespace, gguf: str, port: int) -> list[str]:
    threads = str(os.cpu_count())
    # The context is shared by the parallel slots: 4096 tokens each, as for the Python server.
    return [
        args.server_binary, "--model", gguf, "--host", "127.0.0.1", "--port", str(port),
        "--ctx-size", str(4096 * args.concurrency), "--parallel", str(args.concurrency),
        "--threads", threads, "--threads-batch", threads,
    ]


async def bench_server(args: argparse.Namespace, command: Callable[[int], list[str]]) -> dict:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False) as log:
        started = time.monotonic()
        server = subprocess.Popen(command(port), stdout=log, stderr=subprocess.STDOUT)
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
            Summarizer(backend), bench_articles(args.n, args.corpus), concurrency=args.concurrency,
            language=args.lang, max_chars=args.max_chars, load_s=load_s,
        )
    finally:
        await backend.aclose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server-python", help="python with llama-cpp-python[server]")
    parser.add_argument("--server-binary", help="llama.cpp's llama-server")
    parser.add_argument("--corpus", type=Path, default=None, help="a corpus folder with a manifest.json")
    parser.add_argument("--n", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--lang", default="en")
    parser.add_argument("--max-chars", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not (args.server_python or args.server_binary):
        parser.error("give --server-python, --server-binary or both")
    gguf = offline_package().assemble()
    results: dict[str, dict] = {}
    if args.server_python:
        results["llama_cpp_python"] = await bench_server(args, partial(python_server_command, args, gguf))
    if args.server_binary:
        results["llama_server"] = await bench_server(args, partial(cpp_server_command, args, gguf))
    results["transformers"] = await bench_in_process(args)
    if args.json:
        print(json.dumps(results))
        return
    keys = [key for key in results["transformers"] if key not in ("model", "backend")]
    print(f"{'':30}" + "".join(f"{name:>18}" for name in results))
    for key in keys:
        print(f"{key:30}" + "".join(f"{result[key]!s:>18}" for result in results.values()))


if __name__ == "__main__":
    asyncio.run(main())
