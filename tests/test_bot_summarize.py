"""/summarize, /language and unknown commands, through the fake Bot API with the real Application."""

from __future__ import annotations

import asyncio

from bot.usecases.summaries import Limits
from tests.botharness import USER_ID, bot_settings, running_bot
from tests.doubles import SUMMARY, FakeBackend
from tests.fakebotapi import FakeBotApi
from tests.feedserver import FeedServer, reply

ARTICLE_TEXT = (
    "The city council approved the new budget on Tuesday after a long debate. "
    "The plan gives more money to schools and to the repair of roads in the north of the city. "
    "Opposition members said the increase in local taxes was too high for families."
)
ARTICLE_PAGE = f"""<!doctype html><html lang="en"><head><title>Council approves budget</title></head>
<body><nav>Home | News</nav><article><h1>Council approves budget</h1>
<p>{ARTICLE_TEXT}</p><p>{ARTICLE_TEXT}</p></article><footer>(c) Herald</footer></body></html>""".encode()
HTML = {"Content-Type": "text/html; charset=utf-8"}
GROUP_ID = -1009876543210


async def summarize_reply(api: FakeBotApi, chat_id: int, user_id: int, text: str, **options) -> str:
    """Send a message and return the bot's answer in that chat, as the user sees it."""
    before = len(api.messages_to(chat_id))
    api.user_message(chat_id, user_id, text, **options)
    messages = await api.wait_for_messages(before + 1, chat_id=chat_id)
    return messages[before].plain_text


FRENCH_SUMMARY = "Le conseil municipal a approuvé le nouveau budget mardi après un long débat sur les écoles."


async def test_summarize_text_answers_in_the_users_language_with_source_language(tmp_path, fake_api):
    backend = FakeBackend(FRENCH_SUMMARY)
    async with running_bot(bot_settings(tmp_path, fake_api), backend=backend):
        answer = await summarize_reply(fake_api, USER_ID, USER_ID, f"/summarize {ARTICLE_TEXT}", language_code="fr")

    assert answer == f"{FRENCH_SUMMARY}\n\nLangue d'origine : en"
    assert backend.prompts[0].startswith("[fr] ")  # summary asked for in the user's language
    methods = [method for method, _ in fake_api.requests]
    assert methods.index("sendChatAction") < methods.index("sendMessage")
    assert ("sendChatAction", {"chat_id": USER_ID, "action": "typing"}) in fake_api.requests


async def test_summarize_link_reads_the_page_when_private_urls_are_allowed(tmp_path, fake_api, web: FeedServer):
    web.route("/article", reply(ARTICLE_PAGE, headers=HTML))
    settings = bot_settings(tmp_path, fake_api, security={"allow_private_urls": True})
    backend = FakeBackend()
    async with running_bot(settings, backend=backend):
        fake_api.user_message(USER_ID, USER_ID, f"/summarize {web.url('/article')}")
        [answer] = await fake_api.wait_for_messages(1, chat_id=USER_ID)

    assert SUMMARY in answer.plain_text
    assert f'<a href="{web.url("/article")}">Council approves budget</a>' in answer.text
    assert "Opposition members" in backend.prompts[0]
    assert "Home | News" not in backend.prompts[0]


async def test_a_summary_that_fails_the_checks_is_replaced_by_the_opening_of_the_text(tmp_path, fake_api):
    invented = "Mayor Johnson approved the budget, which gives 40 million to schools."
    async with running_bot(bot_settings(tmp_path, fake_api), backend=FakeBackend(invented)):
        answer = await summarize_reply(fake_api, USER_ID, USER_ID, f"/summarize {ARTICLE_TEXT}")
        in_french = await summarize_reply(fake_api, USER_ID, USER_ID, f"/summarize {ARTICLE_TEXT}",
                                          language_code="fr")

    note, opening, footer = answer.split("\n\n")
    assert note == "I couldn't write a summary I could check against the text, so here is how it begins:"
    assert opening.startswith("The city council approved the new budget on Tuesday after a long debate.")
    assert "Johnson" not in answer and "40" not in answer
    assert footer == "Original language: en"
    # Asked for French, the English-only stand-in model's answer is the wrong language: withheld too.
    assert "The city council approved" in in_french and "Mayor" not in in_french


async def test_summarize_reads_a_bare_link_that_came_without_a_url_entity(tmp_path, fake_api, web: FeedServer):
    web.route("/article", reply(ARTICLE_PAGE, headers=HTML))
    settings = bot_settings(tmp_path, fake_api, security={"allow_private_urls": True})
    backend = FakeBackend()
    command = "/summarize"
    async with running_bot(settings, backend=backend):
        # As bridges and some clients send it: the command is marked, the link is not.
        fake_api.user_message(USER_ID, USER_ID, f"{command} {web.url('/article')}",
                              entities=[{"type": "bot_command", "offset": 0, "length": len(command)}])
        [answer] = await fake_api.wait_for_messages(1, chat_id=USER_ID)

    assert web.hits["/article"] == 1
    assert f'<a href="{web.url("/article")}">Council approves budget</a>' in answer.text
    assert "Opposition members" in backend.prompts[0]


async def test_summarize_refuses_a_loopback_link_by_default(tmp_path, fake_api, web: FeedServer):
    web.route("/article", reply(ARTICLE_PAGE, headers=HTML))
    async with running_bot(bot_settings(tmp_path, fake_api)):
        answer = await summarize_reply(fake_api, USER_ID, USER_ID, f"/summarize {web.url('/article')}")

    assert answer == "I can't open that link: 127.0.0.1 points to a private or reserved address (127.0.0.1)."
    assert web.hits["/article"] == 0


async def test_summarize_in_reply_uses_the_link_in_the_replied_message(tmp_path, fake_api, web: FeedServer):
    web.route("/article", reply(ARTICLE_PAGE, headers=HTML))
    settings = bot_settings(tmp_path, fake_api, security={"allow_private_urls": True})
    async with running_bot(settings):
        shared = fake_api.user_message(GROUP_ID, 7, f"Have you seen this? {web.url('/article')}")
        fake_api.user_message(GROUP_ID, USER_ID, "/summarize", reply_to=shared["message"])
        [answer] = await fake_api.wait_for_messages(1, chat_id=GROUP_ID)

    assert SUMMARY in answer.plain_text
    assert web.hits["/article"] == 1


async def test_summarize_in_reply_to_a_forwarded_channel_post_uses_its_text(tmp_path, fake_api):
    backend = FakeBackend()
    async with running_bot(bot_settings(tmp_path, fake_api), backend=backend):
        post = fake_api.user_message(
            USER_ID, USER_ID, ARTICLE_TEXT, forward_from_chat={"id": -1005550001, "type": "channel", "title": "Herald"}
        )
        answer = await summarize_reply(fake_api, USER_ID, USER_ID, "/summarize", reply_to=post["message"])

    assert answer.startswith(SUMMARY)
    assert "Opposition members" in backend.prompts[0]


async def test_bad_inputs_get_short_answers_and_the_bot_keeps_serving(tmp_path, fake_api, web: FeedServer):
    web.route("/report.pdf", reply(b"%PDF-1.7 ...", headers={"Content-Type": "application/pdf"}))
    web.route("/empty", reply(b"<html><body><p>Subscribe!</p></body></html>", headers=HTML))
    image = fake_api.add_file("photo-1", b"\x89PNG\r\n\x1a\n", "photo.png")
    settings = bot_settings(tmp_path, fake_api, security={"allow_private_urls": True})
    # No name or number in it: it passes the checks against every text below.
    backend = FakeBackend("The council approved the budget after a debate: taxes < schools & roads, it said.")
    cases = {
        f"/summarize {web.url('/report.pdf')}": "I couldn't load that page (not a web page or feed: application/pdf).",
        f"/summarize {web.url('/missing')}": "I couldn't load that page (HTTP 404).",
        f"/summarize {web.url('/empty')}": "I found no article text on that page.",
        "/summarize hello": "I can't summarise this (the text has too little prose to summarise).",
        "/summarize": "Send /summarize with a link or a text, or reply /summarize to a message.",
    }
    limits = Limits(slots=len(cases), max_input_chars=5_000)
    async with running_bot(settings, backend=backend, limits=limits):
        answers = await asyncio.gather(*(
            summarize_reply(fake_api, user_id, user_id, text) for user_id, text in enumerate(cases, start=100)
        ))
        photo = fake_api.user_message(200, 200, None, document=image)
        to_image = await summarize_reply(fake_api, 200, 200, "/summarize", reply_to=photo["message"])
        long_text = await summarize_reply(fake_api, 300, 300, "/summarize " + ARTICLE_TEXT * 45)
        markup = await summarize_reply(fake_api, 400, 400, f"/summarize <b>Tom & Jerry</b> {ARTICLE_TEXT}")

    assert answers == list(cases.values())
    assert to_image == cases["/summarize"]
    assert len(ARTICLE_TEXT * 45) > limits.max_input_chars
    assert long_text.startswith("The council approved") and "(The text was long: this covers its beginning.)" in long_text
    assert "The text was long" not in markup
    # Sent as HTML (the fake refuses broken markup), shown to the user exactly as the model wrote it.
    assert markup.startswith("The council approved the budget after a debate: taxes < schools & roads, it said.")


async def test_language_command_sets_the_language_of_answers_and_summaries(tmp_path, fake_api):
    backend = FakeBackend()
    async with running_bot(bot_settings(tmp_path, fake_api), backend=backend):
        confirmation = await summarize_reply(fake_api, USER_ID, USER_ID, "/language de")
        answer = await summarize_reply(fake_api, USER_ID, USER_ID, f"/summarize {ARTICLE_TEXT}")
        refusal = await summarize_reply(fake_api, USER_ID, USER_ID, "/language klingon")

    assert confirmation == "Ab jetzt antworte ich Ihnen und schreibe Zusammenfassungen auf: de."
    assert answer.endswith("Originalsprache: en")
    assert backend.prompts[0].startswith("[de] ")
    assert refusal.startswith("Den Sprachcode klingon kenne ich nicht.")


async def test_a_second_request_while_the_first_runs_is_refused(tmp_path, fake_api):
    gate = asyncio.Event()
    async with running_bot(bot_settings(tmp_path, fake_api), backend=FakeBackend(gate=gate)):
        fake_api.user_message(USER_ID, USER_ID, f"/summarize {ARTICLE_TEXT}")
        refusal = await summarize_reply(fake_api, USER_ID, USER_ID, f"/summarize {ARTICLE_TEXT}")
        gate.set()
        answers = await fake_api.wait_for_messages(2, chat_id=USER_ID)

    assert refusal == "Please wait until I have answered your previous request."
    assert answers[1].plain_text.startswith(SUMMARY)


async def test_requests_per_minute_are_limited_per_user(tmp_path, fake_api):
    async with running_bot(bot_settings(tmp_path, fake_api), limits=Limits(per_minute=2)):
        first = await summarize_reply(fake_api, USER_ID, USER_ID, f"/summarize {ARTICLE_TEXT}")
        second = await summarize_reply(fake_api, USER_ID, USER_ID, f"/summarize {ARTICLE_TEXT}")
        third = await summarize_reply(fake_api, USER_ID, USER_ID, f"/summarize {ARTICLE_TEXT}")
        someone_else = await summarize_reply(fake_api, 5005, 5005, f"/summarize {ARTICLE_TEXT}")

    assert first.startswith(SUMMARY) and second.startswith(SUMMARY) and someone_else.startswith(SUMMARY)
    assert third.startswith("That's a lot of requests in a minute. Please try again in ")


async def test_a_busy_bot_tells_users_their_place_in_line_and_turns_away_the_rest(tmp_path, fake_api):
    gate = asyncio.Event()
    limits = Limits(slots=1, max_waiting=1)
    async with running_bot(bot_settings(tmp_path, fake_api), backend=FakeBackend(gate=gate), limits=limits):
        fake_api.user_message(101, 101, f"/summarize {ARTICLE_TEXT}")
        await asyncio.sleep(0.2)  # the first request holds the only slot
        in_line = await summarize_reply(fake_api, 102, 102, f"/summarize {ARTICLE_TEXT}")
        turned_away = await summarize_reply(fake_api, 103, 103, f"/summarize {ARTICLE_TEXT}")
        gate.set()
        first = await fake_api.wait_for_messages(1, chat_id=101)
        second = await fake_api.wait_for_messages(2, chat_id=102)

    assert in_line == "I'm busy with other requests: you are number 1 in line. I'll answer here."
    assert turned_away == "Too many requests are waiting right now. Please try again in a minute."
    assert first[0].plain_text.startswith(SUMMARY)
    assert second[1].plain_text.startswith(SUMMARY)


async def test_unknown_command_gets_a_help_hint_but_other_bots_commands_are_ignored(tmp_path, fake_api):
    async with running_bot(bot_settings(tmp_path, fake_api)):
        private = await summarize_reply(fake_api, USER_ID, USER_ID, "/frobnicate now")
        fake_api.user_message(GROUP_ID, USER_ID, "/weather")
        fake_api.user_message(GROUP_ID, USER_ID, "/roll@dice_bot")
        addressed = fake_api.user_message(GROUP_ID, USER_ID, "/frobnicate@briefbot_test_bot")
        [group_answer] = await fake_api.wait_for_messages(1, chat_id=GROUP_ID)
        await asyncio.sleep(0.2)  # time for any answer to the other two

    assert private == "I don't know /frobnicate. Send /help to see what I can do."
    assert group_answer.reply_to_message_id == addressed["message"]["message_id"]
    assert len(fake_api.messages_to(GROUP_ID)) == 1


async def test_help_lists_what_the_bot_can_do_and_commands_are_registered(tmp_path, fake_api):
    async with running_bot(bot_settings(tmp_path, fake_api)):
        answer = await summarize_reply(fake_api, USER_ID, USER_ID, "/start", language_code="ru")

    assert answer.startswith("Я кратко пересказываю новости на вашем языке.")
    registered = {params.get("language_code"): params["commands"] for method, params in fake_api.requests
                  if method == "setMyCommands"}
    assert set(registered) == {None, "ru", "fr", "de", "es", "ar", "cs"}
    assert [command["command"] for command in registered[None]][:2] == ["summarize", "language"]
