"""A cache of models that are slow to build: a GGUF file dequantized by transformers (~20-30 s for
SmolLM2-135M on 2 CPU cores, most of it dequantizing and building the tokenizer), or a LoRA adapter
merged into such a base. The first load saves the result as a plain HF folder (``model.safetensors``,
``config.json``, the tokenizer's files); later loads read that folder, which takes about a second.

Where: ``$JUDGEFORGE_HOME/models/<key>`` (see :func:`judgeforge.defaults.base_dir`); set
``JUDGEFORGE_MODEL_CACHE=0`` to switch the cache off.

The key is a SHA-256 over the *contents* of every source file (the GGUF file, the adapter's files),
their names, the weight dtype, the transformers version (it does the dequantizing) and a format
number. Hashing the 98 MB SmolLM2 GGUF file takes ~0.1 s, cheap next to what it saves, and it means
an edited, replaced or re-downloaded source file can never be served from a stale entry.

An entry is written to a temporary folder beside its final place and renamed into place when
complete, so a crash leaves no half-written entry under the final name. An entry that is there but
does not load (a truncated or damaged file) is removed and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError

from judgeforge.defaults import base_dir

logger = logging.getLogger(__name__)

FORMAT = 2
"""Bump when what an entry holds changes, so that old entries are not read."""
MANIFEST = "judgeforge_cache.json"
"""Written last into an entry: the sources it was built from and the size of every file in it."""

Loaded = tuple[Any, Any]  # (model, tokenizer)


def cache_enabled() -> bool:
    """The cache is on unless ``JUDGEFORGE_MODEL_CACHE`` is ``0``, ``false`` or ``off``."""
    return os.environ.get("JUDGEFORGE_MODEL_CACHE", "1").strip().lower() not in ("0", "false", "off", "no")


def cache_root() -> Path:
    """Where entries live: ``$JUDGEFORGE_HOME/models``."""
    return base_dir() / "models"


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as f:  # hashlib.file_digest needs Python 3.11; we support 3.10
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cache_key(sources: Sequence[Path], dtype: torch.dtype, extra: str = "") -> str:
    """The entry name for a model built from ``sources`` (files) at ``dtype``.

    Args:
        sources: every file the build reads; their contents and names enter the key.
        dtype: the weights' dtype.
        extra: anything else the build depends on (e.g. the key of an adapter's base model).

    Returns:
        A 24-hex-digit key.
    """
    import transformers

    h = hashlib.sha256(f"format={FORMAT};dtype={dtype};transformers={transformers.__version__};{extra}".encode())
    for path in sorted(sources, key=lambda p: p.name):
        h.update(f";{path.name}={file_digest(path)}".encode())
    return h.hexdigest()[:24]


def _entry_is_complete(entry: Path) -> bool:
    """The manifest is there and every file it lists has the size it had when written."""
    try:
        manifest = json.loads((entry / MANIFEST).read_text())
        files: dict[str, int] = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return bool(files) and all((entry / name).is_file() and (entry / name).stat().st_size == size
                               for name, size in files.items())  # fmt: skip


def _read(entry: Path, dtype: torch.dtype) -> Loaded:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(entry)
    model = AutoModelForCausalLM.from_pretrained(entry, dtype=dtype)
    return model, tokenizer


def _write(entry: Path, model: Any, tokenizer: Any, sources: Sequence[Path]) -> None:
    """Save into a temporary folder beside ``entry``, then rename it into place (atomic on one
    file system: a reader sees no entry or a complete one)."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=entry.parent))
    try:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        files = {p.name: p.stat().st_size for p in tmp.iterdir() if p.is_file()}
        manifest = {"format": FORMAT, "sources": [str(s) for s in sources], "files": files}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        if entry.exists():  # a damaged entry (checked by the caller) or one another process just wrote
            shutil.rmtree(entry, ignore_errors=True)
        try:
            tmp.rename(entry)
        except OSError:  # another process renamed its copy in first: keep theirs
            logger.info("model cache entry %s was written by another process", entry)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def cached_model(sources: Sequence[Path], dtype: torch.dtype, build: Callable[[], Loaded], extra: str = "") -> Loaded:
    """The model and tokenizer ``build`` makes, from the cache when an entry for ``sources`` exists.

    Args:
        sources: the files ``build`` reads (their bytes key the entry).
        dtype: the weights' dtype (part of the key; the entry is read back at this dtype).
        build: loads the model the slow way; returns (model on CPU, tokenizer).
        extra: more key material (see :func:`cache_key`).

    Returns:
        (model, tokenizer): read from the entry, or built and then saved as a new entry.
    """
    if not cache_enabled():
        return build()
    entry = cache_root() / cache_key(sources, dtype, extra)
    if _entry_is_complete(entry):
        try:
            loaded = _read(entry, dtype)
            logger.info("model read from cache %s", entry)
            return loaded
        except (OSError, ValueError, RuntimeError, SafetensorError) as e:
            # safetensors reports a damaged header as a SafetensorError (a plain Exception subclass)
            # that transformers re-raises as OSError/RuntimeError; either way rebuild the entry
            logger.warning("model cache entry %s does not load (%s); rebuilding it", entry, e)
    elif entry.exists():
        logger.warning("model cache entry %s is incomplete; rebuilding it", entry)
    model, tokenizer = build()
    try:
        _write(entry, model, tokenizer, sources)
    except OSError as e:  # a full or read-only disk costs the next start time, not this run
        logger.warning("could not write model cache entry %s: %s", entry, e)
    return model, tokenizer
