"""What a new source adds to what a channel was told, across languages (the offline embedder, real vectors)."""

import pytest

from summarizer.embeddings import load_embedder
from summarizer.language import detect_language
from summarizer.novelty import SAME_FACT_SIMILARITY, candidate_sentences, new_sentences
from summarizer.text import split_sentences

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
    ("La grève de 48 heures des dockers de Rotterdam immobilise 37 porte-conteneurs au mouillage.", False),
    ("Rotterdam's dockers began the second day of their 48-hour strike, leaving 37 ships waiting at anchor.", False),
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


# A ferry fire first reported with its toll, then the toll risen, in words, in other outlets' languages.
FERRY_FIRST = {
    "en": "A fire aboard the ferry Nordic Star off the coast of Norway killed four people and injured 23 on Monday. "
          "The ferry was sailing from Bergen to Hirtshals with 312 passengers on board. "
          "The fire broke out on the car deck shortly after midnight, the operator said.",
    "fr": "Un incendie à bord du ferry Nordic Star au large de la Norvège a fait quatre morts et 23 blessés lundi. "
          "Le ferry naviguait de Bergen à Hirtshals avec 312 passagers à bord. "
          "Le feu s'est déclaré sur le pont des voitures peu après minuit, selon l'opérateur.",
    "ru": "Пожар на борту парома Nordic Star у побережья Норвегии унёс жизни четырёх человек, ещё 23 пострадали "
          "в понедельник. Паром шёл из Бергена в Хиртсхальс, на борту было 312 пассажиров. "
          "Огонь вспыхнул на автомобильной палубе вскоре после полуночи, сообщил оператор.",
}
TOLL_RISEN = {
    "en": "The death toll in the fire aboard the ferry Nordic Star has risen to seven, Norwegian police said on Tuesday.",
    "cs": "Počet obětí požáru na palubě trajektu Nordic Star stoupl na sedm, uvedla v úterý norská policie.",
    "ru": "Число погибших при пожаре на пароме Nordic Star возросло до семи, сообщила во вторник норвежская полиция.",
    "ar": "ارتفع عدد قتلى الحريق على متن العبارة Nordic Star إلى سبعة، بحسب ما أعلنت الشرطة النرويجية يوم الثلاثاء.",
}
FERRY_RETOLD = {
    "en": "Four people were killed and 23 injured when fire broke out aboard the ferry Nordic Star off Norway on Monday.",
    "cs": "Při požáru na palubě trajektu Nordic Star u pobřeží Norska zahynuli v pondělí čtyři lidé a 23 bylo zraněno.",
    "ru": "В понедельник при пожаре на пароме Nordic Star у берегов Норвегии погибли четыре человека и 23 были ранены.",
}


def reads_as_told(embedder, sentence: str, told: str) -> bool:
    """Whether the embedder alone takes the sentence for one of the told ones."""
    told_sentences = split_sentences(told)
    vectors = embedder.embed([sentence, *told_sentences])
    language = detect_language(sentence)
    return any(
        similarity >= SAME_FACT_SIMILARITY["same language" if detect_language(other) == language else "across languages"]
        for similarity, other in zip(vectors[1:] @ vectors[0], told_sentences, strict=True)
    )


@pytest.mark.parametrize(("first", "update"), [("en", "en"), ("fr", "cs"), ("ru", "ru"), ("fr", "ar")])
def test_a_toll_risen_in_words_is_new_however_alike_the_sentences_read(embedder, first, update):
    sentence, told = TOLL_RISEN[update], FERRY_FIRST[first]
    assert reads_as_told(embedder, sentence, told)  # by its cosine alone, told: the toll would be lost
    assert new_sentences([sentence], told, embedder) == [sentence]


@pytest.mark.parametrize(("first", "update"), [("en", "en"), ("fr", "cs"), ("ru", "ru"), ("fr", "ru")])
def test_a_sentence_that_only_retells_the_toll_is_not_new(embedder, first, update):
    assert new_sentences([FERRY_RETOLD[update]], FERRY_FIRST[first], embedder) == []


@pytest.mark.parametrize("sentence", [
    "The fire broke out on the car deck shortly after midnight, the operator Fjord Line said.",  # a name
    "The fire broke out on the car deck shortly after midnight on 23 November, the operator said.",  # a date
    "The fire broke out on the car deck shortly after midnight on Sunday, the operator said.",  # a weekday
], ids=["name", "date", "weekday"])
def test_a_name_a_date_or_a_weekday_not_told_makes_a_sentence_new(embedder, sentence):
    assert reads_as_told(embedder, sentence, FERRY_FIRST["en"])
    assert new_sentences([sentence], FERRY_FIRST["en"], embedder) == [sentence]
