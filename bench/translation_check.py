"""How well the translation check tells faithful translated sentences from unfaithful ones.

Usage: .venv/bin/python bench/translation_check.py [--set tests/data/translations.jsonl]
           [--threshold T] [--json]

The set holds real renderings of the offline model (bench/translation_generate.py), one source
sentence each, labelled by hand: "faithful" when the rendering says what its source sentence says
and nothing it does not (a dropped dateline or detail is allowed; a changed actor, action, number
or meaning is not). The report gives, at the threshold (default: config.settings.TRANSLATION_THRESHOLD), the
precision (the share of the sentences let through that are faithful: what a subscriber reads),
the recall (the share of faithful renderings let through), counts per language pair, and the same
over a sweep of thresholds of the meaning check.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config.model_settings import TRANSLATION_THRESHOLD  # noqa: E402
from summarizer.embeddings import load_embedder  # noqa: E402
from summarizer.translation.check import TranslationCheck  # noqa: E402

LABELLED = ROOT / "tests" / "data" / "translations.jsonl"
SWEEP = [round(0.86 + 0.01 * step, 2) for step in range(10)]


def read_set(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def scores(rows: list[dict], check: TranslationCheck) -> list[tuple[bool, float]]:
    """Per row: whether the checks that need no threshold pass, and the meaning score."""
    scored = []
    for row in rows:
        pair = (row["source"], row["translation"])
        form = check.form_reasons(*pair, row["source_language"], row["target_language"])
        meaning = float(check.meaning([pair], row["source_language"], row["target_language"])[0]) if pair[1] else 0.0
        scored.append((not form, meaning))
    return scored


def report(rows: list[dict], scored: list[tuple[bool, float]], threshold: float) -> dict:
    passed = [row["faithful"] for row, (form_ok, meaning) in zip(rows, scored, strict=True)
              if form_ok and meaning >= threshold]
    faithful = sum(row["faithful"] for row in rows)
    return {
        "threshold": threshold,
        "let_through": len(passed),
        "faithful_let_through": sum(passed),
        "precision": round(sum(passed) / len(passed), 3) if passed else None,
        "recall": round(sum(passed) / faithful, 3) if faithful else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=LABELLED)
    parser.add_argument("--threshold", type=float, default=TRANSLATION_THRESHOLD)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = read_set(args.set)
    check = TranslationCheck(load_embedder("offline"), args.threshold)
    scored = scores(rows, check)
    pairs: dict[str, dict[str, int]] = {}
    for row in rows:
        counts = pairs.setdefault(f"{row['source_language']}>{row['target_language']}", {"sentences": 0, "faithful": 0})
        counts["sentences"] += 1
        counts["faithful"] += row["faithful"]
    result = {
        "sentences": len(rows),
        "faithful": sum(row["faithful"] for row in rows),
        "pairs": pairs,
        "at_threshold": report(rows, scored, args.threshold),
        "sweep": [report(rows, scored, threshold) for threshold in SWEEP],
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{result['sentences']} renderings, {result['faithful']} faithful; pairs: "
          + ", ".join(f"{pair} {c['faithful']}/{c['sentences']}" for pair, c in pairs.items()))
    for line in [result["at_threshold"], *result["sweep"]]:
        print(f"threshold {line['threshold']:.2f}: {line['let_through']:3d} let through, "
              f"{line['faithful_let_through']:3d} faithful, precision {line['precision']}, recall {line['recall']}")


if __name__ == "__main__":
    main()
