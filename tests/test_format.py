from bot.digest.items import DigestItem, SourceLink
from bot.telegram.html import TELEGRAM_LIMIT, split_messages
from bot.telegram.render import format_item


def item(title: str, summary: str, sources: list[SourceLink]) -> DigestItem:
    return DigestItem(story_id=1, title=title, summary=summary, sources=sources)


def test_item_escapes_html_and_links_only_web_urls():
    formatted = format_item(item(
        "Tom & Jerry <b>",
        "Prices rose 5% > 3% & <script>",
        [SourceLink('https://x.example/a?b=1&c="2"', "Outlet <1>", "en"), SourceLink("file:///tmp/a", "Local", "fr")],
    ), "en")
    assert formatted.startswith("<b>Tom &amp; Jerry &lt;b&gt;</b>\n")
    assert "5% &gt; 3% &amp; &lt;script&gt;" in formatted
    assert '<a href="https://x.example/a?b=1&amp;c=&quot;2&quot;">Outlet &lt;1&gt;</a> (en)' in formatted
    assert "Local (fr)" in formatted and "file://" not in formatted


def test_messages_split_between_items_only():
    formatted = [format_item(item(f"Story {i}", "word " * 150, []), "en") for i in range(20)]
    messages = split_messages(formatted)
    assert len(messages) > 1
    assert all(len(message) <= TELEGRAM_LIMIT for message in messages)
    assert "\n\n".join(messages) == "\n\n".join(formatted)


def test_an_item_longer_than_a_message_is_cut_without_breaking_markup():
    huge = format_item(item("Title", "a & b " * 2000, [SourceLink("https://x.example", "X", "en")]), "en")
    messages = split_messages([huge])
    assert all(len(message) <= TELEGRAM_LIMIT for message in messages)
    assert messages[0].startswith("<b>Title</b>")
    assert all(message.count("<a ") == message.count("</a>") for message in messages)
    assert not any(message.rstrip("…").endswith(("&", "&amp", "&am")) for message in messages)


def test_an_update_says_so_in_the_channels_language_and_a_headline_item_lists_its_sources_headlines():
    sources = [SourceLink("https://a.example/1", "Outlet A", "de", "Streik verlängert"),
               SourceLink("https://b.example/2", "Outlet B", "es", "La huelga sigue")]
    update = DigestItem(story_id=1, title="Streik verlängert", summary="", sources=sources, form="headline",
                        kind="update", title_language="de")

    formatted = format_item(update, "fr")

    assert formatted.startswith("<b>Mise à jour : Streik verlängert <i>(de)</i></b>\n")
    assert '• <a href="https://b.example/2">La huelga sigue</a> <i>(es)</i>' in formatted
    assert "Streik verlängert</a>" not in formatted  # the title is not listed again
