"""Fetcher and URL guard against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import gzip
import socket
import time
import tracemalloc
import zlib
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from aiohttp.web import Request, Response, StreamResponse

from tests.feedserver import FeedServer, replies, reply
from tests.feedserver.fetching import MB, RSS, fetcher
from web.fetch import FEED_ACCEPT, FetchError
from web.urlguard import UnsafeURLError, check_public_url

# --- conditional GET ----------------------------------------------------------------------------------


async def test_etag_then_304(web: FeedServer) -> None:
    async def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return Response(body=RSS, headers={"ETag": '"v1"', "Content-Type": "application/rss+xml; charset=utf-8"})

    web.route("/feed", handler)
    async with fetcher() as client:
        first = await client.fetch(web.url("/feed"))
        second = await client.fetch(web.url("/feed"), etag=first.etag)
    assert (first.status, first.body, first.etag) == (200, RSS, '"v1"')
    assert first.content_type == "application/rss+xml; charset=utf-8"
    assert first.url == web.url("/feed")
    assert (second.status, second.body, second.etag) == (304, None, '"v1"')
    assert web.headers[0]["Accept"] == FEED_ACCEPT
    assert web.headers[0]["User-Agent"].startswith("briefbot/")


async def test_last_modified_round_trip(web: FeedServer) -> None:
    stamp = "Wed, 01 May 2024 10:00:00 GMT"

    async def handler(request: Request) -> Response:
        if request.headers.get("If-Modified-Since") == stamp:
            return Response(status=304)  # no validators repeated: the caller's are kept
        return Response(body=RSS, headers={"Last-Modified": stamp})

    web.route("/feed", handler)
    async with fetcher() as client:
        first = await client.fetch(web.url("/feed"))
        second = await client.fetch(web.url("/feed"), last_modified=first.last_modified)
    assert (first.status, first.last_modified) == (200, stamp)
    assert (second.status, second.body, second.last_modified) == (304, None, stamp)


# --- errors and retries -------------------------------------------------------------------------------


async def test_404_is_not_retried(web: FeedServer) -> None:
    web.route("/gone", reply(b"no", status=404))
    async with fetcher(retries=3) as client:
        with pytest.raises(FetchError) as caught:
            await client.fetch(web.url("/gone"))
    assert str(caught.value) == "HTTP 404"
    assert web.hits["/gone"] == 1


async def test_500_is_retried_then_reported(web: FeedServer) -> None:
    web.route("/broken", reply(b"oops", status=500))
    async with fetcher(retries=2) as client:
        with pytest.raises(FetchError) as caught:
            await client.fetch(web.url("/broken"))
    assert str(caught.value) == "HTTP 500 after 3 tries"
    assert web.hits["/broken"] == 3


async def test_500_then_success(web: FeedServer) -> None:
    web.route("/flaky", replies(reply(status=502), reply(RSS)))
    async with fetcher(retries=1) as client:
        result = await client.fetch(web.url("/flaky"))
    assert result.body == RSS
    assert web.hits["/flaky"] == 2


async def test_429_waits_for_retry_after(web: FeedServer) -> None:
    web.route("/busy", replies(reply(status=429, headers={"Retry-After": "1"}), reply(RSS)))
    async with fetcher(retries=1) as client:
        started = time.monotonic()
        result = await client.fetch(web.url("/busy"))
        waited = time.monotonic() - started
    assert result.body == RSS
    assert 0.9 <= waited < 3
    assert web.hits["/busy"] == 2


async def test_retry_after_as_http_date(web: FeedServer) -> None:
    past = format_datetime(datetime.now(timezone.utc) - timedelta(minutes=1), usegmt=True)
    web.route("/busy", replies(reply(status=503, headers={"Retry-After": past}), reply(RSS)))
    async with fetcher(retries=1) as client:
        started = time.monotonic()
        await client.fetch(web.url("/busy"))
    assert time.monotonic() - started < 0.5  # a date already passed means no wait


async def test_exhausted_retries_keep_retry_after(web: FeedServer) -> None:
    web.route("/down", reply(status=503, headers={"Retry-After": "0"}))
    async with fetcher(retries=1) as client:
        with pytest.raises(FetchError) as caught:
            await client.fetch(web.url("/down"))
    assert str(caught.value) == "HTTP 503 after 2 tries"
    assert caught.value.retry_after == 0


async def test_server_that_never_answers_times_out(web: FeedServer) -> None:
    async def stall(request: Request) -> Response:
        await asyncio.wait_for(web.closing.wait(), 10)
        return Response()

    web.route("/slow", stall)
    async with fetcher(read_timeout=0.3, retries=1) as client:
        started = time.monotonic()
        with pytest.raises(FetchError) as caught:
            await client.fetch(web.url("/slow"))
    assert time.monotonic() - started < 2
    assert str(caught.value) == "timed out after 0.3 s (2 tries)"
    assert web.hits["/slow"] == 2


async def test_refused_connection() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago, so nothing listens on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with fetcher(retries=0) as client:
        with pytest.raises(FetchError) as caught:
            await client.fetch(f"http://127.0.0.1:{port}/feed")
    assert str(caught.value).startswith("cannot connect: ")


async def test_tls_to_a_plain_http_server(web: FeedServer) -> None:
    web.route("/feed", reply(RSS))
    async with fetcher(retries=2) as client:
        with pytest.raises(FetchError, match="^TLS problem: "):
            await client.fetch(web.url("/feed").replace("http://", "https://"))


async def test_unsupported_scheme_makes_no_request() -> None:
    async with fetcher() as client:
        with pytest.raises(FetchError, match="not an http"):
            await client.fetch("ftp://127.0.0.1/feed.xml")


# --- redirects ----------------------------------------------------------------------------------------


async def test_relative_redirect_is_followed(web: FeedServer) -> None:
    web.route("/old", reply(status=301, headers={"Location": "/new"}))
    web.route("/new", reply(RSS))
    async with fetcher() as client:
        result = await client.fetch(web.url("/old"))
    assert result.url == web.url("/new")
    assert result.body == RSS


async def test_redirect_loop(web: FeedServer) -> None:
    web.route("/a", reply(status=302, headers={"Location": web.url("/b")}))
    web.route("/b", reply(status=307, headers={"Location": "/a"}))
    async with fetcher(max_redirects=3) as client:
        with pytest.raises(FetchError) as caught:
            await client.fetch(web.url("/a"))
    assert str(caught.value) == "too many redirects"
    assert web.hits["/a"] + web.hits["/b"] == 4  # the first request and 3 redirects, no retries


async def test_redirect_to_a_file_url_is_refused(web: FeedServer) -> None:
    web.route("/sneaky", reply(status=302, headers={"Location": "file:///etc/passwd"}))
    async with fetcher() as client:
        with pytest.raises(FetchError, match="^not an http"):
            await client.fetch(web.url("/sneaky"), allow_file=True)


async def test_guard_sees_every_redirect(web: FeedServer) -> None:
    async def guard(url: str) -> str:
        if "/internal" in url:
            raise UnsafeURLError("refused: internal address")
        return url

    web.route("/start", reply(status=302, headers={"Location": "/internal"}))
    web.route("/internal", reply(RSS))
    async with fetcher() as client:
        with pytest.raises(FetchError, match="refused: internal address"):
            await client.fetch(web.url("/start"), guard=guard)
    assert web.hits["/internal"] == 0


# --- size caps ----------------------------------------------------------------------------------------


async def test_gzip_body_is_decompressed(web: FeedServer) -> None:
    web.route("/feed", reply(gzip.compress(RSS), headers={"Content-Encoding": "gzip"}))
    async with fetcher() as client:
        result = await client.fetch(web.url("/feed"))
    assert result.body == RSS


def _gzip_bomb(inflated_size: int) -> bytes:
    """Zeros gzip-compressed about 1000:1, built a megabyte at a time."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(MB)
    parts = [packer.compress(zeros) for _ in range(inflated_size // MB)]
    return b"".join(parts) + packer.flush()


async def test_gzip_bomb_is_refused_without_inflating_it(web: FeedServer) -> None:
    bomb = _gzip_bomb(200 * MB)
    assert len(bomb) < MB  # under the cap on the wire: only the inflated size gives it away
    web.route("/bomb", reply(bomb, headers={"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"}))
    async with fetcher(max_bytes=MB, retries=0) as client:
        tracemalloc.start()
        try:
            with pytest.raises(FetchError) as caught:
                await client.fetch(web.url("/bomb"))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert str(caught.value) == "response larger than 1.0 MB"
    assert peak < 20 * MB


async def test_endless_body_is_cut_at_the_cap(web: FeedServer) -> None:
    sent = 0

    async def stream(request: Request) -> StreamResponse:
        nonlocal sent
        response = StreamResponse(headers={"Content-Type": "application/rss+xml"})  # chunked: no length
        await response.prepare(request)
        chunk = bytes(64 * 1024)
        while sent < 100 * MB:
            await response.write(chunk)
            sent += len(chunk)
        return response

    web.route("/huge", stream)
    async with fetcher(max_bytes=MB, retries=0) as client:
        started = time.monotonic()
        with pytest.raises(FetchError) as caught:
            await client.fetch(web.url("/huge"))
    assert str(caught.value) == "response larger than 1.0 MB"
    assert time.monotonic() - started < 3
    assert sent < 20 * MB


async def test_declared_length_over_the_cap_is_refused_before_reading(web: FeedServer) -> None:
    web.route("/big", reply(bytes(2 * MB)))
    async with fetcher(max_bytes=MB, retries=0) as client:
        with pytest.raises(FetchError, match=r"^response larger than 1\.0 MB$"):
            await client.fetch(web.url("/big"))


async def test_pages_must_be_text(web: FeedServer) -> None:
    web.route("/photo", reply(b"\x89PNG\r\n", headers={"Content-Type": "image/png"}))
    web.route("/feed", reply(RSS, headers={"Content-Type": "application/octet-stream"}))
    async with fetcher() as client:
        with pytest.raises(FetchError) as caught:
            await client.fetch(web.url("/photo"), expect="page")
        feed = await client.fetch(web.url("/feed"))  # feeds are judged by the parser instead
    assert str(caught.value) == "not a web page or feed: image/png"
    assert feed.body == RSS


# --- politeness ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("per_host", [1, 2])
async def test_requests_in_flight_per_host(web: FeedServer, per_host: int) -> None:
    in_flight = busiest = 0

    async def slow(request: Request) -> Response:
        nonlocal in_flight, busiest
        in_flight += 1
        busiest = max(busiest, in_flight)
        await asyncio.sleep(0.05)
        in_flight -= 1
        return Response(body=RSS)

    web.route("/feed", slow)
    async with fetcher(per_host=per_host) as client:
        await asyncio.gather(*(client.fetch(web.url(f"/feed?n={n}")) for n in range(5)))
    assert web.hits["/feed"] == 5
    assert busiest == per_host


async def test_delay_between_requests_to_one_host(web: FeedServer) -> None:
    arrivals: list[float] = []

    async def record(request: Request) -> Response:
        arrivals.append(time.monotonic())
        return Response(body=RSS)

    web.route("/feed", record)
    async with fetcher(per_host=3, host_delay=0.2) as client:
        await asyncio.gather(*(client.fetch(web.url("/feed")) for _ in range(3)))
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:])]
    assert len(gaps) == 2 and min(gaps) >= 0.18


# --- file: URLs ---------------------------------------------------------------------------------------


async def test_file_urls_only_when_allowed(tmp_path) -> None:
    feed = tmp_path / "news feed.xml"
    feed.write_bytes(RSS)
    async with fetcher() as client:
        by_uri = await client.fetch(feed.as_uri(), allow_file=True)
        by_path = await client.fetch(str(feed), allow_file=True)
        with pytest.raises(FetchError) as refused:
            await client.fetch(feed.as_uri())
    assert (by_uri.status, by_uri.body, by_uri.url) == (200, RSS, feed.as_uri())
    assert by_path.body == RSS and by_path.url == feed.as_uri()
    assert by_uri.content_type in ("application/xml", "text/xml")
    assert str(refused.value) == "file: URLs are not allowed here"


async def test_file_errors(tmp_path) -> None:
    big = tmp_path / "big.xml"
    big.write_bytes(bytes(MB + 1))
    async with fetcher(max_bytes=MB) as client:
        with pytest.raises(FetchError, match="^not a file: .*missing.xml$"):
            await client.fetch((tmp_path / "missing.xml").as_uri(), allow_file=True)
        with pytest.raises(FetchError, match="^not a file: "):
            await client.fetch(tmp_path.as_uri(), allow_file=True)
        with pytest.raises(FetchError, match=r"^response larger than 1\.0 MB$"):
            await client.fetch(big.as_uri(), allow_file=True)


# --- URL guard (no DNS: name lookups are replaced) -----------------------------------------------------


@pytest.fixture
async def lookups(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Host name -> addresses the fake resolver answers; any other name fails to resolve."""
    answers: dict[str, list[str]] = {}

    async def fake_getaddrinfo(host: str, port: int | None, **kwargs: object) -> list[tuple]:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0)) for address in answers[host]]

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", fake_getaddrinfo)
    return answers


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/feed",
        "http://10.0.0.1/feed",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://localhost:8080/",
        "http://api.localhost/",
        "ftp://93.184.216.34/file",
        "file:///etc/passwd",
        "http:///no-host",
    ],
)
async def test_guard_refuses(url: str, lookups: dict[str, list[str]]) -> None:
    with pytest.raises(UnsafeURLError):
        await check_public_url(url)


async def test_guard_accepts_public_addresses(lookups: dict[str, list[str]]) -> None:
    assert await check_public_url("HTTP://93.184.216.34:80/news?id=1#top") == "http://93.184.216.34/news?id=1"


async def test_guard_allows_private_only_when_asked(lookups: dict[str, list[str]]) -> None:
    with pytest.raises(UnsafeURLError, match="private or reserved"):
        await check_public_url("http://127.0.0.1:8080/feed")
    assert await check_public_url("http://127.0.0.1:8080/feed", allow_private=True) == "http://127.0.0.1:8080/feed"


async def test_guard_checks_every_resolved_address(lookups: dict[str, list[str]]) -> None:
    lookups["news.example"] = ["93.184.216.34"]
    lookups["mixed.example"] = ["93.184.216.34", "10.1.2.3"]
    assert await check_public_url("https://news.example/feed") == "https://news.example/feed"
    with pytest.raises(UnsafeURLError, match=r"10\.1\.2\.3"):
        await check_public_url("https://mixed.example/feed")
    with pytest.raises(UnsafeURLError, match="cannot resolve host"):
        await check_public_url("https://nowhere.example/feed")
