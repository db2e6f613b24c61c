"""Handlers for channel and group administrators: feeds, schedule, filters, digests, status, OPML.

In a group, the commands manage the group itself. In a private chat, the first argument names
the channel: `/addfeed @my_channel https://example.org/rss`. Who may do what is checked by the
services (chat administrators and the bot's operators).
"""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.services import BotContext
from bot.telegram import messages
from bot.telegram.format import NO_PREVIEW
from bot.telegram.handlers import NEW_MESSAGES, command_target, typing

OPML_FILES = filters.Document.FileExtension("opml") | filters.Document.MimeType("text/x-opml")


async def list_feeds(update: Update, context: BotContext) -> None:
    """/feeds [@channel]"""
    target, _ = command_target(update, context.args)
    chat, feeds = await context.services.channels.feeds(update.effective_user.id, target)
    await update.effective_message.reply_html(messages.feed_list(context.language, chat, feeds),
                                              link_preview_options=NO_PREVIEW)


async def add_feed(update: Update, context: BotContext) -> None:
    """/addfeed [@channel] URL"""
    target, args = command_target(update, context.args)
    if len(args) != 1:
        await update.effective_message.reply_html(messages.usage(context.language, "/addfeed [@channel] URL"))
        return
    async with typing(update.effective_chat):
        chat, feed = await context.services.channels.add_feed(update.effective_user.id, target, args[0])
    await update.effective_message.reply_html(messages.text(context.language, "feed_added", chat=chat, name=feed.name))


async def remove_feed(update: Update, context: BotContext) -> None:
    """/removefeed [@channel] NAME"""
    target, args = command_target(update, context.args)
    if len(args) != 1:
        await update.effective_message.reply_html(messages.usage(context.language, "/removefeed [@channel] NAME"))
        return
    chat = await context.services.channels.remove_feed(update.effective_user.id, target, args[0])
    await update.effective_message.reply_html(messages.text(context.language, "feed_removed", chat=chat, name=args[0]))


async def set_schedule(update: Update, context: BotContext) -> None:
    """/schedule [@channel] HH:MM [Area/City]"""
    target, args = command_target(update, context.args)
    if len(args) not in (1, 2):
        await update.effective_message.reply_html(
            messages.usage(context.language, "/schedule [@channel] HH:MM [Europe/Prague]")
        )
        return
    at, zone = args[0], args[1] if len(args) == 2 else None
    channel = await context.services.channels.set_schedule(update.effective_user.id, target, at, zone)
    await update.effective_message.reply_html(messages.schedule_set(context.language, channel))


async def set_filters(update: Update, context: BotContext) -> None:
    """/filters [@channel] +word -word … | clear"""
    target, args = command_target(update, context.args)
    if not args:
        await update.effective_message.reply_html(
            messages.usage(context.language, "/filters [@channel] +keyword -keyword +/regex/ | clear")
        )
        return
    channel = await context.services.channels.set_filters(update.effective_user.id, target, args)
    await update.effective_message.reply_html(messages.filters_set(context.language, channel))


async def post_digest(update: Update, context: BotContext) -> None:
    """/digest [@channel]: the next digest, now."""
    target, _ = command_target(update, context.args)
    async with typing(update.effective_chat):
        outcome = await context.services.channels.post_digest_now(update.effective_user.id, target)
    await update.effective_message.reply_html(messages.digest_outcome(context.language, outcome))


async def status(update: Update, context: BotContext) -> None:
    """/status [@channel]"""
    target, _ = command_target(update, context.args)
    report = await context.services.channels.status(update.effective_user.id, target)
    await update.effective_message.reply_html(messages.status_report(context.language, report),
                                              link_preview_options=NO_PREVIEW)


async def export_opml(update: Update, context: BotContext) -> None:
    """/export [@channel]: the channel's feeds as an OPML file."""
    target, _ = command_target(update, context.args)
    chat, opml = await context.services.channels.export_opml(update.effective_user.id, target)
    await update.effective_message.reply_document(
        InputFile(opml, filename=f"{chat.lstrip('@')}-feeds.opml"),
        caption=messages.text(context.language, "export_caption", chat=chat),
        parse_mode=ParseMode.HTML,
    )


async def import_opml(update: Update, context: BotContext) -> None:
    """An .opml file (in a private chat, with '@channel' as its caption) adds the feeds it lists."""
    message = update.effective_message
    target, _ = command_target(update, (message.caption or "").split())
    result = await context.services.channels.import_opml(update.effective_user.id, target, message.document)
    await message.reply_html(messages.opml_imported(context.language, result), link_preview_options=NO_PREVIEW)


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
