"""Ablations of the reward judge's training data, from cached features (no training-set forward pass).

Run the training recipe first (``judgeforge train --config configs/train/reward-judge.yaml``, and any
arm config sharing its feature cache): this script fits one head per *arm* on subsets of the teacher
pairs whose answers are in that cache, so every arm draws from the same pairs, and scores each on the
human-labelled sets and on the padding / note-to-the-judge probe of PandaLM, beside the longer-answer
rule. The measuring sets' features are extracted once into their own cache.

An arm is ``NAME:FRACTION:LENGTH:NEGATIVES``: the share of decided teacher pairs the longer answer
wins (``natural``: the train files' own share), whether the head sees the answer length, whether
the synthetic negatives of the training run are used. Every arm gets ``--teacher-pairs`` pairs.

    python benchmarks/reward_ablation.py --teacher-pairs 7000

Without a training cache, ``--extract-minutes`` fills one first (the negatives, then teacher pairs in
file order, for that long), e.g. the markdown-negatives ablation of docs/default-judge.md::

    python benchmarks/reward_ablation.py --teacher-pairs 2000 --extract-minutes 30 --markdown-pairs 1000 \
        --arm recipe:natural:yes:more --arm recipe+md500:natural:yes:md500 --arm recipe+md1000:natural:yes:md1000
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import random
from pathlib import Path

import torch

from judgeforge.data.load import load_samples
from judgeforge.data.perturb import injection, markdown_format, off_topic, target_answer, verbosity
from judgeforge.engines.reward_model import FeatureExtractor, FeatureSpec, rao_kupper
from judgeforge.judging.reward import RewardTokenizer
from judgeforge.metrics.baselines import longer_wins
from judgeforge.records import JudgeSample
from judgeforge.training.reward import (
    RewardTrainConfig,
    TrainPair,
    _key,
    add_answer_length,
    cpu_model,
    extract_features,
    negative_pairs,
    split_by_length,
    teacher_pairs,
    train_head,
)

DATA = Path("../shared/data")
SETS = ["pandalm_test", "llmbar_mtbench", "llmbar_llmeval2", "llmbar_faireval"]
PROBES = {"verbosity": verbosity, "injection": injection, "off_topic": off_topic, "format": markdown_format}


def as_pairs(samples: list[JudgeSample]) -> list[TrainPair]:
    return [TrainPair(s.question, s.answers[0], s.answers[1], (0.0, 0.5, 0.5), s.id) for s in samples]


def longer_share(pairs: list[TrainPair]) -> float:
    longer, shorter, _ = split_by_length(pairs)
    return len(longer) / max(1, len(longer) + len(shorter))


def subset(pool: list[TrainPair], fraction: float, n: int) -> list[TrainPair]:
    """``n`` teacher pairs of the pool (in pool order) of which ``fraction`` of the decided ones
    have the longer answer winning; ties kept in their share."""
    longer, shorter, ties = split_by_length(pool)
    if n == 0:  # as many as the pool allows at this share
        decided = len(pool) - len(ties)
        n = (
            int(
                min(len(longer) / max(fraction, 1e-9), len(shorter) / max(1 - fraction, 1e-9), decided)
                * len(pool)
                / decided
            )
            - 2
        )  # rounding below must not ask for one pair more than there is
    n_ties = round(n * len(ties) / len(pool))
    n_longer = round((n - n_ties) * fraction)
    n_shorter = n - n_ties - n_longer
    if n_longer > len(longer) or n_shorter > len(shorter):
        raise SystemExit(f"the pool has too few pairs for {n} at {fraction}: lower --teacher-pairs")
    return longer[:n_longer] + shorter[:n_shorter] + ties[:n_ties]


def verdicts(head: torch.nn.Module, fa: torch.Tensor, fb: torch.Tensor) -> list[int]:
    with torch.no_grad():
        probs = rao_kupper(head(fa), head(fb), head.tau)  # type: ignore[operator]
    return probs.argmax(-1).tolist()


def standing(label: int, target: int) -> int:
    return 1 if label == 0 else (2 if label == target else 0)


Group = dict[str, list[JudgeSample]]


def measuring_sets(
    config: RewardTrainConfig, extractor: FeatureExtractor, tok: RewardTokenizer, cache: str
) -> tuple[Group, Group, list[TrainPair], dict[str, torch.Tensor]]:
    """The human-labelled sets, PandaLM under each probe, their pairs, and the pairs' answer features
    (extracted once into ``cache``, without the length feature)."""
    sets = {name: load_samples(DATA / f"{name}.jsonl") for name in SETS}
    probes = {name: [fn(s) for s in sets["pandalm_test"]] for name, fn in PROBES.items()}
    eval_pairs = [p for group in (*sets.values(), *probes.values()) for p in as_pairs(group)]
    eval_config = dataclasses.replace(config, features_dir=cache, time_budget_minutes=None)
    features, stats = extract_features(eval_pairs, extractor, tok, eval_config)
    logging.info("measuring sets: %s", stats)
    return sets, probes, eval_pairs, features


def measure(head: torch.nn.Module, features: dict[str, torch.Tensor], sets: Group, probes: Group) -> dict[str, float]:
    """Agreement (%) on each set, and the share (%) of PandaLM verdicts each probe moves towards its
    changed answer."""
    pred: dict[str, list[int]] = {}
    for set_name, group in (*sets.items(), *probes.items()):
        fa = torch.stack([features[_key(s.question, s.answers[0])] for s in group]).float()
        fb = torch.stack([features[_key(s.question, s.answers[1])] for s in group]).float()
        pred[set_name] = verdicts(head, fa, fb)
    out = {}
    for set_name, group in sets.items():
        out[set_name] = 100 * sum(p == s.label for p, s in zip(pred[set_name], group)) / len(group)
    base = sets["pandalm_test"]
    for probe in probes:
        toward = [
            standing(after, target_answer(s)) > standing(before, target_answer(s))
            for before, after, s in zip(pred["pandalm_test"], pred[probe], base)
        ]
        out[f"{probe} toward changed"] = 100 * sum(toward) / len(toward)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/train/reward-judge.yaml")
    parser.add_argument("--eval-cache", default="runs/ablation/eval-features")
    parser.add_argument("--teacher-pairs", type=int, default=5500, help="per arm; 0: as many as the cache allows")
    parser.add_argument(
        "--arm",
        action="append",
        help="NAME:FRACTION:LENGTH:NEGATIVES, e.g. balanced:0.5:no:yes (repeatable); NEGATIVES: yes, no, "
        "more (plus the config's off_topic_pairs, default 1500, of each off-topic kind), or mdN (more, plus "
        "the first N of --markdown-pairs markdown-loser pairs)",
    )
    parser.add_argument("--markdown-pairs", type=int, default=0, help="markdown-loser pairs to build (mdN arms)")
    parser.add_argument(
        "--extract-minutes", type=float, default=0, help="extract missing training features for this long first"
    )
    parser.add_argument(
        "--same-pairs-as",
        help="another feature cache (e.g. another base model's): use only pairs whose answers are in both",
    )
    parser.add_argument("--seeds", type=int, default=2, help="head seeds per arm (results are their mean)")
    parser.add_argument("--json", default="runs/ablation/arms.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    arms = args.arm or [
        "balanced:0.5:no:yes", "balanced+length:0.5:yes:yes", "0.7+length:0.7:yes:yes",
        "natural+length:natural:yes:yes", "natural:natural:no:yes", "balanced, no negatives:0.5:no:no",
    ]  # fmt: skip

    config = RewardTrainConfig.from_yaml(args.config)
    rng = random.Random(config.seed)  # as in the training run: its pairs and negatives
    samples = [s for f in config.train_files for s in load_samples(f)]
    recipe = teacher_pairs(samples, config, rng)
    before = rng.getstate()
    negatives = negative_pairs(recipe, config.negatives_per_kind, rng)
    after = rng.getstate()
    rng.setstate(before)  # the same negatives, then the config's extra off-topic pairs ("more")
    with_md = negative_pairs(
        recipe, config.negatives_per_kind, rng, config.off_topic_pairs or 1500, args.markdown_pairs
    )
    markdown = [p for p in with_md if p.kind == "markdown-loser"]
    more = with_md[: len(with_md) - len(markdown)]
    rng.setstate(after)
    every = teacher_pairs(samples, dataclasses.replace(config, longer_wins_fraction=None, max_pairs=None), rng)
    natural = longer_share(every)
    spec = FeatureSpec(mean_layers=tuple(config.mean_layers), last_layers=tuple(config.last_layers))
    extractor = FeatureExtractor(config.base_model, spec)
    tok = RewardTokenizer(
        extractor.tokenizer, extractor.end_of_turn, config.max_question_tokens, config.max_answer_tokens
    )
    # read the training cache and extract for --extract-minutes: the negatives first, then teacher pairs
    cached = dataclasses.replace(config, time_budget_minutes=args.extract_minutes)
    train_features, stats = extract_features(with_md + every, extractor, tok, cached)
    logging.info("training features: %s", stats)
    have = set(train_features)
    if args.same_pairs_as:
        have &= {k for f in sorted(Path(args.same_pairs_as).glob("chunk-*.pt")) for k in torch.load(f)["keys"]}

    def cached_pairs(pairs: list[TrainPair]) -> list[TrainPair]:
        return [p for p in pairs if _key(p.question, p.answer_a) in have and _key(p.question, p.answer_b) in have]

    pool, negatives, more, markdown = map(cached_pairs, (every, negatives, more, markdown))
    logging.info(
        "%d teacher pairs (longer wins %.3f) and %d negatives cached", len(pool), longer_share(pool), len(negatives)
    )

    sets, probes, eval_pairs, eval_features = measuring_sets(config, extractor, tok, args.eval_cache)

    rows = []
    for arm in arms:
        name, fraction, length, use_negatives = arm.rsplit(":", 3)
        f = natural if fraction == "natural" else float(fraction)
        teacher = subset(pool, f, args.teacher_pairs)
        if use_negatives.startswith("md"):
            pairs = teacher + more + markdown[: int(use_negatives[2:])]
        else:
            pairs = teacher + {"yes": negatives, "more": more, "no": []}[use_negatives]
        feats, efeats = train_features, eval_features
        if length == "yes":
            feats = add_answer_length(train_features, pairs, tok)
            efeats = add_answer_length(eval_features, eval_pairs, tok)
        results: dict[str, list[float]] = {}
        for seed in range(args.seeds):
            head, stats = train_head(pairs, feats, dataclasses.replace(config, seed=seed))
            used = stats["pairs_train"] + stats["pairs_dev"]  # pairs whose answers have features
            results.setdefault("dev", []).append(100 * stats["dev"]["dev_agreement"])
            for key, value in measure(head, efeats, sets, probes).items():
                results.setdefault(key, []).append(value)
        row = {"arm": name, "longer_wins": round(f, 3), "teacher_pairs": len(teacher), "pairs": used}
        row |= {k: round(sum(v) / len(v), 1) for k, v in results.items()}
        rows.append(row)
        print(json.dumps(row), flush=True)

    longer = {}
    for n, g in sets.items():
        rule = longer_wins([(len(s.answers[0]), len(s.answers[1])) for s in g]).combined
        longer[n] = round(100 * sum(v == s.label for v, s in zip(rule, g)) / len(g), 1)
    cols = ["dev", *SETS, *(f"{p} toward changed" for p in PROBES)]
    print(f"\nCPU: {cpu_model()}; {args.seeds} head seeds per arm (mean); {args.teacher_pairs} teacher pairs per arm")
    print("| arm | longer wins in data | pairs | " + " | ".join(cols) + " |")
    print("|---" * (3 + len(cols)) + "|")
    for r in rows:
        cells = [r["arm"], r["longer_wins"], r["pairs"], *(r.get(c, "") for c in cols)]
        print("| " + " | ".join(str(c) for c in cells) + " |")
    print("| *longer answer wins* | | | | " + " | ".join(str(longer[n]) for n in SETS) + " | | |")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"rows": rows, "longer_wins": longer, "cpu": cpu_model()}, indent=2) + "\n")


if __name__ == "__main__":
    main()
