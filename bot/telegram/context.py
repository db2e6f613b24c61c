"""What handlers and jobs get: PTB's context, plus the use cases, the outbox and the sender's language."""

from __future__ import annotations

from telegram.ext import CallbackContext, ExtBot

from bot.usecases import UseCases
from bot.usecases.delivery import Senders

USECASES, OUTBOX = "usecases", "outbox"


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):
    @property
    def usecases(self) -> UseCases:
        return self.bot_data[USECASES]

    @property
    def outbox(self) -> Senders:
        return self.bot_data[OUTBOX]

    @property
    def language(self) -> str:
        """Set for each update by the handlers' first step (see bot.telegram.handlers.remember_language)."""
        return (self.user_data or {}).get("language", "en")
