"""assign_stories: grouping articles into stories across languages, at once and incrementally."""

import json
import random
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bench.story_grouping import group_all_at_once, group_incrementally, load_labelled, pair_scores
from bot.stories.grouping import Assignment, Document, _similarities, assign_stories

ROOT = Path(__file__).resolve().parent.parent
PARLER = ROOT.parent / "shared" / "corpus" / "parler"
LABELLED = ROOT / "tests" / "data" / "stories.jsonl"


def at(day: int, hour: int) -> datetime:
    return datetime(2021, 1, day, hour, tzinfo=timezone.utc)


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
)
WEEK = [PARLER_EN, PARLER_RU, JOBS_EN, JOBS_RU, IMPEACHMENT_EN, IMPEACHMENT_FR, IMPEACHMENT_AR]


def test_stories_sharing_a_company_or_a_president_stay_apart() -> None:
    assert assign_stories(WEEK, {}) == Assignment(to_existing={}, new_stories=[[1, 2], [3, 4], [5, 6, 7]])


@pytest.mark.skipif(not PARLER.is_dir(), reason="the Parler sample corpus is not beside the repository")
def test_parler_corpus_in_four_languages_is_one_story() -> None:
    manifest = json.loads((PARLER / "manifest.json").read_text(encoding="utf-8"))
    documents = []
    for key, article in enumerate(manifest["articles"]):
        title, _, text = (PARLER / article["file"]).read_text(encoding="utf-8").strip().partition("\n")
        documents.append(Document(key, title, text, article["language"], at(11, key)))
    assert assign_stories(documents, {}).new_stories == [[0, 1, 2, 3, 4]]


def test_new_documents_join_their_existing_stories() -> None:
    stories = {10: [PARLER_EN], 20: [JOBS_EN]}
    assignment = assign_stories([PARLER_RU, JOBS_RU, IMPEACHMENT_EN], stories)
    assert assignment == Assignment(to_existing={2: 10, 4: 20}, new_stories=[[5]])


def test_new_documents_group_among_themselves_beside_existing_stories() -> None:
    stories = {10: [PARLER_EN, PARLER_RU], 20: [JOBS_EN, JOBS_RU]}
    assignment = assign_stories([IMPEACHMENT_EN, IMPEACHMENT_FR, IMPEACHMENT_AR], stories)
    assert assignment == Assignment(to_existing={}, new_stories=[[5, 6, 7]])


def test_existing_story_older_than_the_window_is_not_joined() -> None:
    late = replace(PARLER_RU, published=PARLER_EN.published + timedelta(days=5))
    assert assign_stories([late], {10: [PARLER_EN]}) == Assignment(to_existing={}, new_stories=[[2]])
    wide = assign_stories([late], {10: [PARLER_EN]}, window=timedelta(days=7))
    assert wide == Assignment(to_existing={2: 10}, new_stories=[])


def test_new_documents_further_apart_than_the_window_stay_apart() -> None:
    late = replace(PARLER_RU, published=PARLER_EN.published + timedelta(days=5))
    assert assign_stories([PARLER_EN, late], {}).new_stories == [[1], [2]]


def test_only_documents_published_within_the_window_are_paired() -> None:
    # Copies of one article share every name; published in shuffled order, so time order is not
    # index order, and days 0 and 3 are exactly the window apart.
    days = [6, 0, 9, 3, 1, 12, 7, 4]
    copies = [replace(PARLER_EN, key=key, published=at(11, 8) + timedelta(days=day)) for key, day in enumerate(days)]
    expected = {(i, j) for i in range(len(days)) for j in range(i + 1, len(days)) if abs(days[i] - days[j]) <= 3}
    assert set(_similarities(copies, timedelta(days=3), floor=0.0)) == expected


def test_a_story_repeated_later_than_the_window_is_a_new_story() -> None:
    # The same week again, word for word, after more than the window: every name recurs.
    later = [
        replace(document, key=document.key + 10, published=document.published + timedelta(days=8))
        for document in WEEK
    ]
    assert assign_stories(WEEK + later, {}).new_stories == [[1, 2], [3, 4], [5, 6, 7], [11, 12], [13, 14], [15, 16, 17]]


def test_grouping_does_not_depend_on_input_order() -> None:
    stories = {10: [PARLER_EN], 20: [JOBS_EN]}
    new = [PARLER_RU, JOBS_RU, IMPEACHMENT_EN, IMPEACHMENT_FR, IMPEACHMENT_AR]
    expected = assign_stories(new, stories)
    rng = random.Random(1)
    for _ in range(5):
        shuffled = rng.sample(new, len(new))
        reordered = dict(rng.sample(list(stories.items()), len(stories)))
        assert assign_stories(shuffled, reordered) == expected


def test_every_new_document_is_assigned_exactly_once() -> None:
    assignment = assign_stories(WEEK[2:], {10: WEEK[:2]})
    assigned = list(assignment.to_existing) + [key for group in assignment.new_stories for key in group]
    assert sorted(assigned) == [document.key for document in WEEK[2:]]


def test_documents_with_nothing_to_compare_start_stories_of_their_own() -> None:
    blank = [Document(1, "", "", "en", at(11, 8)), Document(2, "", "only lower case words", "fr", at(11, 9))]
    assert assign_stories(blank, {}) == Assignment(to_existing={}, new_stories=[[1], [2]])


def test_no_new_documents_give_an_empty_assignment() -> None:
    assert assign_stories([], {10: [PARLER_EN]}) == Assignment(to_existing={}, new_stories=[])


@pytest.mark.skipif(not LABELLED.exists(), reason="tests/data/stories.jsonl is not there")
@pytest.mark.parametrize("grouping", [group_all_at_once, group_incrementally], ids=["all at once", "five at a time"])
def test_pair_precision_and_recall_on_labelled_stories(grouping) -> None:
    documents, labels = load_labelled(LABELLED)
    scores = pair_scores(grouping(documents), labels)
    assert scores["pair_precision"] >= 0.95
    assert scores["pair_recall"] >= 0.9


@pytest.mark.skipif(not LABELLED.exists(), reason="tests/data/stories.jsonl is not there")
@pytest.mark.parametrize("grouping", [group_all_at_once, group_incrementally], ids=["all at once", "five at a time"])
def test_labelled_stories_are_found_exactly(grouping) -> None:
    documents, labels = load_labelled(LABELLED)
    stories: dict[str, set[int]] = {}
    for key, story in labels.items():
        stories.setdefault(story, set()).add(key)
    found = {frozenset(group) for group in grouping(documents)}
    assert found == {frozenset(keys) for keys in stories.values()}
