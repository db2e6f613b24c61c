"""Handlers for everyone: /start, /help, /summarize, /language, unknown commands, and the error handler.

Each handler parses the update, makes one use-case call and replies. A use case that declines a
request raises Refusal; `on_error` answers it in the user's language, so handlers only deal with
requests that work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import Chat, Message, MessageEntity, Update
from telegram.constants import ChatAction, ChatType
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.telegram import access, texts
from bot.telegram.context import BotContext
from bot.telegram.html import NO_PREVIEW
from bot.usecases.channels import ManagedChat
from bot.usecases.refusal import Refusal
from bot.usecases.summaries import Source

log = logging.getLogger(__name__)

# Edits of old commands are not new requests.
NEW_MESSAGES = filters.UpdateType.MESSAGE
# Telegram shows "typing…" for 5 seconds; renewed a little sooner.
TYPING_RENEWAL = 4.0
# A chat named in the first argument: "@channel_name" or a numeric chat id (negative for groups and channels).
_CHAT_REF = re.compile(r"@\w{4,}|-\d+")
_BARE_LINK = re.compile(r"(?i)https?://\S+")


def command_target(update: Update, args: list[str]) -> tuple[str | int | None, list[str]]:
    """The chat a command is about and the remaining arguments.

    '@channel' (or a chat id) first names it; otherwise a group's command is about the group,
    and a private chat's about nothing (None).
    """
    if args and _CHAT_REF.fullmatch(args[0]):
        ref = args[0]
        return (ref if ref.startswith("@") else int(ref)), args[1:]
    chat = update.effective_chat
    if chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        return chat.id, args
    return None, args


async def managed_chat(update: Update, context: BotContext, chat_ref: str | int | None) -> ManagedChat:
    """The chat a command is about, if the sender may manage it (else a Refusal)."""
    operators = context.usecases.resources.settings.telegram.admins
    return await access.managed_chat(context.bot, operators, update.effective_user.id, chat_ref)


@asynccontextmanager
async def typing(chat: Chat) -> AsyncIterator[None]:
    """Show "typing…" in the chat while the block runs."""
    done = asyncio.Event()

    async def keep_typing() -> None:
        while not done.is_set():
            with contextlib.suppress(TelegramError):
                await chat.send_action(ChatAction.TYPING)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), TYPING_RENEWAL)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        done.set()
        await task  # a request already sent is let finish rather than cut off


def _links(message: Message) -> list[str]:
    """Links in a message's text or caption, in order (Telegram marks them as entities)."""
    kinds = [MessageEntity.URL, MessageEntity.TEXT_LINK]
    found = message.parse_entities(kinds) if message.text else message.parse_caption_entities(kinds)
    links = [entity.url or text for entity, text in found.items()]
    return [link if re.match(r"(?i)https?://", link) else f"http://{link}" for link in links]


def requested_source(message: Message) -> Source | None:
    """What /summarize is about: its argument (one link, or a text), else the message it replies to
    (its link if it has one, else its text or caption); None when there is nothing."""
    parts = (message.text or "").split(maxsplit=1)
    argument = parts[1].strip() if len(parts) > 1 else ""
    if argument:
        if len(argument.split()) > 1:
            return Source(text=argument)
        # Bridges, some clients and forwarded text send a bare link without a URL entity.
        links = _links(message) or ([argument] if _BARE_LINK.fullmatch(argument) else [])
        return Source(url=links[0]) if links else Source(text=argument)
    replied = message.reply_to_message
    if replied is None:
        return None
    links = _links(replied)
    if links:
        return Source(url=links[0])
    content = replied.text or replied.caption
    return Source(text=content) if content else None


# -- handlers --------------------------------------------------------------------------------


async def remember_language(update: Update, context: BotContext) -> None:
    """Runs first for every update: the sender's language, for replies and summaries."""
    user = update.effective_user
    if user is not None:
        context.user_data["language"] = await context.usecases.users.language(user.id, user.language_code)


async def help_command(update: Update, context: BotContext) -> None:
    """/start and /help."""
    await update.effective_message.reply_html(texts.text(context.language, "help"), link_preview_options=NO_PREVIEW)


async def summarize(update: Update, context: BotContext) -> None:
    """/summarize LINK, /summarize TEXT, or /summarize in reply to a message."""
    message = update.effective_message
    source = requested_source(message)
    if source is None:
        await message.reply_html(texts.text(context.language, "summarize_usage"))
        return

    async def tell_position(position: int) -> None:
        await message.reply_html(texts.text(context.language, "in_line", position=position))

    async with typing(message.chat):
        result = await context.usecases.summaries.summarize(
            update.effective_user.id, source, context.language, on_wait=tell_position
        )
    await message.reply_html(texts.summary_reply(context.language, result), link_preview_options=NO_PREVIEW)


async def language(update: Update, context: BotContext) -> None:
    """/language CODE: the user's own language in a private chat; with @channel (or in a group), the channel's."""
    target, args = command_target(update, context.args)
    if len(args) != 1:
        await update.effective_message.reply_html(texts.usage(context.language, "/language [@channel] CODE"))
        return
    if target is None:
        chosen = await context.usecases.users.set_language(update.effective_user.id, args[0])
        await update.effective_message.reply_html(texts.text(chosen, "language_set_user", language=chosen))
        return
    chat = await managed_chat(update, context, target)
    channel = await context.usecases.channels.set_language(chat, update.effective_user.id, args[0])
    await update.effective_message.reply_html(
        texts.text(context.language, "language_set_channel", chat=channel.chat, language=channel.language)
    )


async def unknown_command(update: Update, context: BotContext) -> None:
    """A command the bot doesn't have: point to /help (in groups, only when the command names this bot)."""
    command, _, addressee = update.effective_message.text.split()[0].partition("@")
    if addressee and addressee.lower() != context.bot.username.lower():
        return  # another bot's command
    if not addressee and update.effective_chat.type != ChatType.PRIVATE:
        return  # in a group, a bare command may be meant for another bot
    await update.effective_message.reply_html(texts.text(context.language, "unknown_command", command=command))


async def on_error(update: object, context: BotContext) -> None:
    """Refusals get their answer; anything else is logged, the user is told, and the bot carries on."""
    message = update.effective_message if isinstance(update, Update) else None
    if isinstance(context.error, Refusal):
        if message is not None:
            await _answer_error(message, texts.refusal(context.language, context.error), context.error.key)
        else:
            log.warning("job declined: %s %s", context.error.key, context.error.params)
        return
    log.error("%s failed", "an update" if update else "a job", exc_info=context.error)
    if isinstance(context.error, TelegramError):
        context.usecases.metrics.telegram_error(context.error)
    if message is not None:
        await _answer_error(message, texts.text(context.language, "internal_error"), "internal_error")


async def _answer_error(message: Message, answer: str, key: str) -> None:
    # A failure here is logged once, plainly: raised, PTB would log it and the first error again,
    # with both tracebacks.
    try:
        await message.reply_html(answer, link_preview_options=NO_PREVIEW)
    except TelegramError as exc:
        log.warning("could not answer chat %s with %s: %s", message.chat_id, key, exc)


def user_handlers() -> list[BaseHandler]:
    return [
        CommandHandler(["start", "help"], help_command, filters=NEW_MESSAGES),
        CommandHandler("summarize", summarize, filters=NEW_MESSAGES),
        CommandHandler("language", language, filters=NEW_MESSAGES),
    ]


def unknown_command_handler() -> BaseHandler:
    """Register it last: it takes every command the other handlers left."""
    return MessageHandler(filters.COMMAND & NEW_MESSAGES, unknown_command)
