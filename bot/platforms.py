"""The platforms a channel can be on: how each renders a digest, and its sender for the outbox."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot

from bot.discord import render as discord_render
from bot.discord.outbox import DiscordOutbox
from bot.matrix import render as matrix_render
from bot.matrix.outbox import MatrixOutbox
from bot.metrics import Metrics
from bot.slack import render as slack_render
from bot.slack.outbox import SlackOutbox
from bot.telegram import render as telegram_render
from bot.telegram.outbox import Outbox
from bot.usecases.delivery import Delivery, OnPaused, Senders
from bot.usecases.digests import Renders
from config.settings import Settings

RENDERS: Renders = {
    "telegram": telegram_render.render_digest,
    "matrix": matrix_render.render_digest,
    "discord": discord_render.render_digest,
    "slack": slack_render.render_digest,
}


def senders(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], bot: Bot, metrics: Metrics, on_paused: OnPaused,
) -> Senders:
    """Telegram's sender when the bot has a token, Matrix's when it has a Matrix account, Discord's and
    Slack's when a channel is there (by a webhook, or as the bot by a channel id)."""
    platforms: dict[str, Delivery] = {}
    if settings.telegram.token:
        platforms["telegram"] = Outbox(sessions, bot, metrics, on_paused=on_paused)
    matrix = settings.matrix
    if matrix.homeserver and matrix.access_token:
        platforms["matrix"] = MatrixOutbox(sessions, matrix.homeserver, matrix.access_token, metrics,
                                           on_paused=on_paused)
    for platform, sender, account in (("discord", DiscordOutbox, settings.discord),
                                      ("slack", SlackOutbox, settings.slack)):
        on_platform = [channel for channel in settings.channels if channel.platform == platform]
        webhooks = {channel.chat: channel.webhook_url for channel in on_platform if channel.webhook_url}
        as_bot = {channel.chat: channel.channel_id for channel in on_platform if channel.channel_id}
        if webhooks or as_bot:
            platforms[platform] = sender(sessions, webhooks, metrics, on_paused=on_paused, channels=as_bot,
                                         account=account)
    return Senders(sessions, platforms)
