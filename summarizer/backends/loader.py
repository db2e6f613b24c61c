"""Build the backend a configuration asks for; the model family comes from the model's config."""

from __future__ import annotations

from pathlib import Path

from summarizer.backends.base import Backend
from summarizer.backends.model_files import resolve
from summarizer.types import ModelLoadError, first_line


def load_backend(
    name: str | None = None,
    *,
    backend: str = "transformers",
    base_url: str | None = None,
    api_key: str | None = None,
    cache_dir: str | Path | None = None,
    timeout: float = 120.0,
    max_batch: int = 8,
    threads: int | None = None,
    prompt_style: str | None = None,
) -> Backend:
    """Blocking (loads weights): call it from a worker thread inside an event loop. A Summarizer
    holding the backend summarises with it."""
    return _load(name, backend, base_url, api_key, cache_dir, timeout, max_batch, threads, prompt_style)


def _load(name, backend, base_url, api_key, cache_dir, timeout, max_batch, threads, prompt_style) -> Backend:
    if backend == "openai":
        from summarizer.backends.openai import OpenAIBackend

        if not base_url:
            raise ModelLoadError("backend 'openai' needs a base_url")
        return OpenAIBackend(
            base_url=base_url, model=name, api_key=api_key, timeout=timeout, prompt_style=prompt_style or "chat"
        )
    if backend != "transformers":
        raise ModelLoadError(f"unknown backend {backend!r} (use 'transformers' or 'openai')")
    source = resolve(name, Path(cache_dir) if cache_dir else None)
    if source.gguf_file is None and _is_encoder_decoder(source.path):
        from summarizer.backends.seq2seq import Seq2SeqBackend

        return Seq2SeqBackend(source, max_batch=max_batch, threads=threads)
    from summarizer.backends.causal import CausalLMBackend

    return CausalLMBackend(source, max_batch=max_batch, threads=threads, prompt_style=prompt_style)


def _is_encoder_decoder(path: str) -> bool:
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(path)
    except OSError as exc:
        raise ModelLoadError(f"cannot load model {path}: {first_line(exc)}") from None
    except ValueError as exc:
        raise ModelLoadError(f"{path} is not a usable model: {exc}") from None
    return bool(getattr(config, "is_encoder_decoder", False))
