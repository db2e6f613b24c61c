import json
from pathlib import Path

from bot.feeds.dedupe import near_duplicates, simhash

STORIES = [json.loads(line) for line in (Path(__file__).parent / "data" / "stories.jsonl").open(encoding="utf-8")]


def test_a_syndicated_copy_with_small_edits_is_a_near_duplicate():
    original = STORIES[0]["text"]
    copy = original.replace("\n\n", " ", 1) + " (Reporting by Ana Ruiz; editing by Tom Gale.)"
    assert near_duplicates(simhash(original), simhash(copy))


def test_different_articles_are_not_near_duplicates_even_on_the_same_story():
    fingerprints = [simhash(story["text"]) for story in STORIES]
    pairs = [
        (a, b) for i, a in enumerate(fingerprints) for b in fingerprints[i + 1 :] if a is not None and b is not None
    ]
    assert len(pairs) > 1000
    assert not any(near_duplicates(a, b) for a, b in pairs)


def test_short_texts_get_no_fingerprint():
    assert simhash("Breaking: port strike continues. More soon.") is None


def test_fingerprints_fit_a_signed_bigint():
    value = simhash(STORIES[1]["text"] * 3)
    assert -(2**63) <= value < 2**63
