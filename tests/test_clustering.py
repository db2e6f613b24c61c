"""assign_stories: grouping articles into stories across languages, at once and incrementally.

The documents are embedded by the offline embedder (the real model, small enough for fast tests)
and language-centred as the bot centres them (offsets from the documents at hand, pulled toward
the model's shipped reference): what is pinned here is grouping behaviour, which a random model
could not show.
"""

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from bench.story_grouping import fused, incrementally
from bench.story_pairs import PARLER_STORY, load_labelled, load_parler, pair_scores, parler_alone
from bench.story_vectors import VectorCache, centred
from bot.stories import grouping
from bot.stories.evidence import FeatureCache, NamesAndNumbers
from bot.stories.grouping import E5_SMALL, Assignment, Document, _similarities, assign_stories
from summarizer.embeddings.offline import OfflineEmbedder

ROOT = Path(__file__).resolve().parent.parent
PARLER = ROOT.parent / "shared" / "corpus" / "parler"
LABELLED = ROOT / "tests" / "data" / "stories.jsonl"


def at(day: int, hour: int) -> datetime:
    return datetime(2021, 1, day, hour, tzinfo=UTC)


@pytest.fixture(scope="module")
def vectors() -> VectorCache:
    return VectorCache(OfflineEmbedder(), None)


def embedded(vectors: VectorCache, documents: list[Document]) -> list[Document]:
    return centred(vectors.attach(documents), vectors.embedder.model_id)


# Three stories of one week; two share Amazon, two share Donald Trump.
PARLER_EN = Document(
    1,
    "Parler goes dark after Amazon pulls the plug",
    "Parler, the social network popular with supporters of Donald Trump, went offline early on Monday after "
    "Amazon Web Services stopped hosting it. Chief executive John Matze said the company could be down for a "
    "week while it rebuilt its service from scratch. Amazon said Parler had failed to remove violent content. "
    "Apple and Google had already removed the app from their stores over the weekend.",
    "en",
    at(11, 8),
    None,
)
PARLER_RU = Document(
    2,
    "Соцсеть Parler отключилась после блокировки Amazon",
    "Социальная сеть Parler, популярная среди сторонников Дональда Трампа, в понедельник перестала работать "
    "после того, как Amazon Web Services прекратила её хостинг. Генеральный директор Джон Матц заявил, что "
    "восстановление сервиса может занять неделю. В Amazon объяснили решение тем, что Parler не удалял призывы "
    "к насилию. Ранее Apple и Google удалили приложение из своих магазинов.",
    "ru",
    at(11, 10),
    None,
)
JOBS_EN = Document(
    3,
    "Amazon to cut 18,000 jobs, Jassy says",
    "Amazon will cut more than 18,000 jobs, chief executive Andy Jassy told staff on Wednesday, the largest "
    "layoffs in the company's history. Most of the cuts fall on its stores and human resources divisions in "
    "Seattle and Europe. Jassy blamed an uncertain economy and rapid hiring during the pandemic. Affected "
    "employees will be told from 18 January.",
    "en",
    at(13, 9),
    None,
)
JOBS_RU = Document(
    4,
    "Amazon сократит более 18 000 сотрудников",
    "Компания Amazon сократит более 18 000 сотрудников, сообщил в среду генеральный директор Энди Джасси. "
    "Это крупнейшее сокращение в истории компании. Больше всего пострадают подразделения розничной торговли "
    "и кадров в Сиэтле и Европе. Джасси объяснил решение неопределённостью в экономике и быстрым наймом во "
    "время пандемии.",
    "ru",
    at(13, 11),
    None,
)
IMPEACHMENT_EN = Document(
    5,
    "House impeaches Trump for a second time",
    "The House of Representatives impeached Donald Trump on Wednesday for inciting the attack on the Capitol, "
    "making him the first US president to be impeached twice. Ten Republicans joined Democrats in the 232-197 "
    "vote. Speaker Nancy Pelosi said the president was a clear and present danger. The Senate trial is not "
    "expected before Joe Biden takes office on 20 January.",
    "en",
    at(13, 22),
    None,
)
IMPEACHMENT_FR = Document(
    6,
    "Donald Trump mis en accusation pour la deuxième fois",
    "La Chambre des représentants a voté mercredi la mise en accusation de Donald Trump pour incitation à "
    "l'insurrection après l'assaut du Capitole, par 232 voix contre 197. Dix républicains se sont joints aux "
    "démocrates. Nancy Pelosi a qualifié le président de danger clair et immédiat. Le procès au Sénat ne "
    "devrait pas commencer avant l'investiture de Joe Biden le 20 janvier.",
    "fr",
    at(14, 1),
    None,
)
IMPEACHMENT_AR = Document(
    7,
    "مجلس النواب الأمريكي يوجه اتهاما ثانيا لترامب",
    "صوت مجلس النواب الأمريكي يوم الأربعاء على توجيه اتهام للرئيس دونالد ترامب بتهمة التحريض على التمرد بعد "
    "اقتحام مبنى الكابيتول، بأغلبية 232 صوتا مقابل 197. وانضم عشرة جمهوريين إلى الديمقراطيين. وقالت رئيسة "
    "المجلس نانسي بيلوسي إن الرئيس يمثل خطرا واضحا. ولا يتوقع أن تبدأ المحاكمة في مجلس الشيوخ قبل تنصيب "
    "جو بايدن في 20 يناير.",
    "ar",
    at(14, 3),
    None,
)
WEEK = [PARLER_EN, PARLER_RU, JOBS_EN, JOBS_RU, IMPEACHMENT_EN, IMPEACHMENT_FR, IMPEACHMENT_AR]


@pytest.fixture(scope="module")
def week(vectors) -> dict[int, Document]:
    """The week's documents with their vectors, by key."""
    return {document.key: document for document in embedded(vectors, WEEK)}


def test_stories_sharing_a_company_or_a_president_stay_apart(week) -> None:
    assert assign_stories(list(week.values()), {}) == Assignment(to_existing={}, new_stories=[[1, 2], [3, 4], [5, 6, 7]])


@pytest.mark.skipif(not PARLER.is_dir(), reason="the Parler sample corpus is not beside the repository")
def test_parler_corpus_in_four_languages_is_one_story(vectors) -> None:
    documents = embedded(vectors, load_parler(PARLER, 0, at(11, 0)))
    assert assign_stories(documents, {}).new_stories == [[0, 1, 2, 3, 4]]


def test_new_documents_join_their_existing_stories(week) -> None:
    stories = {10: [week[1]], 20: [week[3]]}
    assignment = assign_stories([week[2], week[4], week[5]], stories)
    assert assignment == Assignment(to_existing={2: 10, 4: 20}, new_stories=[[5]])


def test_new_documents_group_among_themselves_beside_existing_stories(week) -> None:
    stories = {10: [week[1], week[2]], 20: [week[3], week[4]]}
    assignment = assign_stories([week[5], week[6], week[7]], stories)
    assert assignment == Assignment(to_existing={}, new_stories=[[5, 6, 7]])


def test_existing_story_older_than_the_window_is_not_joined(week) -> None:
    late = replace(week[2], published=week[1].published + timedelta(days=5))
    assert assign_stories([late], {10: [week[1]]}) == Assignment(to_existing={}, new_stories=[[2]])
    wide = assign_stories([late], {10: [week[1]]}, window=timedelta(days=7))
    assert wide == Assignment(to_existing={2: 10}, new_stories=[])


def test_new_documents_further_apart_than_the_window_stay_apart(week) -> None:
    late = replace(week[2], published=week[1].published + timedelta(days=5))
    assert assign_stories([week[1], late], {}).new_stories == [[1], [2]]


def test_only_documents_published_within_the_window_are_paired(week) -> None:
    # Copies of one article share every name and their meaning; published in shuffled order, so
    # time order is not index order, and days 0 and 3 are exactly the window apart.
    days = [6, 0, 9, 3, 1, 12, 7, 4]
    copies = [replace(week[1], key=key, published=at(11, 8) + timedelta(days=day)) for key, day in enumerate(days)]
    expected = {(i, j) for i in range(len(days)) for j in range(i + 1, len(days)) if abs(days[i] - days[j]) <= 3}
    pairs = _similarities(copies, timedelta(days=3), E5_SMALL, floor=0.0)
    assert set(zip(pairs.first.tolist(), pairs.second.tolist())) == expected


def test_a_window_of_documents_sharing_names_is_paired_a_block_at_a_time(week, monkeypatch) -> None:
    # 120 reports of one story within a day: each of the 7,140 pairs shares all its names and
    # numbers. No block may look at more than its budget of pairs, and the blocks together give
    # the similarities computed at once.
    reports = [replace(week[1], key=key, published=at(11, 8) + timedelta(minutes=7 * key)) for key in range(120)]
    reports = [replace(report, vector=np.roll(np.eye(1, 384, dtype=np.float32)[0], key % 3)) for key, report in
               enumerate(reports)]
    at_once = _similarities(reports, timedelta(days=3), E5_SMALL, floor=0.1)
    looked_at = []
    scores = NamesAndNumbers.scores

    def counted(self, start, stop):
        found = scores(self, start, stop)
        looked_at.append(sum(pairs.codes.size for pairs in found.values()))
        return found

    monkeypatch.setattr(NamesAndNumbers, "scores", counted)
    monkeypatch.setattr(grouping, "_PAIRS_PER_BLOCK", 2000)
    blockwise = _similarities(reports, timedelta(days=3), E5_SMALL, floor=0.1)
    assert len(looked_at) > 10 and max(looked_at) <= 2000
    assert np.array_equal(blockwise.first, at_once.first) and np.array_equal(blockwise.second, at_once.second)
    assert np.allclose(blockwise.values, at_once.values)


def test_the_feature_cache_keeps_a_bounded_number_of_articles_and_none_of_their_texts(week) -> None:
    cache = FeatureCache(size=3)
    long_text = week[1].text * 200
    first = cache.features(week[1].title, long_text)
    assert cache.features(week[1].title, long_text) is first  # found again, not counted again
    for key in (2, 3, 4):
        cache.features(week[key].title, week[key].text)
    assert len(cache) == 3
    assert cache.features(week[1].title, long_text) is not first  # the oldest was let go
    assert all(len(key) == 16 for key in cache._entries)  # a digest of each text, not the text


def test_a_story_repeated_later_than_the_window_is_a_new_story(week) -> None:
    # The same week again, word for word, after more than the window: every name recurs.
    later = [replace(d, key=d.key + 10, published=d.published + timedelta(days=8)) for d in week.values()]
    assert assign_stories(list(week.values()) + later, {}).new_stories == [
        [1, 2], [3, 4], [5, 6, 7], [11, 12], [13, 14], [15, 16, 17]
    ]


def test_grouping_does_not_depend_on_input_order(week) -> None:
    stories = {10: [week[1]], 20: [week[3]]}
    new = [week[2], week[4], week[5], week[6], week[7]]
    expected = assign_stories(new, stories)
    rng = random.Random(1)
    for _ in range(5):
        shuffled = rng.sample(new, len(new))
        reordered = dict(rng.sample(list(stories.items()), len(stories)))
        assert assign_stories(shuffled, reordered) == expected


def test_every_new_document_is_assigned_exactly_once(week) -> None:
    assignment = assign_stories([week[key] for key in range(3, 8)], {10: [week[1], week[2]]})
    assigned = list(assignment.to_existing) + [key for group in assignment.new_stories for key in group]
    assert sorted(assigned) == [3, 4, 5, 6, 7]


def test_documents_with_nothing_to_compare_start_stories_of_their_own() -> None:
    # No text: the caller gives no meaning (a zero vector), and there are no names or numbers.
    nothing = np.zeros(384, dtype=np.float32)
    blank = [Document(1, "", "", "en", at(11, 8), nothing), Document(2, "", "only lower case words", "fr", at(11, 9), nothing)]
    assert assign_stories(blank, {}) == Assignment(to_existing={}, new_stories=[[1], [2]])


def test_names_and_numbers_alone_do_not_make_a_story() -> None:
    # Every name and number shared, nothing of the meaning: they only add to a meaning shared.
    title, text = "Amazon and Parler meet in Seattle court", "John Matze and Andy Jassy met 12 lawyers on 14 January."
    first, second = np.eye(2, 384, dtype=np.float32)
    documents = [Document(1, title, text, "en", at(11, 8), first), Document(2, title, text, "de", at(11, 9), second)]
    assert assign_stories(documents, {}).new_stories == [[1], [2]]


def test_no_new_documents_give_an_empty_assignment(week) -> None:
    assert assign_stories([], {10: [week[1]]}) == Assignment(to_existing={}, new_stories=[])


@pytest.fixture(scope="module")
def labelled(vectors) -> tuple[list[Document], dict[int, str]]:
    documents, labels = load_labelled(LABELLED, PARLER)
    return embedded(vectors, documents), labels


@pytest.mark.skipif(not PARLER.is_dir(), reason="the Parler sample corpus is not beside the repository")
@pytest.mark.parametrize("five_at_a_time", [False, True], ids=["all at once", "five at a time"])
def test_labelled_stories_are_never_merged_and_parler_stays_one_story_alone(labelled, five_at_a_time) -> None:
    documents, labels = labelled
    groups = incrementally(E5_SMALL, documents) if five_at_a_time else fused(E5_SMALL)(documents)
    scores = pair_scores(groups, labels)
    assert scores["pair_precision"] == 1.0
    assert scores["pair_recall"] >= 0.85
    assert parler_alone(groups, labels)
    assert PARLER_STORY in labels.values()
