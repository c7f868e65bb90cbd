"""Reward heads side by side on identical cached features: agreement on PandaLM and LLMBar x3, and
the share of PandaLM verdicts that move towards the changed answer under the audit's verbosity,
injection and off_topic perturbations (the measures of ``reward_ablation.py``).

    python benchmarks/compare_reward_heads.py src/judgeforge/resources/reward_judge runs/reward-judge/final

Features come from (and go to) the ablation benchmark's cache, runs/ablation/eval-features; only the
heads differ between the rows, so the comparison is free of bf16 and batching noise. The heads must
share the recipe's base model, layers and answer-length feature.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from reward_ablation import measure, measuring_sets

from judgeforge.engines.reward_model import FeatureExtractor, FeatureSpec, load_reward_head
from judgeforge.judging.reward import RewardTokenizer
from judgeforge.training.reward import RewardTrainConfig, add_answer_length


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("heads", nargs="+", help="reward judge folders")
    parser.add_argument("--config", default="configs/train/reward-judge.yaml")
    parser.add_argument("--eval-cache", default="runs/ablation/eval-features")
    args = parser.parse_args()
    config = RewardTrainConfig.from_yaml(args.config)
    spec = FeatureSpec(mean_layers=tuple(config.mean_layers), last_layers=tuple(config.last_layers))
    extractor = FeatureExtractor(config.base_model, spec)
    tok = RewardTokenizer(
        extractor.tokenizer, extractor.end_of_turn, config.max_question_tokens, config.max_answer_tokens
    )
    sets, probes, eval_pairs, features = measuring_sets(config, extractor, tok, args.eval_cache)
    features = add_answer_length(features, eval_pairs, tok)
    for folder in args.heads:
        head, _ = load_reward_head(Path(folder))
        print({"judge": folder} | {k: round(v, 1) for k, v in measure(head, features, sets, probes).items()})


if __name__ == "__main__":
    main()
