"""Quality of a backend on a set of articles: language of the output, grounding, length, ROUGE.

The set is a JSONL file, one article a line: {"text": str} or {"texts": [str]} (several articles of
one story), "lang" (the summary language; omitted = the source's) and an optional "reference"
summary. A corpus folder with a manifest.json (like shared/corpus/parler) works too: each listed
file is one article, summarised in its own language unless a language is given for all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean

from summarizer.backends.pipeline import Summarizer
from summarizer.checks import MODEL_FREE, Gate
from summarizer.checks.trust import reasons_to_withhold
from summarizer.cli.bench import manifest_articles
from summarizer.language import detect_language
from summarizer.text import copied_source, opening_sentences
from summarizer.types import SummarizerError, Summary, SummaryRequest, UnsupportedInputError

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")


class EvalInputError(SummarizerError):
    """The evaluation set cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class EvalItem:
    where: str  # "FILE line N" or the article's file, for error messages
    texts: tuple[str, ...]
    language: str | None
    reference: str | None = None


@dataclass(frozen=True)
class Posted:
    """What a channel would be given for the article: the summary if it may be posted and is not a
    source's words again; else the source's opening when it is in the channel's language; else only
    the headline (no text)."""

    form: str  # "summary", "lead" or "headline"
    text: str


@dataclass(frozen=True)
class EvalRow:
    item: EvalItem
    summary: Summary
    checks: Gate = MODEL_FREE  # the gate the summary was written under
    max_chars: int = 300

    @property
    def target_language(self) -> str:
        # The pipeline's rule: no requested language means the source's.
        return self.item.language or self.summary.source_language

    @property
    def in_target_language(self) -> bool:
        """A usable summary in the language asked for; an empty or looping one is in no language, and
        one whose language could not be told (reported as the target's, flagged) is not counted either."""
        flags = self.summary.flags
        return (
            self.summary.language == self.target_language
            and "degenerate_output" not in flags
            and "language_mismatch" not in flags
        )

    @property
    def withheld(self) -> list[str]:
        """Why the gate before posting would keep this summary back ([] when it would let it through)."""
        return reasons_to_withhold(self.summary.summary, self.summary.flags, self.item.texts, self.checks)


    @property
    def posted(self) -> Posted:
        copied = copied_source(self.summary.summary, self.item.texts)
        if not self.withheld and copied is None:
            return Posted("summary", self.summary.summary)
        if self.summary.source_language == self.target_language:
            return Posted("lead", opening_sentences(self.item.texts[copied or 0], self.max_chars))
        return Posted("headline", "")


def load_items(path: str | Path, language: str | None = None) -> list[EvalItem]:
    """The articles of a JSONL file or a manifest folder; `language` overrides every item's."""
    path = Path(path)
    if path.is_dir():
        if not (path / "manifest.json").is_file():
            raise EvalInputError(f"{path} is a folder without a manifest.json")
        return [EvalItem(name, (text,), language) for name, text in manifest_articles(path)]
    if not path.is_file():
        raise EvalInputError(f"no such file: {path}")
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            items.append(_parse_line(line, f"{path} line {number}", language))
    if not items:
        raise EvalInputError(f"{path} has no articles")
    return items


def _parse_line(line: str, where: str, language: str | None) -> EvalItem:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise EvalInputError(f"{where}: not valid JSON ({exc.msg})") from None
    if not isinstance(row, dict):
        raise EvalInputError(f"{where}: expected a JSON object")
    texts = [row["text"]] if "text" in row else row.get("texts")
    if not isinstance(texts, list) or not texts or not all(isinstance(text, str) for text in texts):
        raise EvalInputError(f'{where}: needs "text" (a string) or "texts" (a list of strings)')
    for key in ("lang", "reference"):
        if not isinstance(row.get(key), str | None):
            raise EvalInputError(f'{where}: "{key}" must be a string')
    return EvalItem(where, tuple(texts), language or row.get("lang"), row.get("reference"))


async def evaluate(summarizer: Summarizer, items: list[EvalItem], max_chars: int) -> list[EvalRow]:
    """One article at a time, so each summary's seconds is its own latency."""
    rows = []
    for item in items:
        try:
            [summary] = await summarizer.summarize([SummaryRequest.of(item.texts, item.language, max_chars)])
        except UnsupportedInputError as exc:
            raise EvalInputError(f"{item.where}: {exc}") from None
        rows.append(EvalRow(item, summary, summarizer.gate, max_chars))
    return rows


def rouge(rows: list[EvalRow], text_of: Callable[[EvalRow], str]) -> dict[str, float | None]:
    """Mean ROUGE F-measures of text_of(row) against the references (None without references)."""
    scored = [row for row in rows if row.item.reference]
    if not scored:
        return dict.fromkeys(ROUGE_TYPES)
    from rouge_score.rouge_scorer import RougeScorer

    scorer = RougeScorer(list(ROUGE_TYPES), tokenizer=UnicodeWordTokenizer())
    scores = [scorer.score(row.item.reference, text_of(row)) for row in scored]
    return {kind: round(fmean(score[kind].fmeasure for score in scores), 4) for kind in ROUGE_TYPES}


def posted_totals(rows: list[EvalRow]) -> dict:
    """What channels would read, scored as the summaries are: forms, language, ROUGE."""
    posted = [row.posted for row in rows]
    return {
        "forms": {form: sum(p.form == form for p in posted) for form in ("summary", "lead", "headline")},
        "language_accuracy": round(fmean(
            bool(p.text) and detect_language(p.text) == row.target_language for row, p in zip(rows, posted, strict=True)
        ), 4),
        **rouge(rows, lambda row: row.posted.text),
    }


def totals(rows: list[EvalRow]) -> dict:
    summaries = [row.summary for row in rows]
    return {
        "articles": len(rows),
        "language_accuracy": round(fmean(row.in_target_language for row in rows), 4),
        "ungrounded_per_summary": round(fmean(len(summary.ungrounded) for summary in summaries), 3),
        # Summaries that named something no source has, caught and cut by postprocessing.
        "ungrounded_removed_rate": round(
            fmean("ungrounded_sentences_removed" in summary.flags for summary in summaries), 4
        ),
        # Summaries the gate before posting lets through as they are.
        "passed_gate": sum(not row.withheld for row in rows),
        "passed_gate_rate": round(fmean(not row.withheld for row in rows), 4),
        "mean_chars": round(fmean(len(summary.summary) for summary in summaries), 1),
        "seconds_per_article": round(fmean(summary.seconds for summary in summaries), 3),
        **rouge(rows, lambda row: row.summary.summary),
        "posted": posted_totals(rows),
    }


class UnicodeWordTokenizer:
    """Lower-cased words of any script; rouge_score's own tokenizer keeps only [a-z0-9]."""

    _WORD = re.compile(r"\w+")

    def tokenize(self, text: str) -> list[str]:
        return self._WORD.findall(text.lower())
