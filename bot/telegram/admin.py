"""Handlers for channel and group administrators: feeds, schedule, filters, digests, status, OPML.

In a group, the commands manage the group itself. In a private chat, the first argument names
the channel: `/addfeed @my_channel https://example.org/rss`. Who may do what is checked first
(bot/telegram/access.py: chat administrators and the bot's operators).
"""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.feeds.opml import MAX_OPML_BYTES
from bot.telegram import access, texts
from bot.telegram.context import BotContext
from bot.telegram.handlers import NEW_MESSAGES, command_target, managed_chat, typing
from bot.telegram.html import NO_PREVIEW
from bot.usecases.refusal import Refusal

OPML_FILES = filters.Document.FileExtension("opml") | filters.Document.MimeType("text/x-opml")


async def list_feeds(update: Update, context: BotContext) -> None:
    """/feeds [@channel]"""
    target, _ = command_target(update, context.args)
    chat = await managed_chat(update, context, target)
    feeds = await context.usecases.channels.feeds(chat)
    await update.effective_message.reply_html(texts.feed_list(context.language, chat.label, feeds),
                                              link_preview_options=NO_PREVIEW)


async def add_feed(update: Update, context: BotContext) -> None:
    """/addfeed [@channel] URL"""
    target, args = command_target(update, context.args)
    if len(args) != 1:
        await update.effective_message.reply_html(texts.usage(context.language, "/addfeed [@channel] URL"))
        return
    chat = await managed_chat(update, context, target)
    async with typing(update.effective_chat):
        feed = await context.usecases.channels.add_feed(chat, update.effective_user.id, args[0])
    await update.effective_message.reply_html(
        texts.text(context.language, "feed_added", chat=chat.label, name=feed.name)
    )


async def remove_feed(update: Update, context: BotContext) -> None:
    """/removefeed [@channel] NAME"""
    target, args = command_target(update, context.args)
    if len(args) != 1:
        await update.effective_message.reply_html(texts.usage(context.language, "/removefeed [@channel] NAME"))
        return
    chat = await managed_chat(update, context, target)
    await context.usecases.channels.remove_feed(chat, update.effective_user.id, args[0])
    await update.effective_message.reply_html(
        texts.text(context.language, "feed_removed", chat=chat.label, name=args[0])
    )


async def set_schedule(update: Update, context: BotContext) -> None:
    """/schedule [@channel] HH:MM [Area/City]"""
    target, args = command_target(update, context.args)
    if len(args) not in (1, 2):
        await update.effective_message.reply_html(
            texts.usage(context.language, "/schedule [@channel] HH:MM [Europe/Prague]")
        )
        return
    at, zone = args[0], args[1] if len(args) == 2 else None
    chat = await managed_chat(update, context, target)
    channel = await context.usecases.channels.set_schedule(chat, update.effective_user.id, at, zone)
    await update.effective_message.reply_html(texts.schedule_set(context.language, channel))


async def set_filters(update: Update, context: BotContext) -> None:
    """/filters [@channel] +word -word +topic:some words … | clear"""
    target, args = command_target(update, context.args)
    if not args:
        await update.effective_message.reply_html(
            texts.usage(context.language, "/filters [@channel] +keyword -keyword +/regex/ +topic:some words | clear")
        )
        return
    chat = await managed_chat(update, context, target)
    channel = await context.usecases.channels.set_filters(chat, update.effective_user.id, args)
    await update.effective_message.reply_html(texts.filters_set(context.language, channel))


async def post_digest(update: Update, context: BotContext) -> None:
    """/digest [@channel]: the next digest, now."""
    target, _ = command_target(update, context.args)
    chat = await managed_chat(update, context, target)
    async with typing(update.effective_chat):
        outcome = await context.usecases.channels.post_digest_now(chat)
    await update.effective_message.reply_html(texts.digest_outcome(context.language, outcome))


async def status(update: Update, context: BotContext) -> None:
    """/status [@channel]"""
    target, _ = command_target(update, context.args)
    operators = context.usecases.resources.settings.telegram.admins
    chat = await access.status_target(context.bot, operators, update.effective_user.id, target)
    report = await context.usecases.channels.status(chat)
    await update.effective_message.reply_html(texts.status_report(context.language, report),
                                              link_preview_options=NO_PREVIEW)


async def export_opml(update: Update, context: BotContext) -> None:
    """/export [@channel]: the channel's feeds as an OPML file."""
    target, _ = command_target(update, context.args)
    chat = await managed_chat(update, context, target)
    opml = await context.usecases.channels.export_opml(chat)
    await update.effective_message.reply_document(
        InputFile(opml, filename=f"{chat.label.lstrip('@')}-feeds.opml"),
        caption=texts.text(context.language, "export_caption", chat=chat.label),
        parse_mode=ParseMode.HTML,
    )


async def import_opml(update: Update, context: BotContext) -> None:
    """An .opml file (in a private chat, with '@channel' as its caption) adds the feeds it lists."""
    message = update.effective_message
    target, _ = command_target(update, (message.caption or "").split())
    chat = await managed_chat(update, context, target)
    if (message.document.file_size or 0) > MAX_OPML_BYTES:
        raise Refusal("opml_too_big", limit=MAX_OPML_BYTES // 1000)
    data = bytes(await (await message.document.get_file()).download_as_bytearray())
    result = await context.usecases.channels.import_opml(chat, update.effective_user.id, data)
    await message.reply_html(texts.opml_imported(context.language, result), link_preview_options=NO_PREVIEW)


def admin_handlers() -> list[BaseHandler]:
    return [
        CommandHandler("feeds", list_feeds, filters=NEW_MESSAGES),
        CommandHandler("addfeed", add_feed, filters=NEW_MESSAGES),
        CommandHandler("removefeed", remove_feed, filters=NEW_MESSAGES),
        CommandHandler("schedule", set_schedule, filters=NEW_MESSAGES),
        CommandHandler("filters", set_filters, filters=NEW_MESSAGES),
        CommandHandler("digest", post_digest, filters=NEW_MESSAGES),
        CommandHandler("status", status, filters=NEW_MESSAGES),
        CommandHandler("export", export_opml, filters=NEW_MESSAGES),
        MessageHandler(OPML_FILES & NEW_MESSAGES, import_opml),
    ]
