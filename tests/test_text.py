from summarizer.backends.chunking import chunk_text
from summarizer.text import clean_text, opening_sentences, split_sentences, trim_to_sentences, without_unfinished


def count_words(text: str) -> int:
    return len(text.split())


def test_clean_text_rejoins_hard_wrapped_lines_but_keeps_paragraphs():
    text = "Matze said the\nplatform would be offline.\n\nA new\nparagraph."
    assert clean_text(text) == "Matze said the platform would be offline.\n\nA new paragraph."


def test_clean_text_drops_control_characters():
    assert clean_text("a\x00b\u200bc  d") == "abc d"


def test_split_sentences_handles_several_scripts():
    text = "Первое предложение. Second one! هل هذا سؤال؟ Fin."
    assert split_sentences(text) == ["Первое предложение.", "Second one!", "هل هذا سؤال؟", "Fin."]


def test_trim_keeps_whole_sentences_within_the_limit():
    text = "One two three. Four five six. Seven eight nine."
    assert trim_to_sentences(text, 30) == "One two three. Four five six."
    assert trim_to_sentences(text, 100) == text


def test_trim_cuts_a_single_long_sentence_at_a_word():
    trimmed = trim_to_sentences("word " * 50, 40)
    assert len(trimmed) <= 40 and trimmed.endswith("…") and "wor…" not in trimmed


def test_an_opening_never_ends_mid_sentence():
    long_first = "The port authority said on Saturday that thirty-seven ships were waiting at anchor. Two more."
    assert opening_sentences(long_first, 40) == "The port authority said on Saturday that thirty-seven ships were waiting at anchor."
    assert opening_sentences("One two three. Four five six.", 20) == "One two three."


def test_an_answer_cut_off_mid_sentence_loses_its_unfinished_end():
    assert without_unfinished("Le groupe a signé un contrat. Le soleil fera tourner") == "Le groupe a signé un contrat."
    assert without_unfinished("Parler est hors ligne. Il a dit « oui. »") == "Parler est hors ligne. Il a dit « oui. »"
    # A single phrase (a headline) is all there is: kept.
    assert without_unfinished("Amazon takes Parler offline") == "Amazon takes Parler offline"


def test_chunks_respect_the_budget_and_lose_nothing():
    text = " ".join(f"Sentence number {i} has some words." for i in range(200))
    chunks = chunk_text(text, count_words, 50)
    assert len(chunks) > 1
    assert all(count_words(chunk) <= 50 for chunk in chunks)
    assert " ".join(chunks).split() == text.split()


def test_a_sentence_longer_than_the_budget_is_split_between_words():
    text = "word " * 130
    chunks = chunk_text(text, count_words, 50)
    assert [count_words(c) for c in chunks] == [50, 50, 30]
