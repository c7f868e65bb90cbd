"""Does grading against the reference help the reward judge? (a probe; docs/benchmarks.md, "Extended tasks")

For every graded single answer with a reference, one pass of the reward judge over (answer, reference)
gives both rewards and both grade-head grades; nothing is fitted. Prints the Pearson correlation with
the gold grades of: the answer's grade (what the judge ships), the reward difference answer - reference,
P(answer at least as good as the reference) under Rao-Kupper, the grade difference, and answer length.

    python benchmarks/reference_grading.py ../shared/data/prometheus_{vicuna,mtbench}_single.jsonl
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from scipy.stats import pearsonr

from judgeforge.data.load import load_samples
from judgeforge.engines.reward_model import rao_kupper
from judgeforge.judging.reward import RewardJudge


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="+", help="graded single-answer files with reference answers")
    ap.add_argument("--judge", default=None, help="a reward judge's folder; default the shipped one")
    args = ap.parse_args()
    judge = RewardJudge(args.judge)
    if judge.grade_head is None:
        raise SystemExit("this probe needs a reward judge with a grade head")
    weight, bias = judge.grade_head
    for path in args.files:
        t0 = time.perf_counter()
        samples = [s for s in load_samples(path) if len(s.answers) == 1 and s.scores and s.reference]
        gold = np.array([s.scores[0] for s in samples])  # type: ignore[index]
        pairs = [s.model_copy(update={"answers": [s.answers[0], s.reference]}) for s in samples]
        features, _ = judge.features(pairs)
        with torch.no_grad():
            rewards = torch.stack([judge.head(f) for f in features])
            grades = torch.stack([f.float() @ weight + bias for f in features])
            p = rao_kupper(rewards[:, 0], rewards[:, 1], judge.head.tau)
        measures = {
            "grade (shipped)": grades[:, 0],
            "reward - reference reward": rewards[:, 0] - rewards[:, 1],
            "P(answer >= reference)": p[:, 1] + p[:, 0],
            "grade - reference grade": grades[:, 0] - grades[:, 1],
            "answer length": torch.tensor([float(len(s.answers[0])) for s in samples]),
        }
        pearson = {k: round(float(pearsonr(v.numpy(), gold).statistic), 3) for k, v in measures.items()}
        print(
            json.dumps(
                {"file": path, "n": len(samples), "pearson": pearson, "seconds": round(time.perf_counter() - t0, 1)}
            )
        )


if __name__ == "__main__":
    main()
