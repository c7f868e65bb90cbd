"""Reward heads side by side on identical cached features: agreement on PandaLM and LLMBar x3, and
the share of PandaLM verdicts that move towards the changed answer under the audit's verbosity,
injection and off_topic perturbations.

    python benchmarks/compare_reward_heads.py src/judgeforge/resources/reward_judge runs/reward-judge/final

Features come from (and go to) the ablation benchmark's cache, runs/ablation/eval-features; only the
heads differ between the rows, so the comparison is free of bf16 and batching noise.
"""

import dataclasses
import sys

import torch

from judgeforge.data.load import load_samples
from judgeforge.data.perturb import injection, off_topic, target_answer, verbosity
from judgeforge.engines.reward_model import FeatureExtractor, FeatureSpec, load_reward_head, rao_kupper
from judgeforge.judging.reward import RewardTokenizer
from judgeforge.training.reward import RewardTrainConfig, TrainPair, _key, add_answer_length, extract_features

config = RewardTrainConfig.from_yaml("configs/train/reward-judge.yaml")
SETS = ["pandalm_test", "llmbar_mtbench", "llmbar_llmeval2", "llmbar_faireval"]
sets = {n: load_samples(f"../shared/data/{n}.jsonl") for n in SETS}
probes = {
    n: [fn(s) for s in sets["pandalm_test"]]
    for n, fn in {"verbosity": verbosity, "injection": injection, "off_topic": off_topic}.items()
}
pairs = [
    TrainPair(s.question, s.answers[0], s.answers[1], (0.0, 0.5, 0.5), s.id)
    for g in (*sets.values(), *probes.values())
    for s in g
]
spec = FeatureSpec(mean_layers=tuple(config.mean_layers), last_layers=tuple(config.last_layers))
ex = FeatureExtractor(config.base_model, spec)
tok = RewardTokenizer(ex.tokenizer, ex.end_of_turn, config.max_question_tokens, config.max_answer_tokens)
feats, _ = extract_features(
    pairs, ex, tok, dataclasses.replace(config, features_dir="runs/ablation/eval-features", time_budget_minutes=None)
)
feats = add_answer_length(feats, pairs, tok)


def verdicts(head, group):
    fa = torch.stack([feats[_key(s.question, s.answers[0])] for s in group]).float()
    fb = torch.stack([feats[_key(s.question, s.answers[1])] for s in group]).float()
    with torch.no_grad():
        return (rao_kupper(head(fa), head(fb), head.tau).argmax(-1)).tolist()


def standing(label, target):
    return 1 if label == target else (0 if label == 0 else -1)


for folder in sys.argv[1:]:
    head, _ = load_reward_head(__import__("pathlib").Path(folder))
    row = {"judge": folder}
    pred = {n: verdicts(head, g) for n, g in (*sets.items(), *probes.items())}
    for n, g in sets.items():
        row[n] = round(100 * sum(p == s.label for p, s in zip(pred[n], g)) / len(g), 1)
    for n in probes:
        base = sets["pandalm_test"]
        row[n] = round(
            100
            * sum(
                standing(a, target_answer(s)) > standing(b, target_answer(s))
                for b, a, s in zip(pred["pandalm_test"], pred[n], base)
            )
            / len(base),
            1,
        )
    print(row, flush=True)
