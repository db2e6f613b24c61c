"""Pure language work: text in, summaries out. What the application uses is named here; the
modules behind it (backends, checks, facts, cli) are the summarizer's own.

- Summarising: a `Summarizer` holds a model `Backend` (built by `load_backend`) and a gate, and
  turns `SummaryRequest`s into `Summary`s, each with the gate's verdict on it (`Summary.withheld`).
  A backend also generates on its own (`generate`, `generate_steered` with a `Steering`).
- The gate: a `Gate` of sentence checks (names and numbers always; `EmbeddingSupport`,
  `EntailmentCheck` when configured); `reasons_to_withhold` is its verdict on a text.
- Facts: `extract_mentions` finds the names (`Name`), numbers (`Number`) and dates (`Date`) of a text.
- Text: `detect_language` (`load_language_detector` loads its models up front), `is_supported`,
  `source_text` (an article as it is summarised), `split_sentences`, `trim_to_sentences`,
  `opening_sentences`, `pack`, `copied_source` (a model's text that is a source's opening again); what is new in a story:
  `candidate_sentences`, `new_sentences`.
- Translation: a `Translator` renders sentences with the model (or a translation model), each checked against its own source
  sentence by a `TranslationCheck`; a `Translation` that failed has no text.
Sentence embeddings have their own public face, summarizer.embeddings.
"""

from summarizer.backends.base import Backend
from summarizer.backends.loader import load_backend
from summarizer.backends.pipeline import Summarizer
from summarizer.backends.steering import Steering
from summarizer.checks import Gate
from summarizer.checks.entailment import EntailmentCheck
from summarizer.checks.support import EmbeddingSupport
from summarizer.checks.trust import reasons_to_withhold
from summarizer.facts.mentions import Date, Name, Number, extract_mentions, uncased_word_keys
from summarizer.language import detect_language, is_supported, load_language_detector
from summarizer.novelty import candidate_sentences, new_sentences
from summarizer.text import copied_source, opening_sentences, pack, source_text, split_sentences, trim_to_sentences
from summarizer.translation.check import TranslationCheck
from summarizer.translation.machine import MachineTranslation
from summarizer.translation.translator import PromptedModel, Translation, Translator
from summarizer.types import SummarizerError, Summary, SummaryRequest, UnsupportedInputError

__all__ = [
    "Backend",
    "Date",
    "EmbeddingSupport",
    "EntailmentCheck",
    "Gate",
    "MachineTranslation",
    "Name",
    "Number",
    "PromptedModel",
    "Steering",
    "Summarizer",
    "Summary",
    "SummarizerError",
    "SummaryRequest",
    "Translation",
    "TranslationCheck",
    "Translator",
    "UnsupportedInputError",
    "candidate_sentences",
    "copied_source",
    "detect_language",
    "extract_mentions",
    "is_supported",
    "load_backend",
    "load_language_detector",
    "new_sentences",
    "opening_sentences",
    "pack",
    "reasons_to_withhold",
    "source_text",
    "split_sentences",
    "trim_to_sentences",
    "uncased_word_keys",
]
