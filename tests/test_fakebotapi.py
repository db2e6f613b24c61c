"""The fake Bot API's methods, driven by PTB's own Bot and Application over real HTTP."""

import asyncio
import time

import aiohttp
import pytest
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from tests.fakebotapi import FakeBotApi
from tests.fakebotapi.fixtures import CHANNEL_ID, USER_ID


async def test_get_me(ptb_bot: Bot, fake_api: FakeBotApi) -> None:
    me = await ptb_bot.get_me()

    assert me.id == fake_api.bot_id == 123
    assert me.is_bot
    assert me.username == "briefbot_test_bot"
    assert fake_api.requests[0] == ("getMe", {})


async def test_send_message_is_recorded(ptb_bot: Bot, fake_api: FakeBotApi) -> None:
    fake_api.add_chat(CHANNEL_ID, username="briefnews", title="Brief News")

    first = await ptb_bot.send_message(
        CHANNEL_ID, "<b>Digest</b> &amp; more", parse_mode=ParseMode.HTML
    )
    second = await ptb_bot.send_message(
        "@briefnews", "Follow-up", reply_to_message_id=first.message_id
    )

    assert (first.message_id, second.message_id) == (1, 2)
    assert first.text == "Digest & more"
    assert first.entities == (MessageEntity(MessageEntity.BOLD, 0, 6),)
    assert first.sender_chat.id == CHANNEL_ID
    assert second.reply_to_message.message_id == first.message_id
    recorded = fake_api.messages_to(CHANNEL_ID)
    assert [(m.text, m.plain_text, m.parse_mode) for m in recorded] == [
        ("<b>Digest</b> &amp; more", "Digest & more", "HTML"),
        ("Follow-up", "Follow-up", None),
    ]
    assert recorded[1].reply_to_message_id == 1
    assert isinstance(recorded[0].date, int)
    assert fake_api.sent == recorded


async def test_supported_html_is_accepted(ptb_bot: Bot, fake_api: FakeBotApi) -> None:
    fake_api.add_chat(USER_ID, type="private")
    text = (
        '<strong>S</strong> <em>e</em> <ins>u</ins> <del>d</del> <tg-spoiler>t</tg-spoiler> '
        '<span class="tg-spoiler">p</span> <a href="https://example.com/?a=1&amp;b=2">link</a> '
        '<blockquote expandable>quote</blockquote> <pre><code class="language-python">x = 1'
        "</code></pre> &#128240; &quot;q&quot;"
    )

    message = await ptb_bot.send_message(USER_ID, text, parse_mode=ParseMode.HTML)

    assert message.text == 'S e u d t p link quote x = 1 📰 "q"'
    kinds = {entity.type: entity for entity in message.entities}
    assert kinds[MessageEntity.TEXT_LINK].url == "https://example.com/?a=1&b=2"
    assert kinds[MessageEntity.PRE].language == "python"
    assert MessageEntity.EXPANDABLE_BLOCKQUOTE in kinds


async def test_get_updates_parses_commands(ptb_bot: Bot, fake_api: FakeBotApi) -> None:
    pushed = fake_api.user_message(
        USER_ID, USER_ID, "/summarize https://example.com/story", language_code="de"
    )

    [update] = await ptb_bot.get_updates()

    assert isinstance(update, Update)
    assert update.update_id == pushed["update_id"]
    assert update.message.text == "/summarize https://example.com/story"
    assert update.message.from_user.language_code == "de"
    assert update.message.chat.type == "private"
    assert update.message.parse_entities() == {
        MessageEntity(MessageEntity.BOT_COMMAND, 0, 10): "/summarize",
        MessageEntity(MessageEntity.URL, 11, 25): "https://example.com/story",
    }
    # Not confirmed yet: delivered again until a later offset is sent.
    assert len(await ptb_bot.get_updates()) == 1
    assert await ptb_bot.get_updates(offset=update.update_id + 1) == ()
    # The user wrote to the bot, so their private chat is known.
    await ptb_bot.send_message(USER_ID, "Summary coming up")


async def test_message_details_in_updates(ptb_bot: Bot, fake_api: FakeBotApi) -> None:
    fake_api.add_chat(CHANNEL_ID, username="briefnews", title="Brief News")
    fake_api.add_chat(-100555, type="supergroup", title="Readers")
    digest = await ptb_bot.send_message(-100555, "Digest")
    fake_api.user_message(
        -100555, USER_ID, "/summarize@briefbot_test_bot", reply_to=fake_api.messages_to(-100555)[0]
    )
    fake_api.user_message(USER_ID, USER_ID, "look", forward_from_chat={"id": CHANNEL_ID})

    reply, forward = [u.message for u in await ptb_bot.get_updates()]

    assert reply.reply_to_message.message_id == digest.message_id
    assert reply.reply_to_message.from_user.id == fake_api.bot_id
    assert reply.entities[0].type == MessageEntity.BOT_COMMAND
    assert reply.message_id == digest.message_id + 1
    assert forward.forward_origin.chat.username == "briefnews"


async def test_long_poll_returns_when_update_is_pushed(ptb_bot: Bot, fake_api: FakeBotApi) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(ptb_bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    fake_api.user_message(USER_ID, USER_ID, "hello")

    updates = await poll

    assert [u.message.text for u in updates] == ["hello"]
    assert time.monotonic() - started < 2


async def test_newer_poll_ends_older_one(ptb_bot: Bot, fake_api: FakeBotApi) -> None:
    older = asyncio.create_task(ptb_bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)

    # A second Bot: each Bot allows itself only one getUpdates at a time.
    async with Bot(fake_api.token, base_url=fake_api.base_url) as second_instance:
        assert await second_instance.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await older


async def test_stop_answers_pending_long_poll(ptb_bot: Bot, fake_api: FakeBotApi) -> None:
    poll = asyncio.create_task(ptb_bot.get_updates(timeout=30))
    await asyncio.sleep(0.2)
    started = time.monotonic()

    await fake_api.stop()

    assert await poll == ()
    assert time.monotonic() - started < 2


async def test_get_updates_conflicts_with_webhook(ptb_bot: Bot, fake_api: FakeBotApi) -> None:
    await ptb_bot.set_webhook("https://bot.example.com/hook")
    assert (await ptb_bot.get_webhook_info()).url == "https://bot.example.com/hook"

    with pytest.raises(Conflict, match="webhook is active"):
        await ptb_bot.get_updates()
    fake_api.user_message(USER_ID, USER_ID, "/start")
    await ptb_bot.delete_webhook(drop_pending_updates=True)

    assert await ptb_bot.get_updates() == ()


async def test_opml_upload_can_be_downloaded(ptb_bot: Bot, fake_api: FakeBotApi) -> None:
    opml = b'<?xml version="1.0"?><opml version="2.0"><body/></opml>'
    document = fake_api.add_file("opml-file-1", opml, "feeds.opml")
    fake_api.user_message(USER_ID, USER_ID, None, document=document, caption="/import")

    [update] = await ptb_bot.get_updates()
    telegram_file = await update.message.document.get_file()

    assert update.message.document.file_name == "feeds.opml"
    assert update.message.caption_entities[0].type == MessageEntity.BOT_COMMAND
    assert telegram_file.file_path.startswith(fake_api.base_file_url)
    assert bytes(await telegram_file.download_as_bytearray()) == opml
    with pytest.raises(BadRequest, match="Invalid file_id"):
        await ptb_bot.get_file("missing")


async def test_send_document_upload(ptb_bot: Bot, fake_api: FakeBotApi) -> None:
    fake_api.add_chat(USER_ID, type="private")

    message = await ptb_bot.send_document(
        USER_ID, b"<opml/>", filename="export.opml", caption="<b>Your feeds</b>", parse_mode="HTML"
    )

    [sent] = fake_api.sent
    assert sent.method == "sendDocument"
    assert (sent.text, sent.plain_text) == ("<b>Your feeds</b>", "Your feeds")
    assert (sent.document.file_name, sent.document.content) == ("export.opml", b"<opml/>")
    assert message.document.file_name == "export.opml"
    assert message.caption == "Your feeds"
    # The uploaded file is now on the "server": resendable by file_id and downloadable.
    await ptb_bot.send_document(USER_ID, message.document.file_id)
    downloaded = await (await ptb_bot.get_file(message.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == b"<opml/>"


async def test_edit_message_text(ptb_bot: Bot, fake_api: FakeBotApi) -> None:
    fake_api.add_chat(USER_ID, type="private")
    placeholder = await ptb_bot.send_message(USER_ID, "Summarizing…")

    summary = {"chat_id": USER_ID, "message_id": placeholder.message_id, "parse_mode": "HTML"}

    edited = await ptb_bot.edit_message_text("<b>Summary</b>", **summary)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await ptb_bot.edit_message_text("<b>Summary</b>", **summary)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await ptb_bot.edit_message_text("x", USER_ID, 999)

    assert edited.text == "Summary"
    assert edited.edit_date is not None
    assert [(m.method, m.message_id) for m in fake_api.sent] == [
        ("sendMessage", placeholder.message_id),
        ("editMessageText", placeholder.message_id),
    ]


async def test_chat_info_and_members(ptb_bot: Bot, fake_api: FakeBotApi) -> None:
    fake_api.add_chat(CHANNEL_ID, username="briefnews", title="Brief News", admins=[USER_ID])

    chat = await ptb_bot.get_chat("@briefnews")
    admin = await ptb_bot.get_chat_member(CHANNEL_ID, USER_ID)
    stranger = await ptb_bot.get_chat_member(CHANNEL_ID, 777)
    admins = await ptb_bot.get_chat_administrators(CHANNEL_ID)

    assert (chat.id, chat.title, chat.type) == (CHANNEL_ID, "Brief News", "channel")
    assert admin.status == "administrator"
    assert stranger.status == "left"
    assert [member.user.id for member in admins] == [USER_ID, fake_api.bot_id]
    assert admins[1].can_post_messages


async def test_commands_chat_action_and_callbacks(ptb_bot: Bot, fake_api: FakeBotApi) -> None:
    fake_api.add_chat(USER_ID, type="private")
    commands = [BotCommand("start", "Start"), BotCommand("summarize", "Summarize a link")]

    assert await ptb_bot.set_my_commands(commands)
    assert await ptb_bot.get_my_commands() == tuple(commands)
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await ptb_bot.set_my_commands([BotCommand("Bad-Name", "x")])
    assert await ptb_bot.send_chat_action(USER_ID, "typing")

    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("More", callback_data="more")]])
    digest = await ptb_bot.send_message(USER_ID, "Digest", reply_markup=keyboard)
    fake_api.user_callback_query(USER_ID, USER_ID, "more", message_id=digest.message_id)
    [update] = await ptb_bot.get_updates()

    assert update.callback_query.data == "more"
    assert update.callback_query.message.reply_markup == keyboard
    assert await update.callback_query.answer("Loading")
    with pytest.raises(BadRequest, match="Query is too old"):
        await update.callback_query.answer()


async def test_json_bodies_are_accepted(fake_api: FakeBotApi) -> None:
    fake_api.add_chat(USER_ID, type="private")

    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{fake_api.base_url}{fake_api.token}/sendMessage",
            json={"chat_id": USER_ID, "text": "<i>hi</i>", "parse_mode": "HTML"},
        ) as response:
            body = await response.json()

    assert body["ok"] is True
    assert body["result"]["entities"] == [{"type": "italic", "offset": 0, "length": 2}]
    assert fake_api.requests == [
        ("sendMessage", {"chat_id": USER_ID, "text": "<i>hi</i>", "parse_mode": "HTML"})
    ]


async def test_application_replies_to_start(fake_api: FakeBotApi) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"Welcome, {update.effective_user.first_name}!")

    app = (
        ApplicationBuilder()
        .token(fake_api.token)
        .base_url(fake_api.base_url)
        .base_file_url(fake_api.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))

    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0.05)
        try:
            fake_api.user_message(USER_ID, USER_ID, "/start")
            [reply] = await fake_api.wait_for_messages(1, chat_id=USER_ID, timeout=5)
        finally:
            await app.updater.stop()
            await app.stop()

    assert reply.text == f"Welcome, User {USER_ID}!"
    called = [method for method, _ in fake_api.requests]
    assert called[:3] == ["getMe", "deleteWebhook", "getUpdates"]
    # The updater confirmed the /start update when it stopped.
    assert fake_api.requests[-1][0] == "getUpdates"
    async with Bot(fake_api.token, base_url=fake_api.base_url) as bot:
        assert await bot.get_updates() == ()


async def test_create_forum_topic_makes_a_thread_messages_can_go_to(fake_api, ptb_bot):
    forum_id = -1003000000001
    fake_api.add_chat(forum_id, type="supergroup", topics=[])
    fake_api.add_chat(CHANNEL_ID, type="channel")

    topic = await ptb_bot.create_forum_topic(forum_id, "Harbour Herald")
    sent = await ptb_bot.send_message(forum_id, "in the topic", message_thread_id=topic.message_thread_id)
    with pytest.raises(BadRequest, match="not a forum"):
        await ptb_bot.create_forum_topic(CHANNEL_ID, "Harbour Herald")

    assert fake_api.forum_topics(forum_id) == {topic.message_thread_id: "Harbour Herald"}
    assert sent.message_thread_id == topic.message_thread_id and sent.is_topic_message


async def test_create_forum_topic_is_refused_without_the_right_to_manage_topics(fake_api, ptb_bot):
    forum_id = -1003000000002
    fake_api.add_chat(forum_id, type="supergroup", topics=[], admins=[fake_api.bot_id], bot_manages_topics=False)

    member = await ptb_bot.get_chat_member(forum_id, ptb_bot.id)
    with pytest.raises(BadRequest, match="Not enough rights to create a topic"):
        await ptb_bot.create_forum_topic(forum_id, "Harbour Herald")

    assert fake_api.forum_topics(forum_id) == {}
    assert member.status == "administrator" and member.can_manage_topics is False
