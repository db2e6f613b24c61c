"""Translating a source's sentences: each rendering is checked against its own source sentence
(the offline embedder, real vectors), and only what passes is given."""

import pytest

from config.model_settings import TRANSLATION_THRESHOLD
from summarizer import PromptedModel, TranslationCheck, Translator
from summarizer.backends.prompts import completion_prompt
from summarizer.embeddings import load_embedder
from summarizer.translation.prompts import translation_completion_prompt
from tests.doubles import FakeBackend

LABE = "Labe u Děčína kleslo na 96 centimetrů, nákladní lodě stojí."
BANKRUPTCY = "Это приведет к банкротству компании и может вызвать проблемы со свободой слова."


@pytest.fixture(scope="module")
def check():
    return TranslationCheck(load_embedder("offline", threads=1), TRANSLATION_THRESHOLD)


@pytest.mark.parametrize(("source", "languages", "rendering", "refused_for"), [
    (BANKRUPTCY, ("ru", "en"),
     "This will lead to the bankruptcy of the company and may cause problems with freedom of speech.", None),
    ("Компания Amazon отключила социальную сеть Parler от своих серверов.", ("ru", "en"),
     "Amazon disconnected the social network Parler from its servers.", None),
    ("V neděli Amazon vypnul síť Parler.", ("cs", "en"), "On Wednesday Amazon shut down the Parler network.",
     "not in its source: Wednesday"),
    (LABE, ("cs", "en"), "The Labe at Děčín fell to 69 centimetres, cargo ships stand still.", "left out: 96"),
    ("أعلنت شركة أمازون إيقاف استضافة شبكة بارلر للتواصل الاجتماعي.", ("ar", "en"),
     "The American Express announced that it had stopped hosting the social network.",
     "not in its source: American Express"),
    (BANKRUPTCY, ("ru", "en"), "Это приведет к банкротству фирмы.", "written in ru"),
    (BANKRUPTCY, ("ru", "en"), BANKRUPTCY, "not translated"),
    (BANKRUPTCY, ("ru", "en"), "The weather will be sunny tomorrow, with warm winds blowing across the whole coast.",
     "means something else"),
    (BANKRUPTCY, ("ru", "en"), "Bankruptcy.", "times as long as its source"),
], ids=["faithful", "faithful, a name's first word is a common one", "another weekday", "another number",
        "another name", "source language", "copied", "another meaning", "a fragment"])
def test_a_rendering_passes_only_when_it_says_what_its_source_sentence_says(
    check, source, languages, rendering, refused_for
):
    [reasons] = check.reasons([(source, rendering)], *languages)
    if refused_for is None:
        assert reasons == []
    else:
        assert any(reason.startswith(refused_for) or refused_for in reason for reason in reasons), reasons


async def test_the_translator_gives_what_passed_and_says_why_the_rest_did_not(check):
    model = FakeBackend(translations={
        BANKRUPTCY: "This will lead to the bankruptcy of the company and may cause problems with freedom of speech.",
        "Поэтому Parler подала в суд на Amazon.": "So Parler filed a lawsuit against Google.",
    })
    passed, refused = await Translator(PromptedModel(model), check).translate(
        [BANKRUPTCY, "Поэтому Parler подала в суд на Amazon."], "ru", "en")
    assert passed.text.startswith("This will lead to the bankruptcy") and passed.reasons == ()
    assert refused.text == "" and refused.rendering == "So Parler filed a lawsuit against Google."
    assert any("Google" in reason for reason in refused.reasons)
    assert model.translated == [BANKRUPTCY, "Поэтому Parler подала в суд на Amazon."]


async def test_a_model_that_only_summarises_translates_nothing(check):
    [translation] = await Translator(PromptedModel(FakeBackend()), check).translate([BANKRUPTCY], "ru", "en")
    assert translation.text == "" and translation.reasons == ("the model does not translate ru to en",)


def test_a_base_model_is_shown_example_pairs_in_both_languages_then_the_sentence():
    prompt = translation_completion_prompt(LABE, "cs", "en")
    assert prompt.endswith(f"Czech: {LABE}\nEnglish:")
    assert "Czech: Starosta Peter Novak" in prompt and "English: Mayor Peter Novak" in prompt
    # A pair without examples is asked as it is.
    assert translation_completion_prompt("Hei maailma.", "fi", "en") == "Finnish: Hei maailma.\nEnglish:"
    assert completion_prompt(LABE, "en") != prompt
