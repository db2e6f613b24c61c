"""Headlines for stories without one in the channel's language: the model's, checked, or the summary's first
sentence when it is short; never a cut sentence, never a name or a word the summary lacks."""

import pytest

from summarizer import Summarizer
from tests.doubles import FakeBackend

SUMMARY = "The city council approved the new budget on Tuesday. Schools get 12 new teachers."


class HeadlineBackend(FakeBackend):
    """Answers every prompt, headline prompts included, with the same text."""

    def headline_prompt(self, summary: str, language: str) -> str:
        return f"Headline in {language}: {summary}"


@pytest.mark.parametrize(
    ("model_writes", "expected"),
    [
        ("Council approves the budget for schools\nSummary: more text", "Council approves the budget for schools"),
        # Fallbacks to the summary's first sentence:
        ("Council approves 40 new teachers for the schools", "The city council approved the new budget on Tuesday"),
        ("Mayor Smith approves the budget for the schools", "The city council approved the new budget on Tuesday"),
        ("Council rejects the budget for schools", "The city council approved the new budget on Tuesday"),
        ("Le conseil municipal adopte le budget des écoles", "The city council approved the new budget on Tuesday"),
        ("budget budget budget budget budget budget", "The city council approved the new budget on Tuesday"),
        ("The council approved the budget after a debate that lasted late into the night and…",
         "The city council approved the new budget on Tuesday"),
        ("The city council, which met on Tuesday, approved the new budget for the schools and the roads",
         "The city council approved the new budget on Tuesday"),
    ],
    ids=["model headline", "invented number", "invented name", "a word the summary lacks", "wrong language", "degenerate", "cut", "too long"],
)
async def test_headline_names_only_what_the_summary_names(model_writes, expected):
    assert await Summarizer(HeadlineBackend(model_writes)).headline(SUMMARY, "en") == expected


async def test_a_model_without_a_headline_prompt_gives_the_first_sentence():
    assert await Summarizer(FakeBackend("ignored")).headline(SUMMARY, "en") == "The city council approved the new budget on Tuesday"


async def test_no_headline_when_neither_the_model_nor_the_summary_has_a_short_complete_one():
    long_summary = ("The city council approved the new budget on Tuesday after a debate about schools, roads, "
                    "parks and the harbour that lasted well into the night. Schools get 12 new teachers.")
    summarizer = Summarizer(HeadlineBackend("Mayor Smith approves the budget"))
    assert await summarizer.headline(long_summary, "en") == ""
