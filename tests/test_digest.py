"""`python -m bot digest --dry-run` on the demo feeds, with a tiny random model."""

import json
import sqlite3
from contextlib import closing

import pytest

import bot.resources
from bot.__main__ import main
from bot.digest.choose import passes_filters
from bot.discord.render import DISCORD_LIMIT
from bot.matrix.render import MATRIX_LIMIT
from bot.slack.render import SLACK_LIMIT
from bot.telegram.html import TELEGRAM_LIMIT
from summarizer import source_text
from summarizer.facts.grounding import find_ungrounded
from tests.doubles import FakeBackend


def run_digest(config, capsys) -> dict:
    assert main(["digest", "--config", str(config), "--dry-run", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_dry_run_prints_the_documented_json_shape(demo_config, capsys):
    result = run_digest(demo_config, capsys)
    assert [c["chat"] for c in result["channels"]] == ["@briefbot_demo_en", "@briefbot_demo_fr"]
    for channel in result["channels"]:
        assert set(channel) == {"chat", "language", "platform", "stories", "messages"}
        assert channel["platform"] == "telegram"
        assert channel["stories"] and channel["messages"]
        for story in channel["stories"]:
            assert set(story) - {"source_language"} == {"title", "summary", "sources", "form", "kind", "ungrounded",
                                                         "flags"}
            assert story["kind"] == "story"  # a first digest has no updates
            assert story["form"] in ("summary", "lead", "translation", "headline")
            assert story["title"] or story["summary"]  # never an empty item
            assert not story["title"].endswith(("…", "..."))
            assert all(set(source) == {"url", "feed", "language"} for source in story["sources"])
        assert all(len(message) <= TELEGRAM_LIMIT for message in channel["messages"])


def test_dry_run_shows_matrix_discord_and_slack_channels_their_own_messages_of_the_same_stories(
    demo_config, capsys
):
    room = "!demo:example.org"
    demo_config.write_text(demo_config.read_text(encoding="utf-8") + f"""  - platform: matrix
    room: "{room}"
    language: en
  - platform: discord
    webhook_url: https://discord.com/api/webhooks/123/secret-token
    language: en
  - platform: slack
    webhook_url: https://hooks.slack.com/services/T1/B2/secret
    language: en
""", encoding="utf-8")
    telegram, _, matrix, discord, slack = run_digest(demo_config, capsys)["channels"]

    assert (matrix["chat"], matrix["platform"]) == (room, "matrix")
    assert (discord["chat"], discord["platform"]) == ("discord:123", "discord")
    assert matrix["stories"] == discord["stories"] == telegram["stories"]
    # The same items, packed into Matrix's events.
    assert all(len(message) <= MATRIX_LIMIT for message in matrix["messages"])
    assert "\n\n".join(matrix["messages"]) == "\n\n".join(telegram["messages"])
    # In Discord markdown, within its limit, each story's headline bold and an item in one message.
    assert all(len(message) <= DISCORD_LIMIT for message in discord["messages"])
    assert len(discord["messages"]) > len(telegram["messages"])
    for story in discord["stories"]:
        if story["title"]:
            assert sum(f"**{story['title'][:20]}" in message for message in discord["messages"]) == 1
    assert "<b>" not in "".join(discord["messages"])
    # In Slack mrkdwn, within its limit.
    assert (slack["chat"], slack["platform"]) == ("slack:B2", "slack") and slack["stories"] == telegram["stories"]
    assert all(len(message) <= SLACK_LIMIT for message in slack["messages"])
    assert all(f"*{story['title'][:20]}" in "".join(slack["messages"]) for story in slack["stories"] if story["title"])


def test_a_posted_text_names_no_name_number_or_date_that_its_sources_do_not(demo_config, capsys):
    digest = run_digest(demo_config, capsys)
    with closing(sqlite3.connect(demo_config.parent / "demo.db")) as db:
        articles = list(db.execute("SELECT url, canonical_url, title, text FROM articles"))
    texts = {url: source_text(title, text) for *urls, title, text in articles for url in urls if url}
    for channel in digest["channels"]:
        for story in channel["stories"]:
            sources = [texts[source["url"]] for source in story["sources"] if source["url"]]
            assert sources and find_ungrounded(story["summary"], sources) == [] == story["ungrounded"]


def test_same_story_across_languages_is_one_item_with_all_sources(demo_config, capsys):
    english = run_digest(demo_config, capsys)["channels"][0]
    strike = [s for s in english["stories"] if any("rotterdam" in (src["url"] or "") for src in s["sources"])]
    assert len(strike) == 1
    assert {source["language"] for source in strike[0]["sources"]} == {"en", "de", "es", "fr"}
    # Stories with more outlets come first.
    counts = [len(story["sources"]) for story in english["stories"]]
    assert counts == sorted(counts, reverse=True)


def test_dry_run_twice_gives_the_same_digest_and_marks_nothing(demo_config, capsys):
    first = run_digest(demo_config, capsys)
    second = run_digest(demo_config, capsys)
    assert first == second


def test_second_poll_stores_no_duplicates(demo_config, capsys):
    assert main(["poll", "--config", str(demo_config)]) == 0
    first = capsys.readouterr().err
    assert main(["poll", "--config", str(demo_config)]) == 0
    second = capsys.readouterr().err
    assert "14 new articles" in first
    assert "0 new articles" in second


def test_channel_feeds_and_exclude_rules_apply(demo_config, capsys):
    french = run_digest(demo_config, capsys)["channels"][1]
    feeds = {source["feed"] for story in french["stories"] for source in story["sources"]}
    assert "Harbour Herald" not in feeds and "Labské listy" not in feeds
    assert not any("rugby" in story["title"].lower() for story in french["stories"])


@pytest.fixture
def model_writes(monkeypatch):
    """The stand-in model, through the real pre- and postprocessing, writes `text` for every story
    (and the given `translations` of sentences). Returns the models it was loaded as, one per run."""
    loaded: list[FakeBackend] = []

    def use(text: str, translations: dict[str, str] | None = None) -> list[FakeBackend]:
        def load(*args, **kwargs) -> FakeBackend:
            loaded.append(FakeBackend(text, translations=translations))
            return loaded[-1]

        monkeypatch.setattr(bot.resources, "load_backend", load)
        return loaded

    return use


def test_an_invented_name_is_never_posted_the_item_falls_back_to_a_faithful_form(demo_config, capsys, model_writes):
    model_writes("Barges stopped on the Oder River as the water fell.")  # no demo article names the Oder
    digest = run_digest(demo_config, capsys)
    english, french = digest["channels"]
    # An English source: its own lead.
    hull = next(s for s in english["stories"] if "Hull" in s["title"])
    assert hull["form"] == "lead" and hull["summary"].startswith("Ferries berthed overnight in Hull will no longer need")
    # No English source: the story's own headlines, their languages marked, with links.
    elbe = next(s for s in english["stories"] if {src["language"] for src in s["sources"]} == {"cs", "de"})
    assert elbe["form"] == "headline" and elbe["summary"] == "" and elbe["title"]
    assert not any("Oder" in message for channel in digest["channels"] for message in channel["messages"])
    # English in a French channel is a language mismatch; the lead skips the headline the page repeats.
    strike = next(s for s in french["stories"] if s["title"].startswith("Grève à Rotterdam"))
    assert strike["form"] == "lead" and strike["summary"].startswith("Au premier jour d'une grève de 48 heures")


def test_a_summary_is_posted_only_for_the_story_whose_sources_say_it(demo_config, capsys, model_writes):
    # Grounded in names for every story (it names none), but only the strike's sources say it:
    # the support check (offline embedder) keeps it there and nowhere else.
    summary = "Ships were riding at anchor as the dockworkers' strike entered its second day."
    model_writes(summary)
    english = run_digest(demo_config, capsys)["channels"][0]
    told = {story["title"]: story for story in english["stories"] if story["summary"] == summary}
    assert list(told) == ["Rotterdam dock strike leaves 37 ships waiting off the Maasvlakte"]
    assert told[next(iter(told))]["form"] == "summary"
    others = [story for story in english["stories"] if story["summary"] != summary]
    assert others and {story["form"] for story in others} <= {"lead", "headline"}


LABE_TITLE = "Labe u Děčína kleslo na 96 centimetrů, nákladní lodě stojí"
LABE_LEAD = "Nákladní lodní doprava na dolním Labi se kvůli suchu zastavila."
LABE_GAUGE = "Vodočet v Děčíně v neděli ráno ukazoval 96 centimetrů a v Drážďanech jen 58 centimetrů."
LABE_IN_ENGLISH = {
    LABE_TITLE: "The Labe at Děčín fell to 96 centimetres, cargo ships stand still",
    LABE_LEAD: "Cargo shipping on the lower Labe has stopped because of the drought.",
    LABE_GAUGE: "On Sunday morning the gauge in Děčín showed 69 centimetres.",  # a number the source does not say
}


def with_translations(config) -> None:
    config.write_text(config.read_text(encoding="utf-8") + "trust:\n  translation_threshold: 0.85\n", encoding="utf-8")


def test_a_story_told_in_no_source_in_the_channels_language_is_translated_checked_sentence_by_sentence(
    demo_config, capsys, model_writes
):
    with_translations(demo_config)
    model_writes("Barges stopped on the Oder River as the water fell.", LABE_IN_ENGLISH)
    english = run_digest(demo_config, capsys)["channels"][0]
    elbe = next(s for s in english["stories"] if {src["language"] for src in s["sources"]} == {"cs", "de"})
    assert elbe["form"] == "translation" and elbe["source_language"] == "cs"
    assert elbe["title"] == LABE_IN_ENGLISH[LABE_TITLE]
    assert elbe["summary"] == LABE_IN_ENGLISH[LABE_LEAD]  # the gauge's wrong number is not posted
    [message] = [m for m in english["messages"] if LABE_IN_ENGLISH[LABE_LEAD] in m]
    assert "Translated from Czech" in message
    # Stories the model did not translate keep their headlines, marked with their languages.
    assert all(story["form"] != "translation" for story in english["stories"] if story is not elbe)


def test_translations_are_kept_and_not_asked_of_the_model_again(demo_config, capsys, model_writes):
    with_translations(demo_config)
    models = model_writes("Barges stopped on the Oder River as the water fell.", LABE_IN_ENGLISH)
    first = run_digest(demo_config, capsys)
    second = run_digest(demo_config, capsys)
    assert first == second
    assert LABE_LEAD in models[0].translated and models[1].translated == []


def test_a_summary_that_copies_a_sources_opening_is_given_as_that_sources_lead(demo_config, capsys, model_writes):
    copied = "Ferries berthed overnight in Hull will no longer need to keep their engines running."
    model_writes(copied)
    english = run_digest(demo_config, capsys)["channels"][0]
    hull = next(s for s in english["stories"] if "Hull" in s["title"])
    # The source's own sentence, whole, instead of the model's copy of its first half.
    assert hull["form"] == "lead" and hull["summary"].startswith(copied.removesuffix(".") + ", after a £19 million")


def test_filters_take_keywords_as_words_and_slashes_as_regex():
    assert passes_filters("Port strike in Rotterdam", ["strike"], [])
    assert not passes_filters("Striker scores twice", ["strike"], [])
    assert not passes_filters("Rugby derby", [], ["rugby"])
    assert passes_filters("Solar farm opens", ["/sol(ar|aire)/"], [])
    assert not passes_filters("Wind farm opens", ["/sol(ar|aire)/"], [])


def test_a_topic_filter_keeps_the_stories_on_that_topic_in_any_language(demo_config, capsys):
    config = demo_config.read_text(encoding="utf-8")
    demo_config.write_text(config.replace(
        "    feeds: all\n", "    feeds: all\n    include: [{topic: solar power}]\n", 1), encoding="utf-8")
    english = run_digest(demo_config, capsys)["channels"][0]
    urls = [" ".join(source["url"] or "" for source in story["sources"]) for story in english["stories"]]
    assert any("tierra-blanca" in story for story in urls)  # told in English, Spanish, German and French
    assert not any("rotterdam" in story or "bazen" in story or "pecio" in story for story in urls)


def test_a_broken_config_is_one_line_and_exit_code_2(tmp_path, capsys):
    config = tmp_path / "bad.yaml"
    config.write_text("channels:\n  - chat: '@x'\n    max_storys: 3\n")
    assert main(["digest", "--config", str(config), "--dry-run"]) == 2
    assert capsys.readouterr().err.strip() == f"error: {config}: unknown key 'channels.0.max_storys'"


EMPTY_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Blank Wire</title>
<item><guid isPermaLink="false">blank-1</guid><pubDate>Sat, 21 Nov 2026 09:00:00 +0000</pubDate></item>
<item><guid isPermaLink="false">blank-2</guid><title> </title><description><![CDATA[<p> </p>]]></description>
<pubDate>Sat, 21 Nov 2026 09:30:00 +0000</pubDate></item>
</channel></rss>
"""


def test_entries_with_neither_title_nor_text_are_no_items_and_the_digest_goes_out(demo_config, capsys):
    (demo_config.parent / "demo" / "feeds" / "blank-wire.xml").write_text(EMPTY_FEED, encoding="utf-8")
    config = demo_config.read_text(encoding="utf-8")
    demo_config.write_text(config.replace(
        "channels:\n", "  - name: blank-wire\n    url: file:demo/feeds/blank-wire.xml\n    interval: 1h\nchannels:\n", 1),
        encoding="utf-8")
    english = run_digest(demo_config, capsys)["channels"][0]
    feeds = {source["feed"] for story in english["stories"] for source in story["sources"]}
    assert "Harbour Herald" in feeds and "Blank Wire" not in feeds
    assert all(story["title"] or story["summary"] for story in english["stories"])
