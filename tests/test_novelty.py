"""What a new source adds to what a channel was told, across languages (the offline embedder, real vectors)."""

import pytest

from summarizer.embeddings import load_embedder
from summarizer.novelty import candidate_sentences, new_sentences

TOLD = (
    "37 container ships were riding at anchor in the North Sea on Saturday as a 48-hour strike "
    "by Rotterdam dockworkers entered its second day. The strike has brought Europe's largest port to a "
    "near standstill."
)


@pytest.fixture(scope="module")
def embedder():
    return load_embedder("offline", threads=1)


@pytest.mark.parametrize(("sentence", "is_new"), [
    ("Wegen des 48-stündigen Streiks der Hafenarbeiter in Rotterdam liegen 37 Containerschiffe vor Anker.", False),
    ("La grève de 48 heures des dockers de Rotterdam immobilise 37 porte-conteneurs en mer du Nord.", False),
    ("Rotterdam's dockers began the second day of a two-day strike, leaving 37 ships waiting at anchor.", False),
    ("Die Gewerkschaft FNV kündigte an, den Streik in Rotterdam bis Mittwoch zu verlängern.", True),
    ("Tres buques fueron desviados al puerto de Valencia por la huelga, según la autoridad portuaria.", True),
    ("The union said on Sunday that the Rotterdam strike will be extended until Wednesday night.", True),
    ("By Sunday 42 container ships were waiting at anchor off Rotterdam because of the strike.", True),
], ids=["de retold", "fr retold", "en paraphrase", "de new fact", "es new fact", "en new fact", "new number"])
def test_a_sentence_is_new_when_nothing_told_says_it_in_any_language(embedder, sentence, is_new):
    assert new_sentences([sentence], TOLD, embedder) == ([sentence] if is_new else [])


def test_candidates_are_the_opening_sentences_of_each_text_without_fragments():
    text = "By Ann Lee. " + " ".join(f"Sentence number {n} says something about the port." for n in range(12))
    candidates = candidate_sentences([text, text])
    assert len(candidates) == 8 and "By Ann Lee." not in candidates
