"""Language-centred vectors: comparing what texts say, not which language they are written in."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from summarizer.embeddings import EmbeddingError
from summarizer.embeddings.languages import LanguageCentres

STORIES = Path(__file__).parent / "data" / "stories.jsonl"


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_centring_takes_out_the_part_that_only_says_the_language():
    rng = np.random.default_rng(1)
    dimension, per_language = 64, 40
    language_direction = {"en": rng.normal(size=dimension) * 2, "ru": rng.normal(size=dimension) * 2}
    contents = rng.normal(size=(per_language, dimension))
    # Each content told in both languages, plus noise: text i in en and in ru say the same.
    vectors = {
        language: _unit(direction + contents + 0.3 * rng.normal(size=contents.shape))
        for language, direction in language_direction.items()
    }
    stacked = np.concatenate([vectors["en"], vectors["ru"]])
    languages = ["en"] * per_language + ["ru"] * per_language
    centres = LanguageCentres.estimate("model", stacked, languages)
    centred = {language: centres.centre(vectors[language], [language] * per_language) for language in vectors}

    def same_event_across_vs_other_event_within(rows: dict[str, np.ndarray]) -> float:
        across = np.mean(np.sum(rows["en"] * rows["ru"], axis=1))
        within = rows["en"] @ rows["en"].T
        return across - np.mean(within[~np.eye(per_language, dtype=bool)])

    assert same_event_across_vs_other_event_within(vectors) < 0  # raw: the language wins
    assert same_event_across_vs_other_event_within(centred) > 0.5  # centred: the content wins
    np.testing.assert_allclose(np.linalg.norm(centred["en"], axis=1), 1.0, rtol=1e-5)


def test_a_language_with_few_texts_is_centred_near_the_mean_of_all():
    rng = np.random.default_rng(2)
    many = _unit(rng.normal(size=(200, 16)) + 1.0)
    lone = _unit(rng.normal(size=(1, 16)) - 3.0)
    centres = LanguageCentres.estimate("model", np.concatenate([many, lone]), ["en"] * 200 + ["cs"], prior_texts=20)
    overall = np.concatenate([many, lone]).mean(axis=0)
    assert np.linalg.norm(centres.means["cs"] - overall) < np.linalg.norm(lone[0] - overall) / 20
    assert centres.counts == {"en": 200, "cs": 1}
    # A language never seen, or none, is centred on the mean of all.
    np.testing.assert_allclose(centres.centre(lone, ["tr"]), centres.centre(lone, [None]))
    np.testing.assert_allclose(centres.centre(lone, [None]), _unit(lone - overall), rtol=1e-5)


def test_vectors_of_another_model_or_shape_are_refused():
    centres = LanguageCentres.estimate("model-a", np.eye(3, dtype=np.float32), ["en", "de", "fr"])
    with pytest.raises(EmbeddingError, match="model-b"):
        centres.centre(np.eye(3), ["en", "de", "fr"], model_id="model-b")
    with pytest.raises(EmbeddingError):
        centres.centre(np.eye(3), ["en"])
    with pytest.raises(EmbeddingError):
        centres.centre(np.ones((1, 5)), ["en"])


def test_without_texts_to_estimate_from_vectors_are_only_normalised():
    centres = LanguageCentres.estimate("model", np.empty((0, 4)), [])
    np.testing.assert_allclose(centres.centre(np.array([[3.0, 4.0, 0, 0]]), ["en"]), [[0.6, 0.8, 0, 0]])


@pytest.mark.slow
def test_with_the_offline_model_unrelated_articles_of_one_language_no_longer_score_above_those_of_two():
    """Raw, unrelated articles of one language score clearly above unrelated articles of two;
    centred on the languages' means, that advantage is gone. With a few texts a language, taking
    out each language's whole mean overshoots (cross-language pairs then score higher): the
    README says so."""
    from bot.stories.assign import article_text
    from summarizer.embeddings.offline import OfflineEmbedder

    rows = [json.loads(line) for line in STORIES.read_text(encoding="utf-8").splitlines() if line.strip()]
    embedder = OfflineEmbedder(threads=1)
    vectors = embedder.embed([article_text(row["title"], row["text"]) for row in rows])
    languages = [row["language"] for row in rows]
    centred = LanguageCentres.estimate(embedder.model_id, vectors, languages, prior_texts=0).centre(
        vectors, languages, model_id=embedder.model_id
    )

    def language_gap(rows_vectors: np.ndarray) -> float:
        within, across = [], []
        for i, j in itertools.combinations(range(len(rows)), 2):
            if rows[i]["story"] != rows[j]["story"]:
                (within if languages[i] == languages[j] else across).append(rows_vectors[i] @ rows_vectors[j])
        return float(np.mean(within) - np.mean(across))

    assert language_gap(vectors) > 0.02
    assert language_gap(centred) < 0.01
