"""Everything the bot says to people.

The English texts are here, marked with N_ for extraction; their translations are gettext catalogs,
bot/telegram/locales/<language>/LC_MESSAGES/briefbot.po, compiled to .mo files when the package is
built (setup.py). `make catalogs` extracts new texts into the catalogs for translators. Texts are
Telegram HTML; `text()` escapes the values it fills in.
"""

from __future__ import annotations

import gettext
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from html import escape
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from babel import Locale, UnknownLocaleError

from bot.telegram.html import TELEGRAM_LIMIT, link, plain_text

if TYPE_CHECKING:
    from bot.usecases.channels import ChannelInfo, DigestOutcome, FeedInfo, ImportResult, Status
    from bot.usecases.refusal import Refusal
    from bot.usecases.summaries import UserSummary

LOCALES = Path(__file__).with_name("locales")
DOMAIN = "briefbot"
# English first: the texts below are English, and the other languages have a catalog each.
LANGUAGES = ("en", "ru", "fr", "de", "es", "ar", "cs")
# A value shown in a text (an argument echoed, a reason, a title) is cut to this, so every answer
# fits in one message.
MAX_ECHO_CHARS = 200
# Room for each list of rules in a /filters answer: two of them and the text around stay within one message.
FILTERS_ROOM = 1500
# Room kept for the "… and N more" that ends a list cut short.
MORE_ROOM = 60


def N_(message: str) -> str:
    """Marks a text for translation; it is translated where it is used (text())."""
    return message


# Commands shown in Telegram's menu.
COMMANDS: list[tuple[str, str]] = [
    ("summarize", N_('Summarise a link, a text, or the message you reply to')),
    ("language", N_("Choose your language (or a channel's)")),
    ("feeds", N_("List a channel's feeds")),
    ("addfeed", N_('Add a feed to a channel')),
    ("removefeed", N_('Remove a feed from a channel')),
    ("schedule", N_("Set a channel's daily digest time")),
    ("filters", N_("Keywords or topics a channel's stories must or must not have")),
    ("digest", N_("Post a channel's next digest now")),
    ("status", N_('Feeds, last poll, errors, next digest')),
    ("export", N_("Download a channel's feeds as OPML")),
    ("help", N_('What this bot can do')),
]

# The texts by the key the code names them with (a Refusal's key among them).
MESSAGES: dict[str, str] = {
    "help": N_(
        'I summarise news in your language.\n'
        '\n'
        '/summarize <i>link or text</i>, or reply /summarize to a message\n'
        '/language <i>code</i>: the language I answer in (en, fr, de, es, ru…)\n'
        '\n'
        'Channel and group administrators: add me to the chat as an administrator, then use /addfeed, '
        '/removefeed, /feeds, /schedule, /filters, /language, /digest, /status and /export. In a '
        'private chat, name the channel first: <code>/addfeed @my_channel '
        'https://example.org/rss</code>. Send an OPML file with <code>@my_channel</code> as its caption '
        'to import feeds.'
    ),
    "unknown_command": N_("I don't know {command}. Send /help to see what I can do."),
    "internal_error": N_('Something went wrong on my side. Please try again later.'),
    "usage": N_('Usage: {usage}'),
    "summarize_usage": N_('Send /summarize with a link or a text, or reply /summarize to a message.'),
    "in_line": N_("I'm busy with other requests: you are number {position} in line. I'll answer here."),
    "source_language": N_('Original language: {language}'),
    "partial": N_('(The text was long: this covers its beginning.)'),
    "update_of": N_("Update: {title}"),
    "translated_from": N_("Translated from {language}"),
    "summary_withheld": N_("I couldn't write a summary I could check against the text, so here is how it begins:"),
    "one_at_a_time": N_('Please wait until I have answered your previous request.'),
    "rate_limited": N_("That's a lot of requests in a minute. Please try again in {seconds} s."),
    "busy": N_('Too many requests are waiting right now. Please try again in a minute.'),
    "model_loading": N_("I'm still starting up. Please try again in a minute."),
    "unsafe_link": N_("I can't open that link: {reason}."),
    "fetch_failed": N_("I couldn't load that page ({reason})."),
    "no_article": N_('I found no article text on that page.'),
    "cannot_summarize": N_("I can't summarise this ({reason})."),
    "no_summary": N_("I couldn't write a useful summary of this. A longer text may work better."),
    "model_failed": N_('The summariser failed on this request. Please try again later.'),
    "too_long": N_('That argument is too long ({length} characters; at most {limit}). Nothing was changed.'),
    "bad_language": N_("I don't know the language code {code}. Use a two-letter code such as en, fr, de, es or ru."),
    "language_set_user": N_("From now on I'll answer you and write your summaries in: {language}."),
    "language_set_channel": N_('Digests for {chat} will be written in: {language}.'),
    "target_needed": N_(
        'Which channel? Name it first, e.g. <code>/feeds @my_channel</code>. In a group, commands apply '
        'to the group.'
    ),
    "chat_not_found": N_("I can't find {chat}. Add me to it as an administrator first."),
    "bot_not_in_chat": N_("I'm not a member of {chat}. Add me to it as an administrator first."),
    "not_admin": N_('Sorry, only administrators of {chat} can do that.'),
    "channel_unknown": N_('{chat} has no digest yet. Add a feed with /addfeed to start one.'),
    "feed_fetch_failed": N_("I couldn't load that feed ({reason})."),
    "not_a_feed": N_('That address is not a feed I can read ({reason}).'),
    "feed_added": N_('{chat} now follows {name}.'),
    "feed_not_found": N_('{chat} has no feed called {name}. /feeds lists them.'),
    "feed_removed": N_('{chat} no longer follows {name}.'),
    "feeds_header": N_('Feeds of {chat}:'),
    "no_feeds": N_('{chat} follows no feeds yet. Add one with /addfeed.'),
    "schedule_set": N_('Digests for {chat}: {schedule}. Next one: {next}.'),
    "daily_at": N_('daily at {time} ({zone})'),
    "cron": N_('on the schedule {cron} ({zone})'),
    "bad_schedule": N_("I can't use that time: {reason}. Example: <code>/schedule 08:00 Europe/Prague</code>."),
    "filters_set": N_('Filters for {chat}. Must contain one of: {include}. Must not contain: {exclude}.'),
    "nothing": N_('—'),
    "bad_filters": N_(
        "I don't understand {rule}. Write +word to require a word, -word to drop stories with it, "
        '+topic:words or -topic:words for a topic, or clear.'
    ),
    "bad_topic": N_('A topic is a few words, e.g. <code>+topic:energy and climate</code>.'),
    "topic_strictness": N_(
        'Topics match the stories more about them than about other subjects; '
        '<code>+topic(strict):words</code> asks for closer matches, <code>+topic(loose):words</code> for more.'
    ),
    "bad_regex": N_('The pattern {rule} is not a valid regular expression ({reason}).'),
    "bad_opml": N_("I can't read that file as an OPML feed list: {reason}."),
    "opml_too_big": N_('That file is too big for a feed list (more than {limit} KB).'),
    "opml_too_many": N_('That file lists more than {limit} feeds; please split it.'),
    "opml_imported": N_('{chat}: {added} feeds added, {known} already followed.'),
    "opml_refused": N_('Skipped, not public web addresses:'),
    "export_caption": N_('Feeds of {chat}'),
    "digest_posted": N_('Posted a digest of {stories} stories to {chat}.'),
    "digest_queued": N_(
        "The digest for {chat} ({stories} stories) is queued: Telegram did not take it yet. I'll keep "
        'trying.'
    ),
    "digest_empty": N_('No new stories for {chat} since its last digest.'),
    "channel_paused": N_(
        'I can no longer post to {chat} ({reason}), so its digests are paused. Make me an administrator '
        'there again, then send /digest {chat} to resume.'
    ),
    "status_bot": N_('Bot status'),
    "status_channel": N_('Status of {chat}'),
    "status_next_digest": N_('Next digest: {when}'),
    "status_language": N_('Language: {language}'),
    "status_paused": N_('Paused: {reason}'),
    "status_channels": N_('Channels: {count}'),
    "status_model": N_('Model: {model}'),
    "status_queues": N_('Waiting: {waiting} summary requests, {unsent} digest messages'),
    "feed_line": N_('last read {when}'),
    "and_more": N_('… and {count} more'),
    "never": N_('never'),
    "loading": N_('loading'),
}


class Html(str):
    """Telegram HTML, already escaped: text() inserts it as it is."""


def ui_language(language: str | None) -> str:
    return language if language in LANGUAGES else "en"


@lru_cache(maxsize=None)
def _translations(language: str) -> gettext.NullTranslations:
    # English needs no catalog: its texts are the source ones.
    return gettext.translation(DOMAIN, LOCALES, languages=[language], fallback=language == "en")


def language_called(code: str, language: str | None) -> str:
    """A language's name as the bot writes it in `language` ("Czech", "tchèque"), else its code."""
    try:
        return Locale.parse(ui_language(language)).languages.get(code, code)
    except (ValueError, UnknownLocaleError):
        return code


def text(language: str | None, key: str, /, **params: object) -> Html:
    """The text for `key` in `language` (English if the bot does not speak it); values are shortened
    and escaped unless Html."""
    template = _translations(ui_language(language)).gettext(MESSAGES[key])
    return Html(template.format(**{
        name: value if isinstance(value, Html) else escape(shortened(str(value))) for name, value in params.items()
    }))


def shortened(value: str, limit: int = MAX_ECHO_CHARS) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _fitting(language: str, items: Sequence[str], room: int, separator: int = 1) -> list[str]:
    """The HTML items, or when they don't fit in `room` visible characters (each followed by
    `separator` characters) the first ones that do and "… and N more" for the others."""
    used = list(accumulate(len(plain_text(item)) + separator for item in items))
    if not used or used[-1] <= room:
        return list(items)
    kept = sum(1 for total in used if total <= room - MORE_ROOM)
    return [*items[:kept], text(language, "and_more", count=len(items) - kept)]


def refusal(language: str | None, refused: Refusal) -> Html:
    """The answer to a Refusal."""
    return text(language, refused.key, **refused.params)


def usage(language: str | None, syntax: str) -> Html:
    return text(language, "usage", usage=syntax)


def commands(language: str) -> list[tuple[str, str]]:
    """(command, description) pairs for Telegram's command menu."""
    translations = _translations(ui_language(language))
    return [(command, translations.gettext(description)) for command, description in COMMANDS]


def summary_reply(language: str, result: UserSummary) -> str:
    """A /summarize answer: the summary (or, when none passed the checks, a word on that and the
    text's opening), its source's language and a link to the page."""
    lines = [escape(result.summary)]
    if not result.checked:
        lines.insert(0, f"<i>{text(language, 'summary_withheld')}</i>")
    elif result.partial:
        lines.append(f"<i>{text(language, 'partial')}</i>")
    footer = text(language, "source_language", language=result.source_language)
    if result.url:
        footer += " · " + link(result.url, shortened(result.title or urlsplit(result.url).hostname or result.url))
    lines.append(f"<i>{footer}</i>")
    return "\n\n".join(lines)


def when(language: str, moment: datetime | None) -> str:
    """A moment as people read it, in its own time zone (UTC for stored times)."""
    if moment is None:
        return text(language, "never")
    return f"{moment:%Y-%m-%d %H:%M} {moment.tzname() or 'UTC'}"


def schedule(language: str, schedule: dict) -> Html:
    zone = schedule.get("timezone", "UTC")
    if "cron" in schedule:
        return text(language, "cron", cron=schedule["cron"], zone=zone)
    return text(language, "daily_at", time=schedule.get("at", ""), zone=zone)


def schedule_set(language: str, channel: ChannelInfo) -> Html:
    return text(language, "schedule_set", chat=channel.chat, schedule=schedule(language, channel.schedule),
                next=when(language, channel.next_digest))


def filters_set(language: str, channel: ChannelInfo) -> Html:
    def listed(rules: list[str]) -> Html:
        items = _fitting(language, [escape(rule) for rule in rules], FILTERS_ROOM, separator=len(", "))
        return Html(", ".join(items)) or text(language, "nothing")

    answer = text(language, "filters_set", chat=channel.chat, include=listed(channel.include),
                  exclude=listed(channel.exclude))
    if channel.has_topics:
        answer += " " + text(language, "topic_strictness")
    return Html(answer)


def feed_list(language: str, chat: str, feeds: Sequence[FeedInfo]) -> str:
    if not feeds:
        return text(language, "no_feeds", chat=chat)
    header = text(language, "feeds_header", chat=chat)
    return "\n".join([header, *_feed_lines(language, feeds, room=TELEGRAM_LIMIT - len(plain_text(header)))])


def digest_outcome(language: str, outcome: DigestOutcome) -> Html:
    if not outcome.stories:
        return text(language, "digest_empty", chat=outcome.chat)
    key = "digest_posted" if outcome.sent else "digest_queued"
    return text(language, key, chat=outcome.chat, stories=outcome.stories)


def opml_imported(language: str, result: ImportResult) -> str:
    lines = [text(language, "opml_imported", chat=result.chat, added=len(result.added), known=result.known)]
    if result.refused:
        lines.append(text(language, "opml_refused"))
        lines.extend(f"• {escape(shortened(line))}" for line in result.refused[:10])
    return "\n".join(lines)


def status_report(language: str, status: Status) -> str:
    channel = status.channel
    if channel is None:
        lines = [f"<b>{text(language, 'status_bot')}</b>", text(language, "status_channels", count=status.channels)]
    else:
        lines = [
            f"<b>{text(language, 'status_channel', chat=channel.chat)}</b>",
            text(language, "status_language", language=channel.language),
            text(language, "status_next_digest", when=when(language, channel.next_digest))
            + f" ({schedule(language, channel.schedule)})",
        ]
        if channel.paused_reason:
            lines.append(text(language, "status_paused", reason=channel.paused_reason))
    lines.append(text(language, "status_model", model=status.model or text(language, "loading")))
    lines.append(text(language, "status_queues", waiting=status.waiting, unsent=status.unsent))
    room = TELEGRAM_LIMIT - len(plain_text("\n".join(lines)))
    return "\n".join([*lines, *_feed_lines(language, status.feeds, room=room)])


def _feed_lines(language: str, feeds: Sequence[FeedInfo], *, room: int) -> list[str]:
    return _fitting(language, [_feed_line(language, feed) for feed in feeds], room)


def _feed_line(language: str, feed: FeedInfo) -> str:
    line = f"• <b>{escape(shortened(feed.name))}</b> {link(feed.url, shortened(feed.title or feed.url))} — " + text(
        language, "feed_line", when=when(language, feed.last_polled_at)
    )
    return line + (f" ⚠️ {escape(shortened(feed.last_error))}" if feed.last_error else "")
