"""The fake Bot API's refusals, injected failures and rate limits, as PTB's Bot meets them."""

import asyncio
import datetime as dt

import aiohttp
import pytest
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, RetryAfter

from tests.fakebotapi import FakeBotApi
from tests.fakebotapi.fixtures import CHANNEL_ID, USER_ID


async def test_message_length_limit_counts_visible_text(ptb_bot: Bot, fake_api: FakeBotApi) -> None:
    fake_api.add_chat(USER_ID, type="private")

    with pytest.raises(BadRequest, match="Message is too long"):
        await ptb_bot.send_message(USER_ID, "x" * 4097)
    # Markup and entities don't count towards the 4096 characters.
    await ptb_bot.send_message(USER_ID, "<i>" + "&lt;" * 4096 + "</i>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await ptb_bot.send_message(USER_ID, " <b> </b> ", parse_mode=ParseMode.HTML)

    assert len(fake_api.sent) == 1
    # Refused calls are recorded too (after the fixture's getMe).
    assert [method for method, _ in fake_api.requests] == ["getMe"] + ["sendMessage"] * 3


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<div>news</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("Tom&nbsp;Jerry", "Unsupported HTML entity at byte offset 3"),
        ("AT&T", "Unsupported HTML entity"),
    ],
)
async def test_invalid_html_is_refused(
    ptb_bot: Bot, fake_api: FakeBotApi, text: str, reason: str
) -> None:
    fake_api.add_chat(USER_ID, type="private")

    with pytest.raises(BadRequest, match="Can't parse entities") as refused:
        await ptb_bot.send_message(USER_ID, text, parse_mode=ParseMode.HTML)

    # PTB lower-cases the description after "Bad Request: ".
    assert reason.lower() in refused.value.message.lower()
    assert fake_api.sent == []


async def test_injected_429_raises_retry_after(ptb_bot: Bot, fake_api: FakeBotApi) -> None:
    fake_api.add_chat(CHANNEL_ID)
    fake_api.fail_next("sendMessage", retry_after=7)

    with pytest.raises(RetryAfter) as limited:
        await ptb_bot.send_message(CHANNEL_ID, "digest")
    await ptb_bot.send_message(CHANNEL_ID, "digest")

    assert limited.value.retry_after == dt.timedelta(seconds=7)
    assert [m.text for m in fake_api.sent] == ["digest"]
    assert [method for method, _ in fake_api.requests] == ["getMe", "sendMessage", "sendMessage"]


async def test_injected_server_error(ptb_bot: Bot, fake_api: FakeBotApi) -> None:
    fake_api.fail_next("getMe", status=403, description="Forbidden: bot was blocked", count=2)

    for _ in range(2):
        with pytest.raises(Forbidden, match="bot was blocked"):
            await ptb_bot.get_me()
    assert (await ptb_bot.get_me()).id == fake_api.bot_id


async def test_per_chat_flood_limit(ptb_bot: Bot, fake_api: FakeBotApi) -> None:
    fake_api.add_chat(USER_ID, type="private")
    fake_api.add_chat(USER_ID + 1, type="private")

    for n in range(3):  # the burst
        await ptb_bot.send_message(USER_ID, f"message {n}")
    with pytest.raises(RetryAfter) as limited:
        await ptb_bot.send_message(USER_ID, "one too many")
    await ptb_bot.send_message(USER_ID + 1, "other chats are not limited")

    assert limited.value.retry_after == dt.timedelta(seconds=1)
    assert len(fake_api.messages_to(USER_ID)) == 3


async def test_group_and_global_flood_limits() -> None:
    api = FakeBotApi(
        per_chat_per_second=100,
        per_chat_burst=100,
        per_group_per_minute=2,
        group_window=0.3,
        global_per_second=3,
    )
    async with api, Bot(api.token, base_url=api.base_url) as bot:
        api.add_chat(CHANNEL_ID)
        api.add_chat(USER_ID, type="private")
        for text in ("one", "two"):
            await bot.send_message(CHANNEL_ID, text)
        with pytest.raises(RetryAfter):
            await bot.send_message(CHANNEL_ID, "three")
        await bot.send_message(USER_ID, "private chats have no per-minute limit")
        with pytest.raises(RetryAfter, match="Retry in 0:00:01"):
            await bot.send_message(USER_ID, "but all chats share 3 per second")

        await asyncio.sleep(1.0)
        await bot.send_message(CHANNEL_ID, "three")

        api.enforce_rate_limits = False
        for n in range(5):
            await bot.send_message(CHANNEL_ID, f"unlimited {n}")
    assert len(api.messages_to(CHANNEL_ID)) == 8


async def test_removed_bot_is_forbidden(ptb_bot: Bot, fake_api: FakeBotApi) -> None:
    fake_api.add_chat(CHANNEL_ID)
    fake_api.remove_bot_from(CHANNEL_ID)

    with pytest.raises(Forbidden, match="bot was kicked from the channel chat"):
        await ptb_bot.send_message(CHANNEL_ID, "digest")

    fake_api.add_chat(CHANNEL_ID)
    await ptb_bot.send_message(CHANNEL_ID, "digest")
    assert len(fake_api.sent) == 1


async def test_unknown_chat_is_not_found(ptb_bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await ptb_bot.send_message(CHANNEL_ID, "digest")
    with pytest.raises(BadRequest, match="Chat not found"):
        await ptb_bot.get_chat("@nobody_here")


async def test_migrated_group(ptb_bot: Bot, fake_api: FakeBotApi) -> None:
    fake_api.add_chat(-4001, type="group", title="Readers")
    fake_api.migrate_chat(-4001, -1009876543210)

    with pytest.raises(ChatMigrated) as migrated:
        await ptb_bot.send_message(-4001, "digest")
    await ptb_bot.send_message(migrated.value.new_chat_id, "digest")

    assert migrated.value.new_chat_id == -1009876543210
    assert (await ptb_bot.get_chat(-1009876543210)).type == "supergroup"
    assert [m.chat_id for m in fake_api.sent] == [-1009876543210]


async def test_wrong_token_and_unknown_method(fake_api: FakeBotApi) -> None:
    with pytest.raises(InvalidToken, match="was rejected by the server"):
        async with Bot("999:WRONG", base_url=fake_api.base_url):
            pass

    async with aiohttp.ClientSession() as http:
        async with http.post(f"{fake_api.base_url}{fake_api.token}/fooBar") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }
        async with http.get(f"{fake_api.base_url}999:WRONG/getMe") as response:
            assert response.status == 401
            assert (await response.json())["description"] == "Unauthorized"
    assert [method for method, _ in fake_api.requests] == ["getMe", "fooBar", "getMe"]


async def test_wait_for_messages_reports_refusals(ptb_bot: Bot, fake_api: FakeBotApi) -> None:
    with pytest.raises(BadRequest):
        await ptb_bot.send_message(USER_ID, "to nowhere")

    with pytest.raises(TimeoutError, match="sendMessage: 400 Bad Request: chat not found"):
        await fake_api.wait_for_messages(1, timeout=0.2)
