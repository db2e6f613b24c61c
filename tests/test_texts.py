"""The bot's texts: every catalog translates every text, keeps its placeholders and its markup."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from babel.messages.pofile import read_po

from bot.telegram import texts
from tests.botharness import USER_ID, bot_settings, running_bot

TRANSLATED = [language for language in texts.LANGUAGES if language != "en"]
SOURCE_TEXTS = {*texts.MESSAGES.values(), *(description for _, description in texts.COMMANDS)}


def catalog(language: str):
    with (texts.LOCALES / language / "LC_MESSAGES" / f"{texts.DOMAIN}.po").open("rb") as po:
        return {message.id: message for message in read_po(po) if message.id}


def placeholders(text: str) -> Counter[str]:
    return Counter(re.findall(r"\{\w+\}", text))


def tags(text: str) -> Counter[str]:
    return Counter(re.findall(r"</?\w+>", text))


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_text_is_translated_in_the_catalog(language):
    messages = catalog(language)

    assert set(messages) == SOURCE_TEXTS  # nothing missing, nothing left over
    untranslated = [message.id for message in messages.values() if not message.string or message.fuzzy]
    assert untranslated == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_placeholders_and_markup(language):
    for source, message in catalog(language).items():
        assert placeholders(message.string) == placeholders(source), (language, source)
        assert tags(message.string) == tags(source), (language, source)


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalog_is_what_the_bot_speaks(language):
    assert texts.text(language, "internal_error") == catalog(language)[texts.MESSAGES["internal_error"]].string


async def test_czech_and_arabic_users_are_answered_in_their_language(tmp_path, fake_api):
    async with running_bot(bot_settings(tmp_path, fake_api)):
        fake_api.user_message(USER_ID, USER_ID, "/help", language_code="cs")
        [czech] = await fake_api.wait_for_messages(1, chat_id=USER_ID)
        fake_api.user_message(USER_ID, USER_ID, "/help", language_code="ar")
        [_, arabic] = await fake_api.wait_for_messages(2, chat_id=USER_ID)
        menus = {params.get("language_code"): params for method, params in fake_api.requests
                 if method == "setMyCommands"}

    assert czech.plain_text.startswith("Shrnuji zprávy ve vašem jazyce.")
    assert arabic.plain_text.startswith("ألخّص الأخبار بلغتك.")
    assert {"cs", "ar"} <= set(menus)
