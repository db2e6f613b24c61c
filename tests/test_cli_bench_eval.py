"""`python -m summarizer bench` and `eval` on the tiny random model: output shape, input errors."""

import json

import pytest

from summarizer.cli import bench
from summarizer.cli.main import main

EVAL_KEYS = {
    "articles",
    "language_accuracy",
    "ungrounded_per_summary",
    "ungrounded_removed_rate",
    "passed_gate",
    "passed_gate_rate",
    "mean_chars",
    "seconds_per_article",
    "rouge1",
    "rouge2",
    "rougeL",
    "posted",
}
BENCH_KEYS = {
    "model",
    "backend",
    "articles",
    "load_s",
    "p50_s",
    "p95_s",
    "peak_rss_mb",
    "sequential_articles_per_min",
    "concurrent_articles_per_min",
    "batch_speedup",
}

ARTICLES = {
    "en": "The city council approved the new budget on Tuesday after a long debate. "
    "Prices for electricity rose by 12 percent in January, the statistics office said.",
    "fr": "Le conseil municipal a approuvé le nouveau budget mardi après un long débat. "
    "Les prix de l'électricité ont augmenté de 12 pour cent en janvier, selon l'institut.",
    "ru": "Городской совет утвердил новый бюджет во вторник после долгих споров. "
    "Цены на электроэнергию выросли на 12 процентов в январе, сообщило статистическое ведомство.",
}
# Short answers keep the random model's generation, and so the test, fast.
FAST = ["--max-chars", "80"]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def write_corpus(folder):
    """A corpus folder in the shared/corpus layout: manifest.json listing one file per article."""
    folder.mkdir()
    articles = []
    for language, text in ARTICLES.items():
        (folder / f"{language}.txt").write_text(text, encoding="utf-8")
        articles.append({"file": f"{language}.txt", "language": language})
    (folder / "manifest.json").write_text(json.dumps({"articles": articles}), encoding="utf-8")
    return folder


def run_json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_eval_reports_totals_and_null_rouge_without_references(tmp_path, tiny_causal_dir, capsys):
    rows = [{"text": text, "lang": "en"} for text in ARTICLES.values()]
    data = write_jsonl(tmp_path / "set.jsonl", rows)

    result = run_json(capsys, ["eval", str(data), "--model", str(tiny_causal_dir), "--json", *FAST])

    assert set(result) == EVAL_KEYS
    assert result["articles"] == 3
    assert result["seconds_per_article"] > 0
    totals = ("language_accuracy", "ungrounded_per_summary", "mean_chars", "seconds_per_article")
    assert all(isinstance(result[key], float) for key in totals)
    assert result["rouge1"] is None and result["rouge2"] is None and result["rougeL"] is None


def test_eval_scores_rouge_on_the_lines_with_a_reference(tmp_path, tiny_causal_dir, capsys):
    rows = [
        {"texts": [ARTICLES["en"], ARTICLES["fr"]], "lang": "en", "reference": "The council approved the budget."},
        {"text": ARTICLES["ru"], "lang": "ru", "reference": "Совет утвердил бюджет."},
        {"text": ARTICLES["fr"], "lang": "fr"},
    ]
    data = write_jsonl(tmp_path / "set.jsonl", rows)

    result = run_json(capsys, ["eval", str(data), "--model", str(tiny_causal_dir), "--json", *FAST])

    assert result["articles"] == 3
    for kind in ("rouge1", "rouge2", "rougeL"):
        assert isinstance(result[kind], float) and 0 <= result[kind] <= 1


def test_eval_scores_what_a_channel_would_be_given_beside_the_models_summaries(tmp_path, tiny_causal_dir, capsys):
    # The random model's text never passes the gate: an English channel gets the English source's
    # opening, and only a headline for the French one.
    reference = "The city council approved the new budget on Tuesday after a long debate."
    rows = [{"text": ARTICLES["en"], "lang": "en", "reference": reference},
            {"text": ARTICLES["fr"], "lang": "en", "reference": reference}]
    data = write_jsonl(tmp_path / "set.jsonl", rows)

    result = run_json(capsys, ["eval", str(data), "--model", str(tiny_causal_dir), "--json", *FAST])

    posted = result["posted"]
    assert posted["forms"] == {"summary": 0, "lead": 1, "headline": 1}
    assert posted["language_accuracy"] == 0.5
    assert posted["rouge1"] > result["rouge1"]


def test_eval_unicode_tokenizer_keeps_cyrillic_words():
    from summarizer.cli.evaluation import UnicodeWordTokenizer

    assert UnicodeWordTokenizer().tokenize("Совет утвердил Бюджет, 12%.") == ["совет", "утвердил", "бюджет", "12"]


def test_eval_rejects_a_malformed_line_with_its_number(tmp_path, tiny_causal_dir, capsys):
    data = tmp_path / "set.jsonl"
    data.write_text(json.dumps({"text": ARTICLES["en"], "lang": "en"}) + "\n{not json\n", encoding="utf-8")

    assert main(["eval", str(data), "--model", str(tiny_causal_dir), "--json"]) == 2

    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("error: ") and f"{data} line 2" in error


def test_eval_rejects_a_line_without_text(tmp_path, tiny_causal_dir, capsys):
    data = write_jsonl(tmp_path / "set.jsonl", [{"lang": "en", "reference": "No article here."}])

    assert main(["eval", str(data), "--model", str(tiny_causal_dir)]) == 2
    assert '"text"' in capsys.readouterr().err


def test_eval_reads_a_corpus_folder_and_prints_a_table(tmp_path, tiny_causal_dir, capsys):
    corpus = write_corpus(tmp_path / "corpus")

    assert main(["eval", str(corpus), "--model", str(tiny_causal_dir), "--lang", "ru", *FAST]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["#", "source", "target", "output", "chars", "ungrounded", "seconds", "gate", "flags"]
    article_rows = [line.split() for line in lines[1:4]]
    assert [row[1] for row in article_rows] == ["en", "fr", "ru"]
    assert all(row[2] == "ru" for row in article_rows)
    assert ["articles", "3"] in [line.split() for line in lines]


def test_bench_prints_every_key_with_positive_numbers(tmp_path, tiny_causal_dir, capsys):
    # A corpus of short articles stands in for the shared one, which takes minutes with any model.
    corpus = write_corpus(tmp_path / "corpus")

    result = run_json(capsys, [
        "bench", "--model", str(tiny_causal_dir), "--corpus", str(corpus), "--n", "2", "--concurrency", "2",
        "--json", *FAST,
    ])

    assert set(result) == BENCH_KEYS
    assert result["articles"] == 2
    assert result["backend"] == "transformers-causal"
    for key in BENCH_KEYS - {"model", "backend", "articles"}:
        assert result[key] > 0, key


def test_bench_without_a_corpus_reads_the_demo_article_pages():
    articles = bench.bench_articles(5)

    assert "demo article pages" in articles.origin
    assert len(articles.texts) == 5
    assert articles.texts[0] == articles.texts[3]  # three pages, cycled
    assert all("<p>" not in text and len(text) > 500 for text in articles.texts)


@pytest.mark.parametrize("count", ["0", "-1"])
def test_bench_refuses_fewer_than_one_article(count, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--n", count])
    assert exit_info.value.code == 2


def test_a_degenerate_summary_does_not_count_as_written_in_the_target_language():
    from summarizer.cli.evaluation import EvalItem, EvalRow, totals
    from summarizer.types import Summary

    item = EvalItem("a.txt", ("Texte.",), "en")
    rows = [
        EvalRow(item, Summary("The council met.", "en", "fr", "m")),
        EvalRow(item, Summary("", "en", "fr", "m", flags=["degenerate_output"])),
        EvalRow(item, Summary("Le conseil s'est réuni.", "fr", "fr", "m", flags=["language_mismatch"])),
        EvalRow(item, Summary("The council met again.", "en", "fr", "m")),
        # Its language could not be told: reported as the target's, and flagged.
        EvalRow(item, Summary("Parler (Parler) * Amazon (Amazon)", "en", "fr", "m", flags=["language_mismatch"])),
    ]
    assert totals(rows)["language_accuracy"] == 0.4


def test_eval_counts_the_summaries_the_gate_before_posting_lets_through():
    from summarizer.cli.evaluation import EvalItem, EvalRow, totals
    from summarizer.types import Summary

    item = EvalItem("a.txt", ("The council met in Hull on Tuesday.",), "en")
    rows = [
        EvalRow(item, Summary("The council met in Hull.", "en", "en", "m")),
        EvalRow(item, Summary("The council met in Leeds.", "en", "en", "m")),  # a place no source names
        EvalRow(item, Summary("Der Rat tagte in Hull.", "de", "en", "m", flags=["language_mismatch"])),
        EvalRow(item, Summary("", "en", "en", "m", flags=["degenerate_output"])),
    ]
    result = totals(rows)
    assert (result["passed_gate"], result["passed_gate_rate"]) == (1, 0.25)
