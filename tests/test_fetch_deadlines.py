"""How long one fetch may hold its caller: a whole-fetch deadline, and no long waits for Retry-After."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp.web import Request, Response

from tests.feedserver import FeedServer, dripping, reply
from tests.feedserver.fetching import RSS, fetcher
from web.fetch import FetchError


@pytest.mark.parametrize("expect", ["feed", "page"])
async def test_a_body_dripping_in_byte_by_byte_is_cut_off_at_the_total_timeout(web: FeedServer, expect) -> None:
    web.route("/drip", dripping(web, every=0.1))  # every read well within the read timeout
    async with fetcher(read_timeout=1, total_timeout=0.5, retries=2) as client:
        with pytest.raises(FetchError) as caught:
            await client.fetch(web.url("/drip"), expect=expect)

    assert str(caught.value) == "no complete answer within 0.5 s"
    assert web.hits["/drip"] == 1  # one deadline for the whole fetch: not tried again


async def test_a_redirect_does_not_start_a_new_deadline(web: FeedServer) -> None:
    web.route("/moved", reply(status=302, headers={"Location": "/drip"}))
    web.route("/drip", dripping(web, every=0.1))
    async with fetcher(read_timeout=1, total_timeout=0.5, retries=0) as client:
        with pytest.raises(FetchError, match="^no complete answer within 0.5 s$"):
            await client.fetch(web.url("/moved"))


async def test_requests_queued_for_a_host_that_ran_out_of_time_fail_at_once(web: FeedServer) -> None:
    web.route("/drip", dripping(web, every=0.1))
    # Say, the article pages a feed links to: without this, each would take the whole deadline in turn.
    async with fetcher(per_host=1, read_timeout=1, total_timeout=0.5, retries=0) as client:
        pages = [client.fetch(web.url(f"/drip?page={number}"), expect="page") for number in range(4)]
        errors = await asyncio.gather(*pages, return_exceptions=True)

    assert sorted(map(str, errors)) == ["no complete answer within 0.5 s"] + [
        "not tried: 127.0.0.1 ran out of time on another request a moment ago"
    ] * 3
    assert web.hits["/drip"] == 1


async def test_waiting_for_a_turn_at_a_busy_host_does_not_count(web: FeedServer) -> None:
    async def slow(request: Request) -> Response:
        await asyncio.sleep(0.4)
        return Response(body=RSS)

    web.route("/slow", slow)
    # One request at a time: the third waits 0.8 s for its turn, then takes 0.4 s.
    async with fetcher(per_host=1, total_timeout=1.0, retries=0) as client:
        results = await asyncio.gather(*(client.fetch(web.url("/slow")) for _ in range(3)))

    assert [result.body for result in results] == [RSS] * 3


async def test_a_server_asking_to_come_back_in_ten_minutes_is_not_waited_for(web: FeedServer) -> None:
    web.route("/busy", reply(status=503, headers={"Retry-After": "600"}))
    async with fetcher(retries=2) as client:
        with pytest.raises(FetchError) as caught:
            await client.fetch(web.url("/busy"))

    assert str(caught.value) == "HTTP 503, retry after 600 s"
    assert caught.value.retry_after == 600
    assert web.hits["/busy"] == 1

