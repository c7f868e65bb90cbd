"""Train a reward-model judge: frozen LM features, cached once, and a small Bradley-Terry head.

Why this design (see docs/default-judge.md): a generative 135M judge trained on a few hundred
pairs learned the answer position, not quality, and CPU fine-tuning ran at ~1,100 pairs an hour.
Here every answer is scored alone with its question, so a swap cannot change a verdict; the LM is
frozen, so each distinct ``question + answer`` costs one forward pass, ever (features are cached
on disk in chunks, and an interrupted run resumes); and AlpacaEval's baseline answer, shared by
~50 pairs per instruction, is computed once. The head then trains in seconds, many epochs.

Loss: Rao-Kupper (Bradley-Terry with ties): P(1) = sigmoid(d - tau), P(2) = sigmoid(-d - tau),
P(tie) = the rest, d = r1 - r2, against soft targets where the teacher gives a probability
(``meta.preference`` of AlpacaEval's weighted annotator) and hard ones elsewhere.
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
import random
import subprocess
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from judgeforge.data import negatives
from judgeforge.data.load import load_samples
from judgeforge.engines.reward_model import (
    FeatureExtractor,
    FeatureSpec,
    Item,
    RewardHead,
    RewardJudgeInfo,
    rao_kupper,
    save_reward_judge,
    with_answer_length,
)
from judgeforge.errors import ConfigError
from judgeforge.judging.reward import RewardTokenizer
from judgeforge.records import JudgeSample
from judgeforge.training.config import check_train_files, config_from_yaml

logger = logging.getLogger(__name__)


@dataclass
class RewardTrainConfig:
    """Settings of a reward-judge training run.

    > Data
    """

    train_files: list[str] = field(default_factory=list)
    """Pairwise JSONL files to learn from (only ``*_train`` files: never val, test or benchmarks)."""
    output_dir: str = "runs/reward-judge"
    """Features, logs and the final judge (``final/``) go here."""
    max_pairs: int | None = None
    """Use at most this many teacher pairs (after balancing), in a seeded random order."""
    longer_wins_fraction: float | None = 0.5
    """Resample the teacher pairs so this share of the decided ones has the longer answer winning
    (0.5: length tells nothing); ``None`` keeps the data's own share."""
    negatives_per_kind: int = 600
    """Synthetic pairs of each kind: off-topic answer, answer padded with filler, answer with a
    note to the judge, truncated answer (see :mod:`judgeforge.data.negatives`)."""
    off_topic_pairs: int = 0
    """More off-topic pairs, of two kinds each: the teacher's winner and its loser, each against an
    answer to another question (see :func:`negative_pairs`)."""
    markdown_pairs: int = 0
    """Pairs in which the teacher's winner beats its loser restyled as markdown (headers, lists):
    formatting alone is not quality (see :func:`negative_pairs`)."""
    dev_fraction: float = 0.05
    """Share of the instructions held out to pick the head's epoch (from the train files)."""
    seed: int = 0

    # > Model
    base_model: str = "smollm2"
    """The frozen LM whose hidden states are the features."""
    mean_layers: list[int] = field(default_factory=lambda: [6, 12, 18])
    """Layers whose hidden states are averaged over the answer (see ``FeatureSpec``)."""
    last_layers: list[int] = field(default_factory=lambda: [12, 18])
    """Layers whose state at the answer's end-of-turn token is kept."""
    answer_length: bool = False
    """Give the head the answer's token count (see ``FeatureSpec.answer_length``); it is not part
    of the cached features, so arms with and without it share one cache."""
    max_question_tokens: int = 256
    """Longer questions keep their head and tail."""
    max_answer_tokens: int = 384
    """Longer answers keep their head (3/4) and tail (1/4), so length stays visible."""

    # > Feature extraction
    features_dir: str | None = None
    """Where the feature cache lives (default ``output_dir/features``): point ablation arms that
    share the base model and layers at one cache, and each answer is computed once for all of them."""
    chunk_size: int = 256
    """Sequences per cached feature file (what an interruption can lose)."""
    max_batch_tokens: int = 4096
    time_budget_minutes: float | None = None
    """Stop extracting after this long and train on the pairs whose answers are done (0: use the
    cached features only, e.g. to refit the head of an ablation arm)."""

    # > Head
    head_hidden: int = 256
    dropout: float = 0.1
    epochs: int = 60
    learning_rate: float = 1e-3
    weight_decay: float = 1e-2
    batch_size: int = 256

    def __post_init__(self) -> None:
        if self.longer_wins_fraction is not None and not 0 < self.longer_wins_fraction < 1:
            raise ConfigError(f"longer_wins_fraction must be in (0, 1) or None, got {self.longer_wins_fraction}")
        check_train_files(self.train_files)

    @classmethod
    def from_yaml(cls, path: str | Path, overrides: dict[str, Any] | None = None) -> RewardTrainConfig:
        """Read a config from YAML (its ``kind: reward`` line aside), then apply ``--set`` overrides."""
        return config_from_yaml(cls, path, overrides)


@dataclass(frozen=True)
class TrainPair:
    """Two answers to one question and the target distribution over (tie, 1, 2)."""

    question: str
    answer_a: str
    answer_b: str
    target: tuple[float, float, float]
    group: str
    """The instruction it comes from (dev split and off-topic sampling go by it)."""
    kind: str = "teacher"


def _target(sample: JudgeSample) -> tuple[float, float, float] | None:
    pref = sample.metadata.get("preference")
    if sample.label == 0:
        return (1.0, 0.0, 0.0)
    if isinstance(pref, (int, float)) and 1.0 <= pref <= 2.0 and sample.metadata.get("teacher_tie") is None:
        p2 = float(pref) - 1.0  # weighted annotator: 1 + P(output_2 better)
        return (0.0, 1.0 - p2, p2)
    if sample.label in (1, 2):
        return (0.0, 1.0, 0.0) if sample.label == 1 else (0.0, 0.0, 1.0)
    return None


def split_by_length(
    pairs: Sequence[TrainPair],
) -> tuple[list[TrainPair], list[TrainPair], list[TrainPair]]:
    """The pairs whose winner is the longer answer, those whose winner is the shorter one, and the
    rest (ties, equal lengths), each in the given order."""
    longer, shorter, ties = [], [], []
    for p in pairs:
        if p.target[0] >= 0.5 or len(p.answer_a) == len(p.answer_b):
            ties.append(p)
        elif (p.target[1] > p.target[2]) == (len(p.answer_a) > len(p.answer_b)):
            longer.append(p)
        else:
            shorter.append(p)
    return longer, shorter, ties


def teacher_pairs(samples: Sequence[JudgeSample], config: RewardTrainConfig, rng: random.Random) -> list[TrainPair]:
    """Pairs from labelled samples, resampled so the longer answer wins ``longer_wins_fraction`` of them."""
    pairs = []
    for s in samples:
        target = _target(s)
        if s.kind != "pair" or target is None or s.history:
            continue
        group = str(s.metadata.get("instruction_id") or s.question)
        pairs.append(TrainPair(s.question, s.answers[0], s.answers[1], target, group))
    rng.shuffle(pairs)
    if config.longer_wins_fraction is not None:
        longer, shorter, ties = split_by_length(pairs)
        f = config.longer_wins_fraction
        n_longer = min(len(longer), int(len(shorter) * f / (1 - f)))
        n_shorter = min(len(shorter), int(n_longer * (1 - f) / f))
        pairs = longer[:n_longer] + shorter[:n_shorter] + ties
        rng.shuffle(pairs)
    return pairs[: config.max_pairs] if config.max_pairs else pairs


def negative_pairs(
    pairs: Sequence[TrainPair], n_per_kind: int, rng: random.Random, off_topic: int = 0, markdown: int = 0
) -> list[TrainPair]:
    """Synthetic pairs in which the first answer must win: an answer vs an answer to another
    question, vs itself padded with filler, vs itself with a note to the judge, vs its own first
    part; and a teacher pair's winner vs its loser padded with filler. ``off_topic`` more pairs of
    each of two kinds follow: the winner, and the loser, vs another question's answer (a worse
    answer to the question still beats a fluent answer to something else); then ``markdown`` pairs:
    the winner vs the loser restyled as markdown. Each group draws after the ones before it, so
    adding one leaves the earlier pairs as they were."""
    decided = [p for p in pairs if max(p.target[1], p.target[2]) >= 0.8]
    if len(decided) < 2:
        return []
    out = []
    win = (0.0, 1.0, 0.0)
    for _ in range(n_per_kind):
        p, other = rng.sample(decided, 2)
        good, bad = _winner_loser(p)
        if other.group != p.group:
            out.append(TrainPair(p.question, good, other.answer_a, win, p.group, "off-topic"))
        out.append(TrainPair(p.question, good, negatives.pad_with_filler(good, rng), win, p.group, "filler"))
        out.append(TrainPair(p.question, good, negatives.pad_with_filler(bad, rng, n=4), win, p.group, "filler-loser"))
        out.append(TrainPair(p.question, good, negatives.add_judge_note(good, rng), win, p.group, "judge-note"))
        out.append(TrainPair(p.question, good, negatives.add_judge_note(bad, rng), win, p.group, "judge-note-loser"))
        if len(good.split(" ")) >= 20:
            out.append(TrainPair(p.question, good, negatives.truncate_answer(good, rng), win, p.group, "truncated"))
    for _ in range(off_topic):  # after the loop above, so its draws (and pairs) stay as they were
        p, other = rng.sample(decided, 2)
        if other.group == p.group:
            continue
        good, bad = _winner_loser(p)
        elsewhere = rng.choice((other.answer_a, other.answer_b))
        out.append(TrainPair(p.question, good, elsewhere, win, p.group, "off-topic"))
        out.append(TrainPair(p.question, bad, elsewhere, win, p.group, "off-topic-loser"))
    for _ in range(markdown):
        p = rng.choice(decided)
        good, bad = _winner_loser(p)
        out.append(TrainPair(p.question, good, negatives.restyle_as_markdown(bad, rng), win, p.group, "markdown-loser"))
    return out


def _winner_loser(p: TrainPair) -> tuple[str, str]:
    return (p.answer_a, p.answer_b) if p.target[1] > p.target[2] else (p.answer_b, p.answer_a)


def _key(question: str, answer: str) -> str:
    return hashlib.sha256(f"{question}\x00{answer}".encode("utf-8", "surrogatepass")).hexdigest()[:24]


def cpu_model() -> str:
    """``lscpu``'s model name, for speed figures."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return platform.processor() or "unknown"
    return next((ln.split(":", 1)[1].strip() for ln in out.splitlines() if ln.startswith("Model name")), "unknown")


def extract_features(
    pairs: Sequence[TrainPair], extractor: FeatureExtractor, tok: RewardTokenizer, config: RewardTrainConfig
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Features of every distinct ``question + answer`` of the pairs, cached in chunk files.

    Sequences are taken in pair order, so when the time budget ends the first pairs are complete.
    """
    cache = Path(config.features_dir) if config.features_dir else Path(config.output_dir) / "features"
    cache.mkdir(parents=True, exist_ok=True)
    what = {
        "base_model": config.base_model, "mean_layers": list(config.mean_layers),
        "last_layers": list(config.last_layers), "max_question_tokens": config.max_question_tokens,
        "max_answer_tokens": config.max_answer_tokens,
    }  # fmt: skip
    stamp = cache / "features.json"
    if stamp.is_file() and json.loads(stamp.read_text()) != what:
        raise ConfigError(f"{cache} holds features of other settings ({stamp.read_text().strip()}): use another one")
    stamp.write_text(json.dumps(what) + "\n")
    order: dict[str, tuple[str, str]] = {}
    for p in pairs:
        for answer in (p.answer_a, p.answer_b):
            order.setdefault(_key(p.question, answer), (p.question, answer))
    done: dict[str, torch.Tensor] = {}
    for f in sorted(cache.glob("chunk-*.pt")):
        chunk = torch.load(f)
        done.update(zip(chunk["keys"], chunk["features"]))
    todo = [k for k in order if k not in done]
    logger.info("%d distinct answers, %d cached, %d to extract", len(order), len(order) - len(todo), len(todo))
    start, tokens, n_done = time.perf_counter(), 0, 0
    next_chunk = len(list(cache.glob("chunk-*.pt")))
    for c in range(0, len(todo), config.chunk_size):
        if config.time_budget_minutes is not None and time.perf_counter() - start >= 60 * config.time_budget_minutes:
            logger.info("time budget reached after %d sequences", n_done)
            break
        keys = todo[c : c + config.chunk_size]
        items = []
        for k in keys:
            question, answer = order[k]
            prefix, _ = tok.prefix(JudgeSample(id=k, question=question, answers=[answer]))
            items.append(Item(prefix, [tok.answer(answer)[0]]))
        feats = extractor.sequence_features(items, config.max_batch_tokens)
        tokens += sum(i.n_tokens for i in items)
        stacked = torch.cat(feats).to(torch.float16)
        torch.save({"keys": keys, "features": stacked}, cache / f"chunk-{next_chunk:05d}.pt")
        next_chunk += 1
        done.update(zip(keys, stacked))
        n_done += len(keys)
        elapsed = time.perf_counter() - start
        logger.info(
            "extracted %d/%d sequences, %.0f tokens/s, %.0f sequences/hour",
            n_done, len(todo), tokens / elapsed, 3600 * n_done / elapsed,
        )  # fmt: skip
    elapsed = time.perf_counter() - start
    stats = {"sequences_extracted": n_done, "tokens_extracted": tokens, "extract_seconds": round(elapsed, 1)}
    return done, stats


def add_answer_length(
    features: dict[str, torch.Tensor], pairs: Sequence[TrainPair], tok: RewardTokenizer
) -> dict[str, torch.Tensor]:
    """The cached features of the pairs' answers with the length feature appended (answers
    without cached features are left out)."""
    out: dict[str, torch.Tensor] = {}
    for p in pairs:
        for answer in (p.answer_a, p.answer_b):
            key = _key(p.question, answer)
            if key in features and key not in out:
                out[key] = with_answer_length(features[key][None].float(), [tok.answer(answer)[1]])[0]
    return out


def dev_split(pairs: Sequence[TrainPair], config: RewardTrainConfig) -> set[str]:
    """The instructions held out to pick the head's epoch (seeded, ``dev_fraction`` of them)."""
    groups = sorted({p.group for p in pairs})
    return set(random.Random(config.seed).sample(groups, max(1, int(len(groups) * config.dev_fraction))))


def train_head(
    pairs: Sequence[TrainPair],
    features: dict[str, torch.Tensor],
    config: RewardTrainConfig,
    dev_groups: set[str] | None = None,
) -> tuple[RewardHead, dict[str, Any]]:
    """Fit the head on the pairs whose two answers have features; pick the epoch on the dev split
    (``dev_groups``, default :func:`dev_split` of the usable pairs)."""
    torch.manual_seed(config.seed)
    usable = [p for p in pairs if _key(p.question, p.answer_a) in features and _key(p.question, p.answer_b) in features]
    dev_groups = dev_groups if dev_groups is not None else dev_split(usable, config)

    def tensors(ps: list[TrainPair]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        a = torch.stack([features[_key(p.question, p.answer_a)] for p in ps]).float()
        b = torch.stack([features[_key(p.question, p.answer_b)] for p in ps]).float()
        return a, b, torch.tensor([p.target for p in ps])

    train = [p for p in usable if p.group not in dev_groups]
    dev = [p for p in usable if p.group in dev_groups and p.kind == "teacher"]
    if not train or not dev:
        raise ConfigError(f"too few pairs with features to train a head ({len(train)} train, {len(dev)} dev)")
    xa, xb, y = tensors(train)
    da, db, dy = tensors(dev)
    head = RewardHead(xa.shape[1], config.head_hidden, config.dropout)
    all_x = torch.cat([xa, xb])
    head.feature_mean.copy_(all_x.mean(0))
    head.feature_std.copy_(all_x.std(0).clamp_min(1e-3))
    opt = torch.optim.AdamW(head.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    best: tuple[float, int, dict[str, torch.Tensor]] | None = None
    history = []
    for epoch in range(config.epochs):
        head.train()
        perm = torch.randperm(len(y))
        for s in range(0, len(y), config.batch_size):
            idx = perm[s : s + config.batch_size]
            probs = rao_kupper(head(xa[idx]), head(xb[idx]), head.tau)
            loss = -(y[idx] * probs.log()).sum(-1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        head.eval()
        with torch.no_grad():
            dp = rao_kupper(head(da), head(db), head.tau)
            dev_loss = float(-(dy * dp.log()).sum(-1).mean())
            decided = dy[:, 1:].max(-1).values >= 0.5
            agree = float((dp[decided].argmax(-1) == dy[decided].argmax(-1)).float().mean())
        history.append({"epoch": epoch + 1, "dev_loss": round(dev_loss, 4), "dev_agreement": round(agree, 4)})
        if best is None or dev_loss < best[0]:
            best = (dev_loss, epoch + 1, {k: v.clone() for k, v in head.state_dict().items()})
    assert best is not None
    head.load_state_dict(best[2])
    head.eval()
    stats = {
        "pairs_train": len(train),
        "pairs_dev": len(dev),
        "best_epoch": best[1],
        "dev": history[best[1] - 1],
        "kinds": {k: sum(p.kind == k for p in train) for k in sorted({p.kind for p in train})},
    }
    return head, stats


def train_reward_judge(config: RewardTrainConfig) -> Path:
    """Build the pairs, extract (or reuse) features, fit the head, save ``output_dir/final``.

    Returns:
        The folder of the trained judge (``judgeforge judge --model FOLDER``).
    """
    if not config.train_files:
        raise ConfigError("train_files is empty: name the *_train files to learn from")
    t0 = time.perf_counter()
    rng = random.Random(config.seed)
    samples = [s for f in config.train_files for s in load_samples(f)]
    pairs = teacher_pairs(samples, config, rng)
    pairs += negative_pairs(pairs, config.negatives_per_kind, rng, config.off_topic_pairs, config.markdown_pairs)
    rng.shuffle(pairs)  # extraction goes in pair order: a time budget then cuts every kind alike
    spec = FeatureSpec(
        mean_layers=tuple(config.mean_layers), last_layers=tuple(config.last_layers), answer_length=config.answer_length
    )
    extractor = FeatureExtractor(config.base_model, spec)
    tok = RewardTokenizer(
        extractor.tokenizer, extractor.end_of_turn, config.max_question_tokens, config.max_answer_tokens
    )
    features, extract_stats = extract_features(pairs, extractor, tok, config)
    if config.answer_length:
        features = add_answer_length(features, pairs, tok)
    head, head_stats = train_head(pairs, features, config)
    stacked = torch.stack(list(features.values())).float()
    with torch.no_grad():
        rewards = torch.cat([head(stacked[i : i + 4096]) for i in range(0, len(stacked), 4096)])
    q = torch.quantile(rewards, torch.tensor([0.25, 0.5, 0.75]))
    wall = time.perf_counter() - t0
    n_pairs = head_stats["pairs_train"] + head_stats["pairs_dev"]
    info = RewardJudgeInfo(
        base_model=config.base_model,
        spec=spec,
        hidden=config.head_hidden,
        max_question_tokens=config.max_question_tokens,
        max_answer_tokens=config.max_answer_tokens,
        grade_center=float(q[1]),
        grade_scale=float(q[2] - q[0]) / 2,
        training={
            "config": {k: v for k, v in asdict(config).items()},
            **extract_stats,
            **head_stats,
            "distinct_answers": len(features),
            "wall_seconds": round(wall, 1),
            "pairs_per_hour": round(3600 * n_pairs / wall),
            "cpu": cpu_model(),
            "torch_threads": torch.get_num_threads(),
        },
    )
    final = Path(config.output_dir) / "final"
    save_reward_judge(final, head, info)
    (Path(config.output_dir) / "train_stats.json").write_text(json.dumps(info.training, indent=2) + "\n")
    return final
