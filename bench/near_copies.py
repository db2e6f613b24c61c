"""Compare near-duplicate detection by SimHash (bot.feeds.dedupe) and by the grouping's vectors.

Usage: .venv/bin/python bench/near_copies.py [PAIRS.jsonl]

Copies: every article of tests/data/stories.jsonl edited the way syndicated copies are (a line
of byline put first, the last paragraph cut, a middle paragraph cut). Distinct: the same-story,
same-language pairs of PAIRS.jsonl (default ../shared/data/story_pairs_dev.jsonl; two outlets
reporting one event) and every pair of different articles of stories.jsonl in one language.
For SimHash, the share of copies found (at most MAX_DISTANCE bits apart) and of distinct pairs
wrongly taken for copies; for the vectors (offline embedder, title and lead as grouping embeds
them), the same at cosine thresholds. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.feeds.dedupe import MAX_DISTANCE, near_duplicates, simhash  # noqa: E402
from bot.stories.assign import article_text  # noqa: E402
from summarizer.embeddings.offline import OfflineEmbedder  # noqa: E402

STORIES = ROOT / "tests" / "data" / "stories.jsonl"
PAIRS = ROOT.parent / "shared" / "data" / "story_pairs_dev.jsonl"
THRESHOLDS = (0.95, 0.97, 0.98, 0.99)


def copies(text: str) -> list[str]:
    paragraphs = text.split("\n\n")
    edited = ["By our correspondent\n\n" + text]
    if len(paragraphs) >= 2:
        edited.append("\n\n".join(paragraphs[:-1]))
    if len(paragraphs) >= 3:
        middle = len(paragraphs) // 2
        edited.append("\n\n".join(paragraphs[:middle] + paragraphs[middle + 1 :]))
    return edited


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pairs", nargs="?", type=Path, default=PAIRS)
    arguments = parser.parse_args()
    rows = [json.loads(line) for line in STORIES.read_text(encoding="utf-8").splitlines() if line]
    copy_pairs = [((row["title"], row["text"]), (row["title"], edited)) for row in rows for edited in copies(row["text"])]
    distinct = [
        ((a["title"], a["text"]), (b["title"], b["text"]))
        for a, b in itertools.combinations(rows, 2)
        if a["language"] == b["language"]
    ]
    for line in arguments.pairs.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["same_story"] and row["a"]["lang"] == row["b"]["lang"] and row["a"]["text"] != row["b"]["text"]:
            distinct.append(((row["a"]["title"], row["a"]["text"]), (row["b"]["title"], row["b"]["text"])))
    embedder = OfflineEmbedder()
    texts = sorted({article_text(*side) for pair in copy_pairs + distinct for side in pair})
    vectors = dict(zip(texts, embedder.embed(texts)))

    def cosine(pair) -> float:
        first, second = (vectors[article_text(*side)] for side in pair)
        return float(first @ second)

    def simhash_flags(pair) -> bool:
        first, second = (simhash(f"{title}\n{text}") for title, text in pair)
        return first is not None and second is not None and near_duplicates(first, second)

    report = {
        "copies": len(copy_pairs), "distinct_pairs": len(distinct),
        f"simhash (<= {MAX_DISTANCE} bits)": {
            "copies_found": round(sum(map(simhash_flags, copy_pairs)) / len(copy_pairs), 3),
            "distinct_taken_for_copies": round(sum(map(simhash_flags, distinct)) / len(distinct), 3),
        },
    }
    copy_cosines, distinct_cosines = [cosine(pair) for pair in copy_pairs], [cosine(pair) for pair in distinct]
    for threshold in THRESHOLDS:
        report[f"vectors (cosine >= {threshold})"] = {
            "copies_found": round(sum(c >= threshold for c in copy_cosines) / len(copy_cosines), 3),
            "distinct_taken_for_copies": round(sum(c >= threshold for c in distinct_cosines) / len(distinct_cosines), 3),
        }
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
