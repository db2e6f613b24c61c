"""bench/faithfulness.py on a tiny labelled slice, with a stand-in embedder; and the real set's shape."""

import json
from pathlib import Path

import pytest

from bench.faithfulness import LABELLED, judge, load_set, report, table
from bench.faithfulness_sources import read_source
from config.model_settings import TrustSettings
from summarizer.checks.names import NamesCheck
from summarizer.checks.support import EmbeddingSupport
from tests.doubles import FakeEmbedder

SOURCE = (
    "Huelga de estibadores en Rotterdam\n"
    "Los estibadores de Rotterdam comenzaron una huelga el viernes. "
    "El Gobierno de España teme retrasos en los puertos españoles."
)
SENTENCES = [
    # (sentence, faithful, names_correct)
    ("Los estibadores de Rotterdam comenzaron una huelga el viernes.", True, True),
    ("El Gobierno de España teme retrasos.", True, True),
    ("Pieter Jansen de Rotterdam comenzaron una huelga el viernes.", False, False),  # invented name
    ("Los puertos cerrarán durante todo un año por la tormenta.", False, None),  # no source says it
    ("Los estibadores de Rotterdam comenzaron una huelga en Francia.", False, False),  # wrong country
]


def write_set(root: Path) -> Path:
    (root / "sources").mkdir()
    (root / "sources" / "strike.txt").write_text(SOURCE, encoding="utf-8")
    labelled = root / "set.jsonl"
    lines = [
        {"summary": "a", "sources": ["sources/strike.txt"], "lang": "es", "sentence": sentence,
         "faithful": faithful, "names_correct": names}
        for sentence, faithful, names in SENTENCES
    ]
    lines.append({"summary": "b", "sources": ["../elsewhere/missing.txt"], "lang": "en", "sentence": "Gone.",
                  "faithful": True, "names_correct": None})
    labelled.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    return labelled


def test_the_bench_scores_each_check_and_the_names_false_alarms(tmp_path):
    summaries, missing = load_set(write_set(tmp_path), root=tmp_path)
    assert missing == ["../elsewhere/missing.txt"]
    rows = judge(summaries, [NamesCheck(), EmbeddingSupport(FakeEmbedder(), 0.6)])
    result = report(rows)
    assert result["sentences"] == 5 and result["unfaithful"] == 3
    names, support, both = (result["checks"][name] for name in ("names", "support", "names+support"))
    # Names catch the invented name and the wrong country, never the unsupported claim.
    assert (names["flagged"], names["caught"], names["precision"], names["recall"]) == (2, 2, 1.0, 0.667)
    assert (support["caught"], support["faithful_flagged"]) == (1, 0)
    assert both["recall"] == 1.0 and both["precision"] == 1.0
    # España in the source grounds nothing but itself: no false alarm on the correct names.
    assert result["names_false_alarms"] == {"sentences_with_correct_names": 2, "flagged": 0, "rate": 0.0}
    assert result["support_sweep"]["0.8"]["alone"]["flagged"] >= support["flagged"]
    assert "names+support" in table(result)


def test_the_labelled_set_is_real_and_complete():
    records = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    assert len(records) >= 80
    assert {"faithful", "names_correct", "sentence", "sources", "summary", "lang"} <= set(records[0])
    assert any(r["faithful"] for r in records) and any(not r["faithful"] for r in records)
    assert not any(r["faithful"] is False and "note" not in r for r in records)  # why each is unfaithful
    assert len({r["lang"] for r in records}) >= 4
    project_sources = {spec for r in records for spec in r["sources"] if not spec.startswith("../")}
    for spec in project_sources:
        assert read_source(spec)  # the project's own sources are all readable


@pytest.mark.slow
def test_the_checks_on_the_labelled_set_with_the_offline_embedder():
    """The measured numbers stay (bench/faithfulness.py): a regression guard for the gate."""
    from summarizer.embeddings import load_embedder

    summaries, missing = load_set(LABELLED)
    if missing:
        pytest.skip(f"sources not on this machine: {missing[0]}")
    threshold = TrustSettings().support_threshold
    result = report(judge(summaries, [NamesCheck(), EmbeddingSupport(load_embedder("offline"), threshold)]))
    assert result["names_false_alarms"]["rate"] <= 0.2
    assert result["checks"]["names+support"]["recall"] >= 0.9
    assert result["checks"]["names+support"]["faithful_flagged"] <= 4
