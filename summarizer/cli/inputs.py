"""Reading the summarizer CLI's INPUT: a file, an http(s) URL, or '-' for stdin.

A URL goes through the same guarded fetcher and article extractor as the bot's (web/): private
addresses refused unless allowed, redirects checked hop by hop, size capped after decompression.
"""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

from config.settings import FetchSettings
from summarizer.text import source_text
from summarizer.types import UnsupportedInputError
from web.extract import ExtractError, extract_article
from web.fetch import Fetcher, FetchError, create_session
from web.pool import ParseFailed, ParsePool
from web.urlguard import UnsafeURLError, check_public_url

MAX_INPUT_BYTES = 5_000_000


def decode_text(data: bytes, origin: str) -> str:
    if b"\x00" in data[:8192]:
        raise UnsupportedInputError(f"{origin} is a binary file, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UnsupportedInputError(f"{origin} is not UTF-8 text") from None


async def read_input(spec: str, *, allow_private_urls: bool = False) -> str:
    if spec == "-":
        return decode_text(sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)[:MAX_INPUT_BYTES], "stdin")
    if spec.startswith(("http://", "https://")):
        return await _read_url(spec, allow_private_urls)
    path = Path(spec)
    if not path.is_file():
        raise UnsupportedInputError(f"no such file: {spec}")
    if path.stat().st_size > MAX_INPUT_BYTES:
        raise UnsupportedInputError(f"{spec} is larger than {MAX_INPUT_BYTES // 1_000_000} MB")
    return decode_text(path.read_bytes(), spec)


async def _read_url(url: str, allow_private_urls: bool) -> str:
    """The article on the page: its title and text."""
    settings = FetchSettings(max_bytes=MAX_INPUT_BYTES)
    guard = partial(check_public_url, allow_private=allow_private_urls)
    try:
        async with create_session(settings) as http:
            page = await Fetcher(http, settings).fetch(await guard(url), expect="page", guard=guard)
        async with ParsePool(1) as parsers:  # a parser crash ends the worker, not the command
            article = await parsers.run(extract_article, page.body or b"", url=page.url)
    except UnsafeURLError as exc:
        raise UnsupportedInputError(f"refusing {url}: {exc}") from None
    except FetchError as exc:
        raise UnsupportedInputError(f"cannot fetch {url}: {exc}") from None
    except (ExtractError, ParseFailed) as exc:
        raise UnsupportedInputError(f"{url}: {exc}") from None
    return source_text(article.title, article.text)
