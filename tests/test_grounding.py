"""find_ungrounded across languages and scripts, and the name and number keys it rests on."""

import pytest

from summarizer.facts.grounding import find_ungrounded
from summarizer.facts.mentions import extract_mentions
from summarizer.facts.name_keys import keys_match, name_key
from summarizer.facts.numerals import numbers_equal

RU = (
    "Социальная сеть Parler подала в суд на Amazon. КИЕВ. 11 января. Генеральный директор Parler "
    "Джон Матц заявил, что все поставщики отказались от сотрудничества. Parler была основана в 2018 году. "
    "В сети насчитывается более 10 млн пользователей. Акции Twitter упали на 8%. Соцсеть популярна "
    "среди сторонников Дональда Трампа."
)
AR = (
    "أصبح موقع Parler غير متصل بعد أن أنهت أمازون خدمات الاستضافة. وقال جون ماتزي، الرئيس التنفيذي "
    "لشركة Parler، إن الموقع قد يتوقف لمدة أسبوع. تم إطلاق Parler في عام ٢٠١٨. وقالت جوجل إنها سحبت "
    "التطبيق في ١٠ يناير، فيما اكتسب أنصار الرئيس ترامب زخما."
)
FR = (
    "Le PDG de Parler, John Matze, a déclaré le 10 janvier sur Fox News que son réseau social a été "
    "abandonné par Amazon, Apple et Google. Cet article a été lu par 263 personnes. Le taux de chômage "
    "atteint 5,4 % en France, soit 1 200 000 personnes."
)
CS = (
    "Generální ředitel společnosti Parler John Matze reagoval na odebrání platformy. Amazon plánuje "
    "uzamčení účtu Parleru s účinností v neděli 10. ledna v 23:59, napsal Amy Peikoff."
)
EN = (
    "Chancellor Olaf Scholz met Emmanuel Macron in Rotterdam on 2026-11-21. Volterra Motors will cut "
    "1,200 jobs after a €210m loss."
)

CASES = [
    # (case, summary, sources, expected)
    (
        "en of ru: names",
        "Parler sued Amazon after its chief executive John Matze said every provider had dropped it.",
        [RU],
        [],
    ),
    (
        "en of ru: invented name",
        "John Matze and Elon Musk said the network would return.",
        [RU],
        ["Elon Musk"],
    ),
    ("en of ru: year", "Parler was founded in 2018.", [RU], []),
    ("en of ru: wrong year", "Parler was founded in 2019.", [RU], ["2019"]),
    ("en of ru: scale word", "The network has more than 10 million users.", [RU], []),
    ("en of ru: wrong count", "The network has more than 20 million users.", [RU], ["20 million"]),
    ("en of ru: date", "On 11 January Parler sued Amazon.", [RU], []),
    ("en of ru: wrong date", "On 12 January Parler sued Amazon.", [RU], ["12 January"]),
    ("en of ru: percent", "Twitter shares fell 8%.", [RU], []),
    ("en of ru: inflected source name", "It is popular with supporters of Donald Trump.", [RU], []),
    (
        "en of ru: sentence-initial name confirmed later",
        "Musk offered help. Parler thanked Musk.",
        [RU],
        ["Musk"],
    ),
    ("en of ar: name", "John Matze said Parler could stay offline for a week.", [AR], []),
    ("en of ar: Eastern Arabic digits", "Parler was launched in 2018.", [AR], []),
    ("en of ar: date, Egyptian spelling of Google", "Google pulled the app on January 10.", [AR], []),
    ("en of ar: invented names", "Tim Cook said Apple had dropped Parler.", [AR], ["Tim Cook", "Apple"]),
    (
        "en of ar: title before name",
        "Supporters of President Trump moved to Parler after Amazon cut it off.",
        [AR],
        [],
    ),
    (
        "en of fr",
        "John Matze told Fox News on January 10 that Amazon, Apple and Google had dropped Parler.",
        [FR],
        [],
    ),
    (
        "en of fr: numbers written differently",
        "Unemployment reached 5.4% in France, or 1,200,000 people.",
        [FR],
        [],
    ),
    ("en of fr: wrong percent", "Unemployment reached 5.6% in France.", [FR], ["5.6%"]),
    ("en of fr: wrong count", "The article was read by 236 people.", [FR], ["236"]),
    (
        "en of cs: name and day",
        "Amazon planned to lock Parler's account on Sunday 10 January, Amy Peikoff was told.",
        [CS],
        [],
    ),
    ("en of cs: wrong date", "Amazon locked the account on 11 January.", [CS], ["11 January"]),
    (
        "ru of en: inflected names",
        "Канцлер Олаф Шольц встретился с Эммануэлем Макроном в Роттердаме 21 ноября.",
        [EN],
        [],
    ),
    (
        "ru of en: scale and grouping",
        "Volterra Motors сократит 1200 рабочих мест после убытка в 210 млн евро.",
        [EN],
        [],
    ),
    ("ru of en: invented name", "Ангела Меркель встретилась с Макроном.", [EN], ["Ангела Меркель"]),
    ("ar of en: names after cues", "وقال شولتس إن اللقاء مع ماكرون كان مثمرا.", [EN], []),
    ("ar of en: invented name", "وقال بوتين إن اللقاء كان مثمرا.", [EN], ["بوتين"]),
    ("ar of en: Eastern Arabic digits and separator", "ستلغي Volterra Motors ١٬٢٠٠ وظيفة.", [EN], []),
    ("de of en: date against ISO date", "Scholz traf Macron am 21. November 2026 in Rotterdam.", [EN], []),
    ("en of en: wrong year in a date", "Scholz met Macron on 21 November 2025.", [EN], ["21 November 2025"]),
    ("en of en: ordinary word starting a sentence", "Jobs will go at Volterra Motors.", [EN], []),
    ("two sources", "John Matze and Olaf Scholz spoke.", [FR, EN], []),
    (
        "en of de: a name spelled like a function word of the source",
        "Low water on the Oder near Dresden stopped ships.",
        ["Bei Dresden liegen Schiffe fest, bis Regen oder Tauwetter kommt."],
        ["Oder"],
    ),
    (
        "en of en: a capitalised common word of the source",
        "Shore power was switched on at the Port of Hull.",
        ["Shore power was switched on at the port's passenger terminal in Hull."],
        [],
    ),
    ("en of en: a function word starting a sentence", "The Elbe is low.", ["Die Elbe führt wenig Wasser."], []),
    (
        "order of appearance, no duplicates",
        "Elon Musk met Tim Cook in 2019; Elon Musk left.",
        [RU],
        ["Elon Musk", "Tim Cook", "2019"],
    ),
]


@pytest.mark.parametrize(
    ("summary", "sources", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_find_ungrounded(summary: str, sources: list[str], expected: list[str]) -> None:
    assert find_ungrounded(summary, sources) == expected


def test_nothing_is_grounded_without_sources() -> None:
    assert find_ungrounded("John Matze said 263 people read it.", []) == ["John Matze", "263"]


@pytest.mark.parametrize(
    "spellings",
    [
        ("Matze", "Матц", "ماتز"),
        ("Trump", "Трамп", "ترامب"),
        ("Amazon", "Амазон", "أمازون"),
        ("Parler", "Парлер", "بارلر"),
        ("Scholz", "Шольц", "شولتس"),
        ("Macron", "Макрон", "ماكرون"),
        ("Zelensky", "Зеленский", "زيلينسكي"),
        ("Google", "Гугл", "غوغل", "جوجل"),
        ("Rotterdam", "Роттердам", "روتردام"),
        ("John", "Джон", "جون"),
        ("Washington", "Вашингтон", "واشنطن"),
        ("Netanyahu", "Нетаньяху", "نتنياهو"),
        ("Gaza", "Газа", "غزة"),
    ],
)
def test_name_key_is_the_same_in_every_script(spellings: tuple[str, ...]) -> None:
    assert len({name_key(spelling) for spelling in spellings}) == 1


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Trump", "Truss"),
        ("Paris", "Prague"),
        ("Biden", "Putin"),
        ("Macron", "Merkel"),
        ("Matze", "Marx"),
        ("Amazon", "Amman"),
    ],
)
def test_name_key_tells_different_names_apart(first: str, second: str) -> None:
    assert not keys_match(name_key(first), name_key(second))


@pytest.mark.parametrize(("base", "inflected"), [("Trump", "Trumpovi"), ("Parler", "Parlerem"), ("Macron", "Макроном")])
def test_keys_match_inflected_names(base: str, inflected: str) -> None:
    assert keys_match(name_key(base), name_key(inflected))


@pytest.mark.parametrize(
    ("first", "second", "equal"),
    [
        ("1 200", "1,200", True),
        ("1200", "1,200", True),
        ("1\u00a0200", "1.200", True),
        ("5,4", "5.4", True),
        ("5.4 %", "5,4%", True),
        ("٢٠١٨", "2018", True),
        ("١٬٢٠٠", "1200", True),
        ("$3bn", "3 млрд", True),
        ("10 million", "10 000 000", True),
        ("3bn", "3m", False),
        ("5.4", "5.5", False),
        ("1,200", "12,000", False),
    ],
)
def test_numbers_equal(first: str, second: str, equal: bool) -> None:
    assert numbers_equal(first, second) is equal


def test_extract_mentions_finds_names_numbers_and_dates() -> None:
    text = "On 10 January CEO John Matze said Parler, founded in 2018, lost $3bn and 5.4 % of AWS traffic."
    assert [mention.text for mention in extract_mentions(text)] == [
        "10 January",
        "John Matze",
        "Parler",
        "2018",
        "$3bn",
        "5.4 %",
        "AWS",
    ]


def test_extract_mentions_in_cyrillic_and_arabic_text() -> None:
    cyrillic = "КИЕВ. 11 января. Об этом сообщил Матц в Telegram."
    assert [mention.text for mention in extract_mentions(cyrillic)] == ["КИЕВ", "11 января", "Матц", "Telegram"]
    arabic = "وقال ماتزي إن الموقع Parler سيعود قبل ١٠ يناير ٢٠٢١."
    assert [mention.text for mention in extract_mentions(arabic)] == ["ماتزي", "Parler", "١٠ يناير ٢٠٢١"]


# --- places and languages named in another language (CLDR) -------------------------------------

SPAIN_SOURCES = [
    "Los incendios obligaron a España a evacuar a 4000 vecinos.",  # es
    "Požáry donutily Španělsko evakuovat 4000 obyvatel.",  # cs
    "Пожары вынудили Испанию эвакуировать 4000 жителей.",  # ru, accusative
    "أجبرت الحرائق إسبانيا على إجلاء 4000 من السكان.",  # ar
]


@pytest.mark.parametrize("source", SPAIN_SOURCES)
def test_a_country_named_in_another_language_or_script_is_grounded(source: str) -> None:
    assert find_ungrounded("The fires forced Spain to evacuate 4000 people.", [source]) == []


@pytest.mark.parametrize("source", SPAIN_SOURCES)
def test_a_different_country_is_still_flagged(source: str) -> None:
    assert find_ungrounded("The fires forced France to evacuate 4000 people.", [source]) == ["France"]


@pytest.mark.parametrize(
    ("summary", "source"),
    [
        ("The union says German trains stopped.", "Die Ansage kam auf Deutsch und auf Englisch."),
        ("The union says German trains stopped.", "Der Streik legt den Verkehr in Deutschland lahm."),
        ("The union says German trains stopped.", "Забастовка на немецкой железной дороге."),  # inflected
        ("The strike spread across Europe.", "Fahrgastverbände in ganz Europa kritisierten den Streik."),
        ("The strike spread across Europe.", "Забастовка охватила всю Европу."),
        ("Costs rose at plants in China.", "Прибыль съела ценовая война в Китае."),  # Китай, inflected
        ("Der Streik trifft Spanien hart.", "La huelga en España."),
    ],
)
def test_languages_regions_and_inflected_names_are_grounded(summary: str, source: str) -> None:
    assert find_ungrounded(summary, [source]) == []


def test_another_region_or_language_is_still_flagged() -> None:
    assert find_ungrounded("The strike spread across Asia.", ["Fahrgastverbände in ganz Europa kritisierten."]) == [
        "Asia"
    ]
    assert find_ungrounded("Забастовка во Франции.", ["Strike in Germany."]) == ["Франции"]
    assert find_ungrounded("The union says Hungarian trains stopped.", ["Bahnstreik in Deutschland."]) == [
        "Hungarian"
    ]


def test_a_name_with_arabic_waw_as_a_consonant_is_grounded() -> None:
    source = "شهد الموقع ارتفاعا في أعداد المستخدمين حيث شدد تويتر سياسات الاستخدام."
    assert find_ungrounded("Users left when Twitter tightened its rules.", [source]) == []


def test_a_common_word_does_not_ground_a_country_that_shares_its_skeleton() -> None:
    # viernes ("Friday") and France share consonants only if a soft c is read as s: it is not.
    source = "Los estibadores de Rotterdam comenzaron una huelga el viernes en España."
    assert find_ungrounded("The dockers went on strike in France.", [source]) == ["France"]


def test_german_nouns_are_not_names_but_german_names_are_checked() -> None:
    source = "Лесные пожары в Испании: эвакуированы более 4000 жителей, сообщило правительство."
    assert find_ungrounded("Die Folgen von Feuer in Spanien: mehr als 4000 Bewohner sind betroffen.", [source]) == []
    assert find_ungrounded("Das sagte Ministerpräsident Pedro Sanchez in Madrid.", [source]) == ["Pedro Sanchez"]


def test_a_soft_c_is_read_as_other_scripts_write_it() -> None:
    assert find_ungrounded("Users left Facebook.", ["حيث شدد تويتر وفيسبوك سياسات الاستخدام."]) == []
    assert find_ungrounded("Sales of Mercedes cars fell.", ["Продажи автомобилей Мерседес упали."]) == []
    # Only in another script: Latin "viernes" does not become France.
    assert find_ungrounded("The dockers struck in France.", ["Huelga el viernes."]) == ["France"]


@pytest.mark.parametrize(("summary", "source", "expected"), [
    ("The toll rose to seven.", "Le bilan est passé à sept morts.", []),
    ("The toll rose to seven.", "L'incendie a fait quatre morts.", ["seven"]),
    ("Seven people died on Tuesday.", "Во вторник погибли семь человек.", []),
    ("Семь человек погибли во вторник.", "Sieben Menschen starben am Dienstag.", []),
    ("Počet obětí stoupl na sedm.", "The toll rose to 7.", []),
    ("Policie zjišťuje totožnost sedmi obětí.", "Police are identifying the seven victims.", []),
    ("ارتفع عدد القتلى إلى سبعة.", "The death toll has risen to seven.", []),
    ("Thirty-seven ships were waiting.", "37 porte-conteneurs attendent.", []),
    ("Twelve thousand riders a day.", "12 000 voyageurs par jour.", []),
    ("Twenty-three people were hurt.", "Двадцать три человека пострадали.", []),
    ("Police said on Wednesday.", "La police a indiqué mardi.", ["Wednesday"]),
    ("Police said on Saturday.", "Police said on 21 November 2026.", []),  # a Saturday
    ("Policie to uvedla ve středu.", "The police said so on Wednesday.", []),
], ids=["en of fr", "wrong number", "en of ru", "ru of de", "cs of digits", "cs oblique", "ar of en",
        "compound", "scale word", "ru compound", "wrong weekday", "weekday of a date", "cs weekday"])
def test_numbers_in_words_and_weekdays_are_checked_in_every_language(summary, source, expected) -> None:
    assert find_ungrounded(summary, [source]) == expected


def test_number_words_and_weekdays_opening_a_sentence_are_no_names() -> None:
    mentions = extract_mentions("Sieben Schiffe sanken. Sedm lidí zemřelo. Dienstag war es ruhig.", numbers_in_words=True)
    assert [(type(mention).__name__, mention.text) for mention in mentions if mention.text != "Schiffe"] == [
        ("Number", "Sieben"), ("Number", "Sedm"), ("Weekday", "Dienstag")]
