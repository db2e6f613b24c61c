"""Script steering and per-source candidates, on a tiny random causal model (plumbing, not quality)."""

import pytest
import regex

from summarizer.backends.causal import CausalLMBackend
from summarizer.backends.local import Job
from summarizer.backends.model_files import ModelSource
from summarizer.backends.pipeline import Prepared, Summarizer
from summarizer.backends.steering import SCRIPT_BIAS, ScriptMasks, Steering
from summarizer.types import SummaryRequest

ENGLISH = "The city council approved the new budget on Tuesday after a long debate. " * 3
RUSSIAN = "Городской совет утвердил новый бюджет во вторник после долгих споров. " * 3
FRENCH = "Le conseil municipal a approuvé le nouveau budget mardi après un long débat. " * 3
NOT_CYRILLIC = regex.compile(r"[\p{L}--\p{Cyrillic}]", regex.V1)


@pytest.fixture(scope="module")
def backend(tiny_causal_dir):
    return CausalLMBackend(ModelSource(spec="tiny", path=str(tiny_causal_dir)))


def ids(backend, text):
    return set(backend.tokenizer(text, add_special_tokens=False).input_ids)


def test_tokens_of_another_script_are_lowered_and_the_rest_left_alone(backend):
    masks = ScriptMasks(backend.tokenizer)
    width = len(backend.tokenizer)
    russian = masks.bias(Steering("ru"), width)
    english = masks.bias(Steering("en"), width)
    latin, cyrillic, neutral = ids(backend, " budget"), ids(backend, " бюджет"), ids(backend, " 12, ")

    assert all(russian[i] == -SCRIPT_BIAS for i in latin) and all(russian[i] == 0 for i in cyrillic | neutral)
    # A byte-level piece of a Cyrillic letter decodes to no letter at all and stays neutral.
    lettered = {i for i in cyrillic if regex.search(r"\p{Cyrillic}", backend.tokenizer.decode([i]))}
    assert lettered and all(english[i] == -SCRIPT_BIAS for i in lettered)
    assert all(english[i] == 0 for i in latin | neutral | (cyrillic - lettered))
    assert all(russian[i] == 0 for i in backend.tokenizer.all_special_ids)
    assert not masks.bias(None, width).any()


def test_names_from_the_sources_keep_their_own_script(backend):
    masks = ScriptMasks(backend.tokenizer)
    row = masks.bias(Steering("ru", keep=("Amazon",)), len(backend.tokenizer))
    assert all(row[i] == 0 for i in ids(backend, "Amazon") | ids(backend, " Amazon"))
    assert any(row[i] < 0 for i in ids(backend, " budget"))


def test_a_steered_answer_keeps_to_the_target_script(backend):
    prompt = f"{ENGLISH}\n\nSummary:"
    free, steered = backend.generate_batch([Job(prompt, 40), Job(prompt, 40, Steering("ru"))])
    # The random model writes Latin letters when left alone; the bias keeps it to Cyrillic.
    assert NOT_CYRILLIC.search(free)
    assert steered.strip() and not NOT_CYRILLIC.search(steered)


async def test_each_of_several_sources_is_summarised_on_its_own(backend, monkeypatch):
    prompts: list[str] = []
    generate = backend.generate_steered

    async def recording(prompt, max_new_tokens, steering):
        prompts.append(prompt)
        assert steering.language == "ru"
        return await generate(prompt, max_new_tokens, steering)

    monkeypatch.setattr(backend, "generate_steered", recording)
    monkeypatch.setattr(backend, "prompt_variants", 1)
    await Summarizer(backend, per_source=2).summarize_one(SummaryRequest.of([ENGLISH, FRENCH, RUSSIAN], "ru", max_chars=80))

    assert len(prompts) == 2
    assert all(sum(text[:40] in prompt for text in (ENGLISH, FRENCH, RUSSIAN)) == 1 for prompt in prompts)
    # The source already in the summary's language is always among those summarised.
    assert any(RUSSIAN[:40] in prompt for prompt in prompts)


async def test_without_per_source_the_sources_share_one_prompt(backend, monkeypatch):
    prompts: list[str] = []
    generate = backend.generate_steered

    async def recording(prompt, max_new_tokens, steering):
        prompts.append(prompt)
        return await generate(prompt, max_new_tokens, steering)

    monkeypatch.setattr(backend, "generate_steered", recording)
    monkeypatch.setattr(backend, "prompt_variants", 1)
    await Summarizer(backend, per_source=0).summarize_one(SummaryRequest.of([ENGLISH, FRENCH], "en", max_chars=80))

    assert len(prompts) == 1 and ENGLISH[:40] in prompts[0] and FRENCH[:40] in prompts[0]


def test_central_sources_prefer_the_target_language_then_shared_names():
    from summarizer.backends.policy import central_sources

    core = "Amazon stopped hosting Parler on Monday, said John Matze in Seattle. " * 2
    side = "The weather in Lisbon was mild and the Tagus river was calm this week. " * 2
    russian = "Amazon перестал размещать Parler в понедельник, заявил Джон Матц. " * 2
    french = "Amazon a cessé d'héberger Parler lundi, après des semaines de débat. " * 2

    assert central_sources([side, core, russian, french], "ru", 2) == [core, russian]
    assert central_sources([side, core, french], "en", 1) == [core]


def test_a_summary_naming_nothing_of_its_sources_is_not_sound_and_ranks_below_one_that_does():
    from summarizer.backends.pipeline import Candidate, _anchor
    from summarizer.checks import Evidence
    from summarizer.facts.grounding import index_sources

    sources = ["Amazon stopped hosting Parler on Monday, said John Matze in Seattle."]
    grounding = index_sources(sources)
    prepared = Prepared(sources, "en", "ru", 400, grounding, Evidence(sources, grounding))
    about = _anchor(Candidate("Компания Amazon отключила сервис Parler.", "ru", [], False), prepared)
    greeting = "Уважаемые партнеры! Мы рады приветствовать вас в нашей компании."
    elsewhere = _anchor(Candidate(greeting, "ru", [], False), prepared)

    assert about.sound("ru") and not elsewhere.sound("ru")
    assert min([elsewhere, about], key=lambda candidate: candidate.score("ru")) is about
