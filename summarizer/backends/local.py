"""What the in-process transformers backends share: loading, threads, token counting, the worker."""

from __future__ import annotations

import os
import threading
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from summarizer.backends.base import Backend
from summarizer.backends.batching import BatchingWorker
from summarizer.backends.model_files import ModelSource
from summarizer.backends.steering import Steering
from summarizer.types import ModelLoadError, first_line


@dataclass(frozen=True)
class Job:
    prompt: Any  # whatever the backend's prompt() returns
    max_new_tokens: int
    steering: Steering | None = None  # the answer's language, for backends that can steer decoding


class LocalTransformersBackend(Backend):
    """A transformers model in this process, used from one worker thread with micro-batching."""

    def __init__(self, source: ModelSource, model_class, *, max_batch: int = 8, threads: int | None = None) -> None:
        import torch
        from transformers import AutoTokenizer

        self.model_name = source.spec
        # One batch already uses every core; more threads than cores only adds contention.
        torch.set_num_threads(threads or os.cpu_count() or 1)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(source.path)
            self.model = model_class.from_pretrained(source.path, dtype=torch.float32)
        except Exception as exc:  # damaged files fail in many ways: OSError, SafetensorError, KeyError...
            raise ModelLoadError(f"cannot load model {source.spec}: {type(exc).__name__}: {first_line(exc)}") from None
        self.model.eval()
        # count_tokens runs on the event loop while the worker thread encodes a batch; a fast
        # tokenizer must not be used from two threads at once (padding and truncation are state).
        self.tokenizer_lock = threading.Lock()
        self._worker: BatchingWorker[Job, str] = BatchingWorker(self.generate_batch, max_batch=max_batch)

    def count_tokens(self, text: str) -> int:
        # verbose=False: counting a text longer than the model takes is how chunking starts,
        # not the indexing error transformers warns about.
        with self.tokenizer_lock:
            return len(self.tokenizer(text, add_special_tokens=False, verbose=False).input_ids)

    async def generate(self, prompt, max_new_tokens: int) -> str:
        return await self._worker.submit(Job(prompt, max_new_tokens))

    @abstractmethod
    def generate_batch(self, jobs: Sequence[Job]) -> list[str]:
        """Runs in the worker thread: one padded forward pass for the whole batch."""

    async def aclose(self) -> None:
        await self._worker.aclose()
