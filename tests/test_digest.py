"""`python -m bot digest --dry-run` on the demo feeds, with a tiny random model."""

import json

from bot.__main__ import main
from bot.digest import passes_filters
from bot.telegram.format import TELEGRAM_LIMIT


def run_digest(config, capsys) -> dict:
    assert main(["digest", "--config", str(config), "--dry-run", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_dry_run_prints_the_documented_json_shape(demo_config, capsys):
    result = run_digest(demo_config, capsys)
    assert [c["chat"] for c in result["channels"]] == ["@briefbot_demo_en", "@briefbot_demo_fr"]
    for channel in result["channels"]:
        assert set(channel) == {"chat", "language", "stories", "messages"}
        assert channel["stories"] and channel["messages"]
        for story in channel["stories"]:
            assert set(story) == {"title", "summary", "sources"}
            assert all(set(source) == {"url", "feed", "language"} for source in story["sources"])
        assert all(len(message) <= TELEGRAM_LIMIT for message in channel["messages"])


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


def test_filters_take_keywords_as_words_and_slashes_as_regex():
    assert passes_filters("Port strike in Rotterdam", ["strike"], [])
    assert not passes_filters("Striker scores twice", ["strike"], [])
    assert not passes_filters("Rugby derby", [], ["rugby"])
    assert passes_filters("Solar farm opens", ["/sol(ar|aire)/"], [])
    assert not passes_filters("Wind farm opens", ["/sol(ar|aire)/"], [])


def test_a_broken_config_is_one_line_and_exit_code_2(tmp_path, capsys):
    config = tmp_path / "bad.yaml"
    config.write_text("channels:\n  - chat: '@x'\n    max_storys: 3\n")
    assert main(["digest", "--config", str(config), "--dry-run"]) == 2
    assert capsys.readouterr().err.strip() == f"error: {config}: unknown key 'channels.0.max_storys'"
