"""A dedicated translation model (translation.model): languages named the model's way, one model per
pair when the name says so, and nothing translated (never a crash) for a pair it cannot do."""

import logging

import pytest
from transformers import AutoTokenizer

from summarizer import MachineTranslation
from summarizer.translation.machine import language_tokens
from tests.tinymodels import build_tiny_m2m100, build_tiny_translator

LABE = "Labe u Děčína kleslo na 96 centimetrů, nákladní lodě stojí."
GAUGE = "Vodočet v Děčíně v neděli ráno ukazoval 96 centimetrů."


@pytest.fixture(scope="module")
def m2m100(tmp_path_factory):
    return build_tiny_m2m100(tmp_path_factory.mktemp("m2m100"))


@pytest.fixture(scope="module")
def nllb(tmp_path_factory):
    return build_tiny_translator(tmp_path_factory.mktemp("nllb"), ["ces_Latn", "eng_Latn", "arb_Arab", "zho_Hans",
                                                                   "zho_Hant"])


async def test_a_many_language_model_renders_every_sentence_it_can(m2m100):
    translator = MachineTranslation(str(m2m100))
    renderings = await translator.render([LABE, GAUGE], "cs", "en")
    assert len(renderings) == 2 and all(isinstance(text, str) for text in renderings)
    assert await translator.render([LABE], "cs", "eu") is None  # M2M100 has no Basque


def test_languages_are_named_as_each_model_names_them(m2m100, nllb):
    assert language_tokens(AutoTokenizer.from_pretrained(m2m100), "cs", "ru") == ("__cs__", "__ru__")
    tokenizer = AutoTokenizer.from_pretrained(nllb)
    assert language_tokens(tokenizer, "cs", "en") == ("ces_Latn", "eng_Latn")
    assert language_tokens(tokenizer, "ar", "en") == ("arb_Arab", "eng_Latn")  # Arabic is NLLB's arb
    assert language_tokens(tokenizer, "zh", "en") == ("zho_Hans", "eng_Latn")
    assert language_tokens(tokenizer, "ru", "en") is None


async def test_a_model_per_pair_is_loaded_for_the_pairs_it_exists_for(tmp_path):
    build_tiny_translator(tmp_path / "opus-mt-cs-en")
    translator = MachineTranslation(str(tmp_path / "opus-mt-{source}-{target}"))
    [rendering] = await translator.render([LABE], "cs", "en")
    assert isinstance(rendering, str)
    assert await translator.render([LABE], "de", "en") is None


async def test_a_model_that_cannot_be_loaded_translates_nothing_and_says_so_once(tmp_path, caplog):
    translator = MachineTranslation(str(tmp_path / "missing"))
    with caplog.at_level(logging.ERROR):
        assert await translator.render([LABE], "cs", "en") is None
        assert await translator.render([GAUGE], "cs", "en") is None
    [logged] = caplog.records
    assert logged.message.startswith(f"cannot load translation model {tmp_path / 'missing'}: ")
