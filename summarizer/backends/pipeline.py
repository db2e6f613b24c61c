"""The summarising pipeline, the same whatever the model: preprocess -> generate -> postprocess.

A Summarizer holds a model backend and a gate. It cleans and checks the input, map-reduces what is
too long for one call, generates candidates with the backend and keeps the best, prunes sentences the
gate rejects, and returns each summary with the gate's verdict on it. Which sources to summarise on
their own and which line may stand as a headline are its policy (summarizer.backends.policy).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from summarizer.backends.base import CHARS_PER_TOKEN_FLOOR, Backend
from summarizer.backends.chunking import chunk_text
from summarizer.backends.policy import central_sources, choose_headline, is_degenerate
from summarizer.backends.prompts import join_sources
from summarizer.backends.steering import Steering
from summarizer.checks import MODEL_FREE, Evidence, Gate
from summarizer.checks.trust import reasons_to_withhold
from summarizer.facts.grounding import SourceIndex, find_ungrounded, index_sources
from summarizer.facts.mentions import Name, extract_mentions
from summarizer.language import detect_language, is_supported
from summarizer.text import (
    clean_text,
    pack,
    prose_ratio,
    split_sentences,
    strip_urls,
    trim_to_sentences,
    without_unfinished,
)
from summarizer.types import Summary, SummaryRequest, UnsupportedInputError

# Bounds the work one request may cause: map-reduce stops refining after this many model calls
# and the result says which part of the input it covers (flag "partial_input").
MAX_CALLS_PER_REQUEST = 24
MIN_PROSE_RATIO = 0.5
MIN_SOURCE_CHARS = 40
# Markup some tokenizers leave in decoded text (e.g. Gemma's <start_of_image>).
_SPECIAL_TOKEN = re.compile(r"<(?:start|end)_of_\w+>|<\|?[a-z_]+\|?>")
# A run of words the model says again at once (a copied headline, twice): said once.
_REPEATED_RUN = re.compile(r"(\b\w.{19,}?)(?:\s+\1\b)+")
# A model that starts by repeating a prompt label ("Article:", "Summary:") before the answer.
_LEADING_LABEL = re.compile(r"^(?:\s*(?:article|summary|tl;dr|résumé|resumen|zusammenfassung)\s*:)+", re.IGNORECASE)


@dataclass(frozen=True)
class Prepared:
    """A request after preprocessing: cleaned sources, their language, the target language."""

    sources: list[str]
    source_language: str
    target_language: str
    max_chars: int
    grounding: SourceIndex  # the sources' names, numbers and dates, for checking every candidate
    evidence: Evidence  # the sources as every check of the gate reads them


@dataclass(frozen=True)
class Candidate:
    text: str
    language: str | None
    ungrounded: list[str]
    degenerate: bool
    pruned: bool = False  # sentences stating facts found in no source were removed
    # Mentions a name, number or date of the sources: a summary naming none of them is most
    # likely about something else (a small model steered off its source's language may ramble).
    anchored: bool = True
    failing: int = 0  # sentences that fail the gate's checks (none once pruning could drop them)

    def sound(self, target_language: str) -> bool:
        return not self.degenerate and self.language == target_language and self.anchored

    def score(self, target_language: str) -> tuple:
        # Lower is better: usable, right language, passing the gate, fewest invented facts, about
        # the sources, nothing invented that had to be cut, then the fuller text.
        return (
            self.degenerate,
            self.language != target_language,
            self.failing,
            len(self.ungrounded),
            not self.anchored,
            self.pruned,
            -len(self.text),
        )


class Summarizer:
    """Summarises requests with a model backend; every sentence it keeps passes the gate."""

    def __init__(
        self, backend: Backend, gate: Gate = MODEL_FREE, *, candidates: int = 1, per_source: int | None = None
    ) -> None:
        """`candidates` prompt variants are generated up front and compared (more is slower, and
        usually more faithful); the rest are tried only when all of them fail. With `per_source`, a
        story of several sources is summarised from up to that many of them each on its own and the
        best summary kept (checked against all sources); 0 = one prompt over all sources joined,
        None = the backend's default."""
        self.backend = backend
        self.gate = gate
        self.candidates = candidates
        self.per_source = backend.per_source if per_source is None else per_source

    @property
    def model_name(self) -> str:
        return self.backend.model_name

    async def aclose(self) -> None:
        await self.backend.aclose()

    async def summarize(self, requests: Sequence[SummaryRequest]) -> list[Summary]:
        return list(await asyncio.gather(*(self.summarize_one(request) for request in requests)))

    async def summarize_one(self, request: SummaryRequest) -> Summary:
        started = time.monotonic()
        # Language detection, tokenising and grounding take milliseconds to seconds of CPU:
        # they run in a worker thread so the event loop keeps serving.
        prepared = await asyncio.to_thread(self.preprocess, request)
        steering = await asyncio.to_thread(_steering, prepared)
        flags: list[str] = []
        sources = await self._prompt_sources(prepared, flags)
        best = await self._best_candidate(sources, prepared, steering, flags)
        withheld = await asyncio.to_thread(reasons_to_withhold, best.text, flags, prepared.evidence, self.gate)
        return Summary(
            summary=best.text,
            language=best.language or prepared.target_language,
            source_language=prepared.source_language,
            model=self.model_name,
            ungrounded=best.ungrounded,
            seconds=time.monotonic() - started,
            flags=flags,
            withheld=withheld,
        )

    async def _prompt_sources(self, prepared: Prepared, flags: list[str]) -> list[str]:
        """What the summary prompts read: all sources joined into one, or with `per_source` the most
        central sources each on its own (map-reduced if long); candidates are checked against all."""
        if not self.per_source or len(prepared.sources) == 1:
            return [await self._reduce_to_one_chunk(prepared, flags)]
        language = prepared.target_language
        chosen = await asyncio.to_thread(central_sources, prepared.sources, language, self.per_source)
        return [await self._reduce_to_one_chunk(replace(prepared, sources=[text]), flags) for text in chosen]

    # -- preprocess -------------------------------------------------------------------------

    def preprocess(self, request: SummaryRequest) -> Prepared:
        sources = [clean_text(text) for text in request.texts]
        sources = [text for text in sources if text]
        if not sources:
            raise UnsupportedInputError("the text is empty")
        joined = "\n".join(sources)
        if prose_ratio(joined) < MIN_PROSE_RATIO or len(joined) < MIN_SOURCE_CHARS:
            raise UnsupportedInputError("the text has too little prose to summarise")
        source_language = detect_language(joined)
        if source_language is None:
            raise UnsupportedInputError("the language of the text could not be recognised")
        target = request.language or source_language
        if not is_supported(target):
            raise UnsupportedInputError(f"unsupported summary language: {target!r}")
        grounding = index_sources(sources)
        return Prepared(sources, source_language, target, request.max_chars, grounding, Evidence(sources, grounding))

    def chunks(self, texts: Sequence[str]) -> list[str]:
        """Chunks never span two articles, so each partial summary is about one source."""
        count, limit = self.backend.count_tokens, self.backend.chunk_tokens
        return [chunk for text in texts for chunk in chunk_text(text, count, limit)]

    async def _reduce_to_one_chunk(self, prepared: Prepared, flags: list[str]) -> str:
        """Map-reduce: summarise chunks, pack the summaries into new chunks, until one call takes all."""
        pieces = await asyncio.to_thread(self.chunks, prepared.sources)
        calls = 0
        while len(pieces) > 1 and await asyncio.to_thread(self._over_budget, pieces):
            budget = MAX_CALLS_PER_REQUEST - calls - 1  # keep one call for the final summary
            if budget < 1:
                flags.append(f"partial_input:{len(pieces)}_parts_over_budget")
                break
            if len(pieces) > budget:
                flags.append(f"partial_input:{budget}_of_{len(pieces)}_parts")
                pieces = pieces[:budget]
            partials = await asyncio.gather(
                *(self._generate_text(piece, prepared.target_language, prepared.max_chars) for piece in pieces)
            )
            calls += len(pieces)
            kept = [text for text in partials if text]
            if not kept:  # nothing usable came back: summarise what fits rather than nothing
                flags.append("partial_input:map_step_failed")
                pieces = pieces[:1]
                break
            pieces = await asyncio.to_thread(self._pack, kept)
        return join_sources(pieces)

    def _over_budget(self, pieces: list[str]) -> bool:
        return self.backend.count_tokens(join_sources(pieces)) > self.backend.chunk_tokens

    def _pack(self, summaries: list[str]) -> list[str]:
        """Group consecutive partial summaries into as few chunks as fit, so each round shrinks."""
        return [join_sources(group) for group in pack(summaries, lambda group: not self._over_budget(group))]

    async def _generate_text(self, source: str, language: str, max_chars: int) -> str:
        prompt = self.backend.prompt(source, language, max_chars, 0)
        raw = await self.backend.generate(prompt, max_new_tokens(max_chars))
        return clean_output(raw, max_chars)

    # -- generate ---------------------------------------------------------------------------

    async def _best_candidate(
        self, sources: list[str], prepared: Prepared, steering: Steering, flags: list[str]
    ) -> Candidate:
        """Generate `candidates` prompt variants of every source together and keep the best; if none
        is sound, try the remaining variants before giving up (and flagging it)."""
        variants = list(range(self.backend.prompt_variants))
        first, rest = variants[: max(1, self.candidates)], variants[max(1, self.candidates) :]
        candidates = await self._candidates(sources, prepared, steering, first)
        for variant in rest:
            if any(c.sound(prepared.target_language) for c in candidates):
                break
            candidates += await self._candidates(sources, prepared, steering, [variant])
        best = min(candidates, key=lambda candidate: candidate.score(prepared.target_language))
        if best.pruned:
            flags.append("ungrounded_sentences_removed")
        if best.degenerate:
            flags.append("degenerate_output")
        elif best.language != prepared.target_language:
            flags.append("language_mismatch")
        return best

    async def _candidates(
        self, sources: list[str], prepared: Prepared, steering: Steering, variants: list[int]
    ) -> list[Candidate]:
        language, max_chars = prepared.target_language, prepared.max_chars
        answer_tokens = max_new_tokens(max_chars)
        prompts = [self.backend.prompt(source, language, max_chars, v) for source in sources for v in variants]
        generate = self.backend.generate_steered
        raws = await asyncio.gather(*(generate(prompt, answer_tokens, steering) for prompt in prompts))
        return await asyncio.to_thread(lambda: [_anchor(self.postprocess(raw, prepared), prepared) for raw in raws])

    # -- postprocess ------------------------------------------------------------------------

    def postprocess(self, raw: str, prepared: Prepared) -> Candidate:
        text = clean_output(raw, prepared.max_chars)
        sentences = split_sentences(text)
        kept = self.gate.prune(sentences, prepared.evidence)
        # A sentence naming a person, place or number that no source has, or saying what no source
        # says, is more likely invented than the rest: drop it, as long as something remains.
        pruned = len(kept) < len(sentences) and bool(kept) and not is_degenerate(" ".join(kept))
        if pruned:
            text = " ".join(kept)
        return Candidate(
            text=text,
            language=detect_language(text),
            ungrounded=[] if pruned else find_ungrounded(text, prepared.grounding),
            degenerate=is_degenerate(text),
            pruned=pruned,
            failing=0 if pruned else len(sentences) - len(kept),
        )

    # -- headlines --------------------------------------------------------------------------

    async def headline(self, summary: str, language: str) -> str:
        """A headline in `language` for a summary, or "" when there is no trustworthy one
        (policy.choose_headline: the model's line, else the summary's first sentence)."""
        prompt = self.backend.headline_prompt(summary, language)
        text = None
        if prompt is not None:
            text = _SPECIAL_TOKEN.sub(" ", await self.backend.generate(prompt, max_new_tokens=32)).strip()
        return choose_headline(text, summary, language)

    # -- the door ---------------------------------------------------------------------------

    async def reasons_to_withhold(self, summary: str, flags: Iterable[str], sources: Sequence[str]) -> list[str]:
        """Why a summary must not be shown ([] when it may), checked by this summarizer's gate against
        the sources as they stand when it is about to go out; in a worker thread (checks may run a model)."""
        return await asyncio.to_thread(reasons_to_withhold, summary, flags, sources, self.gate)


def _steering(prepared: Prepared) -> Steering:
    """The answer's language, and the sources' names it may quote as they are written.

    A capitalised word opening a sentence is as often a common word ("Podle", "Jelikož"): left out.
    """
    names = {
        word
        for source in prepared.sources
        for mention in extract_mentions(source)
        if isinstance(mention, Name) and not mention.sentence_initial
        for word in mention.text.split()
    }
    return Steering(prepared.target_language, tuple(sorted(names)))


def _anchor(candidate: Candidate, prepared: Prepared) -> Candidate:
    """The candidate, marked by whether it mentions anything its sources mention (when they mention anything).

    A capitalised word opening a sentence counts only as a name the sources have ("Уважаемые
    партнеры!" is no name); invented mentions were already listed as ungrounded.
    """
    if not any(extract_mentions(source) for source in prepared.sources):
        return candidate  # sources that name nothing give nothing to anchor to
    names = prepared.grounding.name_keys
    anchored = any(
        mention.text not in candidate.ungrounded
        and not (isinstance(mention, Name) and mention.sentence_initial and not names.issuperset(mention.keys))
        for mention in extract_mentions(candidate.text)
    )
    return replace(candidate, anchored=anchored)


def max_new_tokens(max_chars: int) -> int:
    """The token budget for an answer of at most max_chars characters."""
    return max(32, min(320, int(max_chars / CHARS_PER_TOKEN_FLOOR)))


def clean_output(raw: str, max_chars: int) -> str:
    """Keep the first paragraph of real prose, without links, trimmed to whole sentences."""
    text = _SPECIAL_TOKEN.sub(" ", raw).strip()
    text = _LEADING_LABEL.sub("", text)
    paragraphs = [p.strip(" -*•#>") for p in re.split(r"\n\s*\n|\n(?=\S+:\s)", text) if p.strip()]
    prose = [p for p in paragraphs if prose_ratio(strip_urls(p)) > MIN_PROSE_RATIO]
    first = strip_urls(prose[0]) if prose else ""
    first = _LEADING_LABEL.sub("", re.sub(r"^\[\d+\]\s*", "", first))
    return trim_to_sentences(without_unfinished(_REPEATED_RUN.sub(r"\1", " ".join(first.split()))), max_chars)
