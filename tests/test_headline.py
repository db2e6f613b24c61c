"""Headlines for stories without one in the channel's language: the model's, checked, or the summary's first sentence."""

import pytest

from tests.botharness import FixedBackend

SUMMARY = "The city council approved the new budget on Tuesday. Schools get 12 new teachers."


class HeadlineBackend(FixedBackend):
    """Answers every prompt, headline prompts included, with the same text."""

    def headline_prompt(self, summary: str, language: str) -> str:
        return f"Headline in {language}: {summary}"


@pytest.mark.parametrize(
    ("model_writes", "expected"),
    [
        ("Council approves the budget for schools\nSummary: more text", "Council approves the budget for schools"),
        # Fallbacks to the summary's first sentence:
        ("Council approves 40 new teachers for the schools", "The city council approved the new budget on Tuesday."),
        ("Mayor Smith approves the budget for the schools", "The city council approved the new budget on Tuesday."),
        ("Le conseil municipal adopte le budget des écoles", "The city council approved the new budget on Tuesday."),
        ("budget budget budget budget budget budget", "The city council approved the new budget on Tuesday."),
    ],
    ids=["model headline", "invented number", "invented name", "wrong language", "degenerate"],
)
async def test_headline_names_only_what_the_summary_names(model_writes, expected):
    assert await HeadlineBackend(model_writes).headline(SUMMARY, "en") == expected


async def test_a_model_without_a_headline_prompt_gives_the_first_sentence():
    assert await FixedBackend("ignored").headline(SUMMARY, "en") == "The city council approved the new budget on Tuesday."
