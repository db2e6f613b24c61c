"""The summarizer's request and result types and its errors."""

from __future__ import annotations

from dataclasses import dataclass, field


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message, for one-line errors."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class SummarizerError(Exception):
    """A problem the caller can show as-is: one short sentence, no traceback."""


class UnsupportedInputError(SummarizerError):
    """The input cannot be summarised (empty, binary, no prose, unknown language)."""


class ModelLoadError(SummarizerError):
    """The configured model could not be found or loaded."""


class BackendUnavailableError(SummarizerError):
    """A remote inference server is down, hangs or answers with errors."""


@dataclass(frozen=True)
class SummaryRequest:
    texts: tuple[str, ...]  # one article, or several telling the same story
    language: str | None = None  # ISO 639-1 target; None = the source's language
    max_chars: int = 400

    @classmethod
    def of(cls, text: str | list[str] | tuple[str, ...], language: str | None = None, max_chars: int = 400):
        texts = (text,) if isinstance(text, str) else tuple(text)
        return cls(texts=texts, language=language, max_chars=max_chars)


@dataclass
class Summary:
    summary: str
    language: str  # language the summary is written in (detected)
    source_language: str
    model: str
    ungrounded: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # Notes on anything short of a clean result, e.g. "language_mismatch", "partial_input:...".
    flags: list[str] = field(default_factory=list)
    # The gate's verdict against the sources summarised: why the text may not be shown ([] when it may).
    withheld: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "summary": self.summary,
            "language": self.language,
            "source_language": self.source_language,
            "model": self.model,
            "ungrounded": list(self.ungrounded),
            "seconds": round(self.seconds, 3),
            "flags": list(self.flags),
        }
