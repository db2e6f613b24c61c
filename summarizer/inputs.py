"""Reading the summarizer CLI's INPUT: a file, an http(s) URL, or '-' for stdin."""

from __future__ import annotations

import sys
from pathlib import Path

from summarizer.types import UnsupportedInputError

MAX_INPUT_BYTES = 5_000_000


def decode_text(data: bytes, origin: str) -> str:
    if b"\x00" in data[:8192]:
        raise UnsupportedInputError(f"{origin} is a binary file, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UnsupportedInputError(f"{origin} is not UTF-8 text") from None


async def read_input(spec: str, *, timeout: float = 30.0) -> str:
    if spec == "-":
        return decode_text(sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)[:MAX_INPUT_BYTES], "stdin")
    if spec.startswith(("http://", "https://")):
        return await _read_url(spec, timeout)
    path = Path(spec)
    if not path.is_file():
        raise UnsupportedInputError(f"no such file: {spec}")
    if path.stat().st_size > MAX_INPUT_BYTES:
        raise UnsupportedInputError(f"{spec} is larger than {MAX_INPUT_BYTES // 1_000_000} MB")
    return decode_text(path.read_bytes(), spec)


async def _read_url(url: str, timeout: float) -> str:
    import aiohttp
    import trafilatura

    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
            async with session.get(url) as response:
                if response.status >= 400:
                    raise UnsupportedInputError(f"{url} answered HTTP {response.status}")
                content_type = response.headers.get("Content-Type", "")
                body = await response.content.read(MAX_INPUT_BYTES + 1)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise UnsupportedInputError(f"cannot fetch {url}: {exc or type(exc).__name__}") from None
    if len(body) > MAX_INPUT_BYTES:
        raise UnsupportedInputError(f"{url} is larger than {MAX_INPUT_BYTES // 1_000_000} MB")
    if "html" not in content_type and not content_type.startswith("text/"):
        raise UnsupportedInputError(f"{url} is not a web page ({content_type or 'unknown type'})")
    text = trafilatura.extract(body, url=url, include_comments=False) if "html" in content_type else None
    return text or decode_text(body, url)
