"""Refusal: a request the bot declines, named so the Telegram layer can answer in the user's language."""

from __future__ import annotations


class Refusal(Exception):
    """`key` names the answer (bot/telegram/texts.py has the texts); `params` fill it in."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def refuse_longer_than(limit: int, value: str) -> None:
    """Refuse an argument longer than any real value of its kind, before anything is looked up or saved."""
    if len(value) > limit:
        raise Refusal("too_long", length=len(value), limit=limit)
