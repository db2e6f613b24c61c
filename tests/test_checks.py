"""The sentence gate: its checks, its pruning through the real pipeline, the door check, the wiring."""

from collections.abc import Sequence

import pytest

from bot.resources import Resources
from config.settings import Settings
from summarizer import Summarizer
from summarizer.checks import MODEL_FREE, Evidence, Gate, SentenceCheck, Verdict
from summarizer.checks.entailment import MAX_PASSAGES, EntailmentCheck, _passages
from summarizer.checks.support import EmbeddingSupport
from summarizer.checks.trust import reasons_to_withhold
from summarizer.types import ModelLoadError, SummaryRequest
from tests.doubles import FakeBackend, FakeEmbedder
from tests.tinymodels import build_tiny_nli

STRIKE = (
    "Rotterdam dock strike leaves 37 ships waiting\n"
    "Dockworkers in Rotterdam went on strike on Friday over pay and automation. "
    "About 4,200 workers at the container terminals walked out after talks collapsed. "
    "The union demands a pay rise of 6.5 per cent and guarantees that no jobs will be lost."
)
FAITHFUL = "Dockworkers in Rotterdam went on strike on Friday over pay and automation."
INVENTED_NAME = "The strike was called by Pieter Jansen."
UNSUPPORTED = "The harbour will stay closed for a whole year because of the storm damage."


def support_gate(threshold: float = 0.5) -> Gate:
    """Names and support by meaning, without the wording check (which also refuses UNSUPPORTED)."""
    return Gate([EmbeddingSupport(FakeEmbedder(), threshold)], new_words=None)


async def summarise(text: str, checks: Gate) -> str:
    [summary] = await Summarizer(FakeBackend(text), checks).summarize([SummaryRequest.of(STRIKE, "en")])
    return summary.summary


async def test_a_sentence_with_an_invented_name_is_never_in_the_output():
    summary = await summarise(f"{FAITHFUL} {INVENTED_NAME}", MODEL_FREE)
    assert summary == FAITHFUL


async def test_a_sentence_no_source_says_is_dropped_by_the_support_check():
    text = f"{FAITHFUL} {UNSUPPORTED}"
    assert await summarise(text, Gate(new_words=None)) == text  # it names nothing: the names check cannot see it
    assert await summarise(text, support_gate()) == FAITHFUL


# --- wording: a sentence in a source's language says it in the source's words -------------------

SWAPPED_WORD = "Dockworkers in Rotterdam cancelled a strike on Friday over pay and automation."


async def test_a_sentence_in_its_sources_language_with_a_word_no_source_uses_is_dropped():
    assert await summarise(f"{FAITHFUL} {SWAPPED_WORD}", MODEL_FREE) == FAITHFUL
    [reason] = reasons_to_withhold(SWAPPED_WORD, [], [STRIKE])
    assert reason.startswith("wording: words no source uses: cancelled")


def test_inflected_forms_of_the_sources_words_and_function_words_count_as_theirs():
    inflected = "Dockworker strikes in Rotterdam: the workers demanded guarantees, mostly about automating jobs."
    assert reasons_to_withhold(inflected, [], [STRIKE]) == []


def test_wording_is_not_judged_across_languages_and_may_allow_new_words():
    french = "Les dockers de Rotterdam se sont mis en grève vendredi pour les salaires."
    assert reasons_to_withhold(french, [], [STRIKE]) == []  # left to the support check
    assert reasons_to_withhold(SWAPPED_WORD, [], [STRIKE], Gate(new_words=1)) == []


async def test_a_summary_that_is_all_unsupported_is_kept_whole_for_the_door_to_refuse():
    # Nothing would remain: the candidate keeps its text and the door check gives the reason.
    assert await summarise(UNSUPPORTED, support_gate()) == UNSUPPORTED
    [reason] = reasons_to_withhold(UNSUPPORTED, [], [STRIKE], support_gate())
    assert reason.startswith("support: said by no source") and "harbour" in reason


async def test_each_summary_comes_with_the_gates_verdict_on_it():
    [passed] = await Summarizer(FakeBackend(FAITHFUL), support_gate()).summarize([SummaryRequest.of(STRIKE, "en")])
    assert passed.withheld == []
    [refused] = await Summarizer(FakeBackend(UNSUPPORTED), support_gate()).summarize([SummaryRequest.of(STRIKE, "en")])
    [reason] = refused.withheld
    assert reason.startswith("support: said by no source") and "harbour" in reason


def test_the_door_check_runs_every_check_of_the_gate():
    assert reasons_to_withhold(FAITHFUL, [], [STRIKE], support_gate()) == []
    [reason] = reasons_to_withhold(f"{FAITHFUL} {INVENTED_NAME}", [], [STRIKE], support_gate())
    assert reason.startswith("names: not in the sources: Pieter Jansen")
    assert reasons_to_withhold(FAITHFUL, ["language_mismatch"], [STRIKE], support_gate()) == ["language_mismatch"]


def test_support_scores_are_the_best_cosine_against_the_source_sentences():
    verdicts = EmbeddingSupport(FakeEmbedder(), 0.9).check([FAITHFUL, UNSUPPORTED], Evidence([STRIKE]))
    assert verdicts[0] == Verdict(True, pytest.approx(1.0), "")
    assert not verdicts[1].supported and verdicts[1].score < 0.5


def test_a_sentence_in_no_source_language_needs_the_higher_bar():
    sentence = "Die Hafenarbeiter in Rotterdam streiken seit Freitag für mehr Lohn."
    told = "Die Hafenarbeiter in Rotterdam streiken seit Freitag."  # cosine 0.84 in words
    german = Evidence([f"Streik in Rotterdam\n{told} Die Gewerkschaft verlangt mehr Geld und sichere Arbeitsplätze."])
    english = Evidence([f"{STRIKE} {told}"])
    check = EmbeddingSupport(FakeEmbedder(), 0.5, across_languages=0.9)
    [within] = check.check([sentence], german)
    [across] = check.check([sentence], english)
    assert within.supported and within.score == pytest.approx(across.score)
    assert not across.supported and "below 0.90 across languages" in across.reason


def test_source_vectors_are_embedded_once_across_candidates_and_the_door_check():
    embedder = FakeEmbedder()
    check = EmbeddingSupport(embedder, 0.5)
    check.check([FAITHFUL], Evidence([STRIKE]))
    first = len(embedder.embedded)
    check.check([FAITHFUL, UNSUPPORTED], Evidence([STRIKE]))
    assert embedder.embedded[first:] == [UNSUPPORTED]


def test_the_cache_of_vectors_is_bounded():
    embedder = FakeEmbedder()
    check = EmbeddingSupport(embedder, 0.5, cached=3)
    check.check(["one two", "three four"], Evidence(["five six. seven eight."]))
    assert len(check._vectors) == 3
    check.check(["one two"], Evidence(["five six. seven eight."]))
    assert embedder.embedded[-1] == "one two"  # evicted, embedded again


class NoOpening(SentenceCheck):
    """Fails a sentence starting with "Then" when it opens the text, and any sentence with "bad"."""

    name = "opening"

    def check(self, sentences: Sequence[str], evidence: Evidence) -> list[Verdict]:
        return [
            Verdict(not ("bad" in s or (i == 0 and s.startswith("Then"))), 0.0) for i, s in enumerate(sentences)
        ]


def test_what_remains_after_pruning_is_checked_again():
    gate = Gate([NoOpening()])
    kept = gate.prune(["A bad start.", "Then the strike began.", "Ships waited."], Evidence([STRIKE]))
    assert kept == ["Ships waited."]


def test_later_checks_see_only_the_sentences_earlier_checks_passed():
    embedder = FakeEmbedder()
    Gate([EmbeddingSupport(embedder, 0.5)]).failures([INVENTED_NAME, FAITHFUL], Evidence([STRIKE]))
    assert INVENTED_NAME not in embedder.embedded and FAITHFUL in embedder.embedded


# --- the optional NLI verifier ------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_nli_dir(tmp_path_factory):
    return build_tiny_nli(tmp_path_factory.mktemp("tiny-nli"))


def test_the_verifier_gives_entailment_probabilities(tiny_nli_dir):
    lenient, strict = EntailmentCheck(str(tiny_nli_dir), 1e-6), EntailmentCheck(str(tiny_nli_dir), 0.999)
    evidence = Evidence([STRIKE])
    for check, supported in ((lenient, True), (strict, False)):
        verdicts = check.check([FAITHFUL, UNSUPPORTED], evidence)
        assert [verdict.supported for verdict in verdicts] == [supported, supported]
        assert all(0 < verdict.score < 1 for verdict in verdicts)
    assert strict.check([FAITHFUL], evidence)[0].reason.startswith("entailed by no source")


def test_a_classifier_without_an_entailment_label_is_refused(tmp_path):
    path = build_tiny_nli(tmp_path, labels=("positive", "negative"))
    with pytest.raises(ModelLoadError, match="no entailment label"):
        EntailmentCheck(str(path), 0.5)


def test_the_verifier_reads_a_bounded_number_of_passages():
    sentences = [f"Sentence number {i} of a very long article about the strike." for i in range(500)]
    passages = _passages(sentences)
    assert len(passages) == MAX_PASSAGES
    assert passages[0].startswith("Sentence number 0 ") and all(len(p) <= 700 for p in passages)


async def test_the_bot_builds_the_gate_its_trust_settings_ask_for(tiny_nli_dir):
    settings = Settings(trust={"support_threshold": None, "verifier": str(tiny_nli_dir), "verifier_threshold": 0.4})
    resources = Resources(settings, *[None] * 6)
    gate = await resources.load_checks()
    assert [check.name for check in gate.checks] == ["names", "wording", "entailment"]
    assert gate.checks[1].new_words == 0 and gate.checks[2].threshold == 0.4

    trust = {"support_threshold": 0.7, "support_across_languages": 0.8, "new_words": None}
    resources = Resources(Settings(trust=trust), *[None] * 6)
    resources.embedder = FakeEmbedder()
    gate = await resources.load_checks()
    assert [check.name for check in gate.checks] == ["names", "support"]
    assert gate.checks[1].embedder is resources.embedder and gate.checks[1].threshold == 0.7
    assert gate.checks[1].across_languages == 0.8


class OneAnswerPerSource(FakeBackend):
    """Answers each source's prompt with the text given for the source it quotes."""

    def __init__(self, answers: dict[str, str]) -> None:
        super().__init__()
        self.answers = answers
        self.per_source = len(answers)

    async def generate(self, prompt: str, max_new_tokens: int) -> str:
        return next(answer for source, answer in self.answers.items() if source in prompt)


async def test_a_candidate_that_fails_the_gate_loses_to_a_shorter_one_that_passes():
    other = "Shipping lines diverted vessels to Antwerp and Le Havre during the Rotterdam strike on Friday."
    invented = "Rotterdam harbour will stay closed for a whole year because of the storm damage and the floods."
    summarizer = Summarizer(OneAnswerPerSource({STRIKE[:40]: invented, other[:40]: FAITHFUL}), support_gate())
    [summary] = await summarizer.summarize([SummaryRequest.of([STRIKE, other], "en")])
    assert summary.summary == FAITHFUL
