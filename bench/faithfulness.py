"""How well each sentence check catches unfaithful summary sentences, on a hand-labelled set.

Usage: .venv/bin/python bench/faithfulness.py [--set tests/data/faithfulness.jsonl]
           [--threshold 0.90] [--verifier MODEL [--verifier-threshold 0.5]] [--json]

The set (tests/data/faithfulness.jsonl) holds real sentences the offline summariser wrote
without the gate (bench/faithfulness_generate.py), each labelled by hand: "faithful" (the
sources say it; a "note" says why not) and, for a sentence stating names, numbers or dates,
"names_correct" (each is stated by a source, in whatever language or script the source writes
it; null when it states none). Sentences of one summary share its "summary" id and are checked
together, as the gate does; bench/faithfulness_sources.py reads their sources. For each check
(names/numbers, embedding support, both, and an NLI verifier when given) the report gives
precision and recall at flagging the unfaithful sentences, how many faithful ones each flags,
and the false-alarm rate of the names check on sentences whose names are all correct. The
support check is also swept over thresholds: trust.support_threshold was chosen on this sweep.
Sources missing on this machine (the shared corpus) skip their summaries, with a message.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.faithfulness_sources import MissingSource, read_source  # noqa: E402
from config.model_settings import TrustSettings  # noqa: E402
from summarizer.checks import Evidence, SentenceCheck  # noqa: E402
from summarizer.checks.names import NamesCheck  # noqa: E402
from summarizer.checks.support import source_sentences  # noqa: E402

LABELLED = ROOT / "tests" / "data" / "faithfulness.jsonl"
SWEEP = [round(0.80 + 0.01 * step, 2) for step in range(14)]


@dataclass
class Judged:
    """One labelled sentence and what each check said of it (True: flagged as unsupported)."""

    sentence: str
    faithful: bool
    names_correct: bool | None
    flagged: dict[str, bool] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)


def load_set(path: Path, root: Path = ROOT) -> tuple[list[tuple[list[str], list[dict]]], list[str]]:
    """(source texts, labelled sentences) per summary, and the source specs that are missing."""
    summaries: defaultdict[str, list[dict]] = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            summaries[record["summary"]].append(record)
    usable, missing = [], []
    for records in summaries.values():
        try:
            texts = [read_source(spec, root) for spec in records[0]["sources"]]
        except MissingSource as exc:
            missing.append(str(exc))
            continue
        usable.append((texts, records))
    return usable, missing


def judge(summaries: Sequence[tuple[list[str], list[dict]]], checks: Sequence[SentenceCheck]) -> list[Judged]:
    judged = []
    for texts, records in summaries:
        evidence = Evidence(texts)
        sentences = [record["sentence"] for record in records]
        rows = [Judged(r["sentence"], r["faithful"], r.get("names_correct")) for r in records]
        for check in checks:
            for row, verdict in zip(rows, check.check(sentences, evidence), strict=True):
                row.flagged[check.name] = not verdict.supported
                row.scores[check.name] = verdict.score
        judged += rows
    return judged


def rates(rows: Sequence[Judged], flagged: Callable[[Judged], bool]) -> dict[str, float | int | None]:
    """Precision and recall at catching the unfaithful sentences."""
    caught = sum(1 for row in rows if flagged(row) and not row.faithful)
    alarms = sum(1 for row in rows if flagged(row))
    unfaithful = sum(1 for row in rows if not row.faithful)
    return {
        "flagged": alarms,
        "caught": caught,
        "faithful_flagged": alarms - caught,
        "precision": round(caught / alarms, 3) if alarms else None,
        "recall": round(caught / unfaithful, 3) if unfaithful else None,
    }


def report(rows: Sequence[Judged], support: str | None = "support", verifier: str | None = None) -> dict:
    """The bench's numbers: per check, combined, the names check's false alarms, a support sweep."""
    checks: dict[str, Callable[[Judged], bool]] = {"names": lambda row: row.flagged["names"]}
    if support:
        checks[support] = lambda row: row.flagged[support]
        checks[f"names+{support}"] = lambda row: row.flagged["names"] or row.flagged[support]
    if verifier:
        checks[verifier] = lambda row: row.flagged[verifier]
        checks[f"names+{verifier}"] = lambda row: row.flagged["names"] or row.flagged[verifier]
    named = [row for row in rows if row.names_correct]
    false_alarms = sum(1 for row in named if row.flagged["names"])
    result: dict = {
        "sentences": len(rows),
        "unfaithful": sum(1 for row in rows if not row.faithful),
        "checks": {name: rates(rows, flagged) for name, flagged in checks.items()},
        "names_false_alarms": {
            "sentences_with_correct_names": len(named),
            "flagged": false_alarms,
            "rate": round(false_alarms / len(named), 3) if named else None,
        },
    }
    if support:
        result["support_sweep"] = {
            str(bar): {
                "alone": rates(rows, lambda row, bar=bar: row.scores[support] < bar),
                "with names": rates(rows, lambda row, bar=bar: row.flagged["names"] or row.scores[support] < bar),
            }
            for bar in SWEEP
        }
    return result


def _embedded_texts(summaries: Sequence[tuple[list[str], list[dict]]]) -> list[set[str]]:
    """Per summary, the distinct texts the support check embeds: its sentences and its sources'."""
    return [
        {record["sentence"] for record in records} | set(source_sentences(Evidence(texts)))
        for texts, records in summaries
    ]


def table(result: dict) -> str:
    lines = [f"{result['sentences']} sentences, {result['unfaithful']} unfaithful", "",
             f"{'check':<22}{'flagged':>8}{'caught':>8}{'faithful':>9}{'precision':>11}{'recall':>8}"]
    for name, row in result["checks"].items():
        lines.append(f"{name:<22}{_counts(row)}")
    alarms = result["names_false_alarms"]
    lines += ["", f"names check false alarms on sentences with correct names: {alarms['flagged']}"
              f"/{alarms['sentences_with_correct_names']} = {_cell(alarms['rate'])}"]
    if "support_sweep" in result:
        lines += ["", "support threshold sweep (alone | with names):",
                  f"{'threshold':<10}{'flagged':>8}{'caught':>8}{'faithful':>9}{'precision':>11}{'recall':>8}   |"
                  f"{'flagged':>8}{'caught':>8}{'faithful':>9}{'precision':>11}{'recall':>8}"]
        for bar, row in result["support_sweep"].items():
            lines.append(f"{bar:<10}{_counts(row['alone'])}   |{_counts(row['with names'])}")
    return "\n".join(lines)


def _counts(row: dict) -> str:
    return (f"{row['flagged']:>8}{row['caught']:>8}{row['faithful_flagged']:>9}{_cell(row['precision']):>11}"
            f"{_cell(row['recall']):>8}")


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=LABELLED)
    parser.add_argument("--threshold", type=float, default=TrustSettings().support_threshold,
                        help="support threshold (default: trust.support_threshold's)")
    parser.add_argument("--verifier", default=None, help="an NLI model (hub id or directory) to bench too")
    parser.add_argument("--verifier-threshold", type=float, default=TrustSettings().verifier_threshold)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from summarizer.checks.support import EmbeddingSupport
    from summarizer.embeddings import load_embedder

    summaries, missing = load_set(args.set)
    for spec in missing:
        print(f"skipped a summary: source {spec} is not on this machine", file=sys.stderr)
    # One thread: CPU seconds then say what a sentence costs one core (OpenMP threads spin).
    embedder = load_embedder("offline", threads=1)
    checks: list[SentenceCheck] = [NamesCheck(), EmbeddingSupport(embedder, args.threshold)]
    if args.verifier:
        from summarizer.checks.entailment import EntailmentCheck

        checks.append(EntailmentCheck(args.verifier, args.verifier_threshold))
    judge(summaries, checks[:1])  # loads the name tables and the language models: not timed
    seconds: dict[str, float] = {}
    rows: list[Judged] = []
    for check in checks:  # one check at a time, to time each
        started = time.process_time()
        judged = judge(summaries, [check])
        seconds[check.name] = time.process_time() - started
        if not rows:
            rows = judged
        for row, one in zip(rows, judged, strict=True):
            row.flagged |= one.flagged
            row.scores |= one.scores
    result = report(rows, verifier="entailment" if args.verifier else None)
    result["cpu_ms_per_sentence"] = {name: round(1000 * s / max(1, len(rows)), 1) for name, s in seconds.items()}
    # Summary and source sentences the support check embedded (each once: its cache holds them all).
    result["support_texts_embedded"] = len(set().union(*_embedded_texts(summaries)))
    result["skipped_summaries"] = len(missing)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(table(result))
        print("\nCPU ms per summary sentence, one thread (the sources' sentences embedded once per summary): "
              + ", ".join(f"{name} {ms}" for name, ms in result["cpu_ms_per_sentence"].items())
              + f"; the support check embedded {result['support_texts_embedded']} texts")


if __name__ == "__main__":
    main()
