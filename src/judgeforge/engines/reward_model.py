"""Reward-model scoring: a causal LM's hidden states, pooled over an answer, through a small head.

The scorer knows token ids, not judges. One *item* is a prompt prefix (the question, chat-formatted)
with one or more answers. Items are packed into rows with a block attention mask: every answer
attends to its own prefix and to itself, never to another answer, and its position ids restart
where the prefix ends. So an item with ``n`` answers costs ``P + A1 + ... + An`` tokens, the
prefix is computed once, and each answer's hidden states are exactly those of ``prefix + answer``
alone: a reward can never depend on the other answers or on their order.

Features per answer: the mean of the hidden states over the answer's tokens at a few layers, and
the state of its last token (the chat template's end-of-turn token, appended to every answer) at
a few layers. Layers above the highest one used are never run, and the LM head is never run.
"""

from __future__ import annotations

import inspect
import logging
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from judgeforge.engines.hf import cpu_threads, default_device, load_model
from judgeforge.errors import ConfigError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeatureSpec:
    """Which hidden states make an answer's feature vector."""

    mean_layers: tuple[int, ...] = (10, 16, 22, 30)
    """Layers (1-based; 0 is the embeddings) whose states are averaged over the answer's tokens.
    The model's last layer is taken after its final norm."""
    last_layers: tuple[int, ...] = (16, 22, 30)
    """Layers whose state at the answer's last token (end of turn) is kept."""
    answer_length: bool = False
    """Append ``log(1 + the answer's token count)``, counted before truncation: the head then sees
    length directly and learns from its data how much it is worth (truncated answers still look
    long, and the synthetic padded answers teach that length alone is not quality)."""

    @property
    def top(self) -> int:
        return max((*self.mean_layers, *self.last_layers))

    def size(self, hidden: int) -> int:
        return hidden * (len(self.mean_layers) + len(self.last_layers)) + int(self.answer_length)


def with_answer_length(features: torch.Tensor, n_tokens: Sequence[int]) -> torch.Tensor:
    """``features`` (n, F) with the length feature of :attr:`FeatureSpec.answer_length` appended."""
    lengths = torch.log1p(torch.tensor(n_tokens, dtype=features.dtype))
    return torch.cat([features, lengths[:, None]], dim=1)


@dataclass(frozen=True)
class Item:
    """A prefix and the answers that continue it (token ids)."""

    prefix: list[int]
    answers: list[list[int]]

    @property
    def n_tokens(self) -> int:
        return len(self.prefix) + sum(len(a) for a in self.answers)


def pack(items: Sequence[Item]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, list[list[tuple[int, int]]]]:
    """Pack items into one row.

    Returns:
        ``input_ids`` (1, L), ``position_ids`` (1, L), a boolean attention mask (1, 1, L, L) where
        True means "may attend", and for each item the ``(start, end)`` span of each answer.
    """
    ids: list[int] = []
    pos: list[int] = []
    seg: list[int] = []  # which item a token belongs to
    block: list[int] = []  # 0: the item's prefix, k: its k-th answer
    spans: list[list[tuple[int, int]]] = []
    for s, item in enumerate(items):
        p = len(item.prefix)
        ids += item.prefix
        pos += range(p)
        seg += [s] * p
        block += [0] * p
        item_spans = []
        for k, answer in enumerate(item.answers, start=1):
            start = len(ids)
            ids += answer
            pos += range(p, p + len(answer))
            seg += [s] * len(answer)
            block += [k] * len(answer)
            item_spans.append((start, len(ids)))
        spans.append(item_spans)
    seg_t, block_t = torch.tensor(seg), torch.tensor(block)
    idx = torch.arange(len(ids))
    causal = idx[:, None] >= idx[None, :]
    same_item = seg_t[:, None] == seg_t[None, :]
    visible_block = (block_t[None, :] == 0) | (block_t[:, None] == block_t[None, :])
    mask = causal & same_item & visible_block
    return torch.tensor([ids]), torch.tensor([pos]), mask[None, None], spans


def stack_rows(
    rows: Sequence[tuple[torch.Tensor, torch.Tensor, torch.Tensor]], pad_id: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Packed rows (:func:`pack`'s first three outputs) as one right-padded batch.

    A padding token attends only to itself: with some attention kernels a query that may attend to
    nothing gives NaN, which would reach real tokens through the attention product even at weight 0.
    """
    width = max(ids.shape[1] for ids, _, _ in rows)
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    position_ids = torch.zeros((len(rows), width), dtype=torch.long)
    mask = torch.eye(width, dtype=torch.bool).repeat(len(rows), 1, 1, 1)
    for b, (ids, pos, row_mask) in enumerate(rows):
        n = ids.shape[1]
        input_ids[b, :n], position_ids[b, :n] = ids[0], pos[0]
        mask[b, 0, :n, :n] = row_mask[0, 0]
    return input_ids, position_ids, mask


def rows_of(items: Sequence[Item], max_tokens: int) -> list[list[int]]:
    """Group item indices into rows of at most ``max_tokens`` tokens (an item longer than that
    gets a row of its own), similar lengths together."""
    order = sorted(range(len(items)), key=lambda i: -items[i].n_tokens)
    rows: list[list[int]] = []
    used: list[int] = []
    for i in order:
        n = items[i].n_tokens
        for r, u in enumerate(used):  # first fit: long items first, short ones fill the gaps
            if u + n <= max_tokens:
                rows[r].append(i)
                used[r] += n
                break
        else:
            rows.append([i])
            used.append(n)
    return rows


class FeatureExtractor:
    """Hidden-state features of answers from a frozen causal LM.

    Args:
        model: anything :func:`judgeforge.engines.hf.load_model` loads (``smollm2`` by default).
        spec: which layers to pool.
        device: ``cpu``, ``cuda`` or ``auto``.
        dtype: weights' dtype (bf16 is the fast path on CPU and GPU).
        max_row_tokens: tokens per packed row (attention cost grows with its square); 0: one item a row.
        max_batch_tokens: padded tokens per forward pass of :meth:`features` (rows of similar length
            batched); 0: one row per pass, which keeps a sample's features independent of its
            batch-mates to the last bit (a batch changes bf16 rounding, and with it a few near-tie verdicts).
        threads: CPU threads; default ``OMP_NUM_THREADS``, else all cores.
    """

    def __init__(
        self,
        model: str = "smollm2",
        spec: FeatureSpec | None = None,
        device: str = "auto",
        dtype: torch.dtype = torch.bfloat16,
        max_row_tokens: int = 1024,
        threads: int | None = None,
        max_batch_tokens: int = 0,
    ) -> None:
        self.device = default_device() if device == "auto" else device
        if self.device == "cpu":
            torch.set_num_threads(threads or cpu_threads())
        lm, self.tokenizer = load_model(model, dtype, self.device)
        self.backbone = lm.model  # the LM head is never needed
        self.spec = spec or FeatureSpec()
        n_layers = len(self.backbone.layers)
        if self.spec.top > n_layers:
            raise ValueError(f"feature layer {self.spec.top} is above the model's {n_layers} layers")
        self.n_layers = n_layers
        self.hidden = int(lm.config.hidden_size)
        self.max_row_tokens = max_row_tokens
        self.max_batch_tokens = max_batch_tokens
        self.end_of_turn = self._end_of_turn_ids()

    def _end_of_turn_ids(self) -> list[int]:
        """The tokens the chat template puts after an assistant message (e.g. ``<|im_end|>``)."""
        marker = "\x00"
        text = str(
            self.tokenizer.apply_chat_template(
                [{"role": "user", "content": "q"}, {"role": "assistant", "content": marker}], tokenize=False
            )
        )
        tail = text[text.rindex(marker) + 1 :].rstrip("\n")
        ids = self.tokenizer(tail, add_special_tokens=False)["input_ids"] if tail else []
        return ids or [int(self.tokenizer.eos_token_id)]

    @torch.inference_mode()
    def _states(
        self, input_ids: torch.Tensor, position_ids: torch.Tensor, mask: torch.Tensor | None
    ) -> dict[int, torch.Tensor]:
        """Hidden states at the feature layers (``mask`` None: plain causal attention)."""
        input_ids, position_ids = input_ids.to(self.device), position_ids.to(self.device)
        mask = mask.to(self.device) if mask is not None else None
        hidden = self.backbone.embed_tokens(input_ids)
        # Gemma 3 has one rotary embedding per layer type (sliding / full attention). Its sliding
        # window (512 tokens for gemma-3-270m) is longer than what a reward judge scores (question
        # and answer are cut below it), so plain causal attention is the same; refuse otherwise.
        types: list[str] | None = getattr(self.backbone.config, "layer_types", None)
        window = getattr(self.backbone.config, "sliding_window", None)
        if types and "sliding_attention" in types and window and int(position_ids.max()) >= window:
            raise ValueError(f"{int(position_ids.max()) + 1} tokens exceed the sliding window ({window})")
        if types and "layer_type" in inspect.signature(self.backbone.rotary_emb.forward).parameters:
            per_type = {t: self.backbone.rotary_emb(hidden, position_ids, t) for t in set(types)}
            rotaries = [per_type[t] for t in types]
        else:
            rotaries = [self.backbone.rotary_emb(hidden, position_ids=position_ids)] * self.n_layers
        wanted = set(self.spec.mean_layers) | set(self.spec.last_layers)
        states: dict[int, torch.Tensor] = {0: hidden} if 0 in wanted else {}
        for n, layer in enumerate(self.backbone.layers[: self.spec.top], start=1):
            rotary = rotaries[n - 1]
            hidden = layer(hidden, attention_mask=mask, position_embeddings=rotary, position_ids=position_ids)
            if isinstance(hidden, tuple):
                hidden = hidden[0]
            if n in wanted:
                states[n] = self.backbone.norm(hidden) if n == self.n_layers else hidden
        return states

    def _pool(self, states: dict[int, torch.Tensor], row: int, start: int, end: int) -> torch.Tensor:
        parts = [states[n][row, start:end].float().mean(0) for n in self.spec.mean_layers]
        parts += [states[n][row, end - 1].float() for n in self.spec.last_layers]
        return torch.cat(parts).cpu()

    def features(self, items: Sequence[Item]) -> list[torch.Tensor]:
        """Feature matrices, one ``(n_answers, F)`` tensor per item, in input order (packed rows).

        With ``max_batch_tokens``, rows of similar length go through the model together (right-padded,
        each with its own mask): wider matmuls and one op dispatch for several samples, 1.4x faster
        on 2 AMX cores (docs/benchmarks.md, round 4), at the price of batch-dependent bf16 rounding.
        """
        rows = rows_of(items, self.max_row_tokens)
        packed = [pack([items[i] for i in row]) for row in rows]
        order = sorted(range(len(rows)), key=lambda r: -packed[r][0].shape[1])
        flat: dict[int, list[torch.Tensor]] = {}
        start = 0
        while start < len(order):
            width = packed[order[start]][0].shape[1]
            batch = order[start : start + max(1, self.max_batch_tokens // width)]  # 0: one row
            input_ids, position_ids, mask = stack_rows(
                [packed[r][:3] for r in batch], int(self.tokenizer.pad_token_id or 0)
            )
            states = self._states(input_ids, position_ids, mask)
            for b, r in enumerate(batch):
                for i, item_spans in zip(rows[r], packed[r][3]):
                    flat[i] = [self._pool(states, b, s, e) for s, e in item_spans]
            start += len(batch)
        return [torch.stack(flat[i]) for i in range(len(items))]

    def sequence_features(self, items: Sequence[Item], max_batch_tokens: int = 4096) -> list[torch.Tensor]:
        """The same features as :meth:`features`, computed without packing: every ``prefix +
        answer`` is its own sequence, in length-sorted batches padded on the right.

        Plain causal attention needs no mask (padding comes after every real token), which is the
        fastest attention kernel; it pays when prefixes are short next to the answers (training).
        """
        seqs = [
            (i, k, item.prefix + answer, len(item.prefix))
            for i, item in enumerate(items)
            for k, answer in enumerate(item.answers)
        ]
        seqs.sort(key=lambda s: -len(s[2]))
        out: dict[tuple[int, int], torch.Tensor] = {}
        start = 0
        while start < len(seqs):
            width = len(seqs[start][2])
            end = start + max(1, max_batch_tokens // width)
            batch = seqs[start:end]
            ids = torch.full((len(batch), width), int(self.tokenizer.pad_token_id or 0), dtype=torch.long)
            for r, (_, _, seq, _) in enumerate(batch):
                ids[r, : len(seq)] = torch.tensor(seq)
            states = self._states(ids, torch.arange(width)[None].expand(len(batch), -1), None)
            for r, (i, k, seq, p) in enumerate(batch):
                out[(i, k)] = self._pool(states, r, p, len(seq))
            start = end
        return [torch.stack([out[(i, k)] for k in range(len(item.answers))]) for i, item in enumerate(items)]


class RewardHead(nn.Module):
    """Standardised features -> MLP -> one reward per answer, plus the Rao-Kupper tie margin."""

    def __init__(self, n_features: int, hidden: int = 256, dropout: float = 0.1) -> None:
        super().__init__()
        self.feature_mean: torch.Tensor
        self.feature_std: torch.Tensor
        self.register_buffer("feature_mean", torch.zeros(n_features))
        self.register_buffer("feature_std", torch.ones(n_features))
        self.mlp = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(n_features, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, 1)
        )
        self.raw_tau = nn.Parameter(torch.tensor(-1.0))

    @property
    def tau(self) -> torch.Tensor:
        """The tie margin, >= 0 (so that P(tie) >= 0)."""
        return nn.functional.softplus(self.raw_tau)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        z = (features - self.feature_mean) / self.feature_std
        return self.mlp(z).squeeze(-1)


def rao_kupper(r1: torch.Tensor, r2: torch.Tensor, tau: torch.Tensor) -> torch.Tensor:
    """P(answer 1 better), P(answer 2 better), P(tie) under Rao-Kupper's model, stacked as (..., 3)
    in the order tie, 1, 2 (judgeforge's labels).

    P(1) = sigmoid(d - tau), P(2) = sigmoid(-d - tau), P(tie) = 1 - P(1) - P(2) with d = r1 - r2:
    ties become likely when the rewards are within about ``tau`` of each other.
    """
    d = r1 - r2
    p1 = torch.sigmoid(d - tau)
    p2 = torch.sigmoid(-d - tau)
    tie = (1 - (p1 + p2)).clamp_min(1e-6)  # p1 + p2, not 1 - p1 - p2: the same bits in either answer order
    return torch.stack([tie, p1, p2], dim=-1)


@dataclass
class RewardJudgeInfo:
    """What a saved reward judge is (``reward_judge.json`` beside ``head.safetensors``)."""

    base_model: str = "smollm2"
    spec: FeatureSpec = field(default_factory=FeatureSpec)
    hidden: int = 256
    template: str = "judgeforge-reward"
    max_question_tokens: int = 256
    max_answer_tokens: int = 384
    grade_center: float = 0.0
    """Reward that maps to grade 5.5 (the median training reward)."""
    grade_scale: float = 1.0
    """Reward spread that maps to the grade scale (the training rewards' interquartile range / 2)."""
    training: dict[str, Any] = field(default_factory=dict)
    """How it was trained: data, counts, wall time, machine."""
    grade_head: dict[str, Any] | None = None
    """How its single-answer grade head (``grade_head.safetensors``) was fitted: data, ridge penalty,
    cross-validated Pearson; None: a single answer's grade is its reward's (:meth:`grade`)."""

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["kind"] = "reward"
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RewardJudgeInfo:
        data = {k: v for k, v in data.items() if k != "kind"}
        spec = data.pop("spec", {})
        return cls(
            spec=FeatureSpec(
                mean_layers=tuple(spec.get("mean_layers", FeatureSpec.mean_layers)),
                last_layers=tuple(spec.get("last_layers", FeatureSpec.last_layers)),
                answer_length=bool(spec.get("answer_length", False)),
            ),
            **data,
        )

    def grade(self, reward: float) -> float:
        """A 1-10 grade from a reward: 5.5 at the median training reward, logistic around it."""
        z = (reward - self.grade_center) / max(self.grade_scale, 1e-6)
        return 1.0 + 9.0 / (1.0 + math.exp(-z))


def save_reward_judge(folder: Path, head: RewardHead, info: RewardJudgeInfo) -> None:
    """Write ``head.safetensors`` and ``reward_judge.json`` into ``folder``."""
    import json

    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().float().contiguous() for k, v in head.state_dict().items()}, folder / "head.safetensors")
    (folder / "reward_judge.json").write_text(json.dumps(info.to_json(), indent=2) + "\n")


def load_reward_head(folder: Path) -> tuple[RewardHead, RewardJudgeInfo]:
    """Load what :func:`save_reward_judge` wrote."""
    import json

    from safetensors.torch import load_file

    info = RewardJudgeInfo.from_json(json.loads((folder / "reward_judge.json").read_text()))
    state = load_file(folder / "head.safetensors")
    head = RewardHead(state["feature_mean"].numel(), info.hidden, dropout=0.0)
    head.load_state_dict(state)
    return head.eval(), info


def save_grade_head(folder: Path, weight: torch.Tensor, bias: float) -> None:
    """Write ``grade_head.safetensors``: a linear map from an answer's features to a 1-10 grade."""
    from safetensors.torch import save_file

    save_file(
        {"weight": weight.detach().float().contiguous(), "bias": torch.tensor([float(bias)])},
        folder / "grade_head.safetensors",
    )


def load_grade_head(folder: Path) -> tuple[torch.Tensor, float] | None:
    """The grade head's weight and bias, or None when the judge has none."""
    from safetensors.torch import load_file

    path = folder / "grade_head.safetensors"
    if not path.is_file():
        return None
    state = load_file(path)
    if set(state) != {"weight", "bias"} or state["weight"].dim() != 1 or state["bias"].numel() != 1:
        raise ConfigError(f"{path}: not a grade head (a weight vector and a bias); refit it with judgeforge train")
    return state["weight"].float(), float(state["bias"][0])
