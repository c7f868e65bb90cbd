"""Fit a reward judge's grade head: absolute 1-10 grades of single answers, comparable across questions.

A reward judge's rewards are learned from pairs, that is from differences between two answers to the
same question: nothing in that loss fixes where one question's rewards sit against another's, so a
lone answer's reward is a poor grade (Pearson 0.09 with GPT-4's grades on Prometheus' Vicuna set,
below answer length's own 0.29). The grade head is a ridge regression from the same answer features
to a teacher's absolute grades (Auto-J's GPT-4 grades of single Chatbot Arena answers), with the
penalty picked by cross-validation on the training file. It adds one small file to the judge's
folder; the pairwise head, and so every pairwise verdict, is unchanged.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from judgeforge.data.load import load_samples
from judgeforge.defaults import reward_judge_folder
from judgeforge.engines.reward_model import save_grade_head
from judgeforge.errors import ConfigError
from judgeforge.judging.output import rescale
from judgeforge.records import DEFAULT_SCALE
from judgeforge.training.config import check_train_files, config_from_yaml
from judgeforge.training.reward import cpu_model

logger = logging.getLogger(__name__)


@dataclass
class GradeTrainConfig:
    """Settings of a grade-head fit (``kind: grade`` configs)."""

    judge: str | None = None
    """The reward judge's folder; default: the shipped one. It is copied, not changed."""
    train_files: list[str] = field(default_factory=list)
    """Single-answer JSONL files with a ``score`` (only ``*_train`` files)."""
    output_dir: str = "runs/grade-head"
    """The judge with its grade head goes to ``output_dir/final``."""
    alphas: list[float] = field(default_factory=lambda: np.logspace(2, 7, 21).tolist())
    """Ridge penalties to choose from (on standardised features)."""
    folds: int = 5
    """Cross-validation folds that pick the penalty and estimate the head's Pearson."""
    seed: int = 0
    """Seeds the folds' shuffle."""
    batch_size: int = 32
    """Answers per feature-extraction call."""

    def __post_init__(self) -> None:
        check_train_files(self.train_files)
        if self.folds < 2:
            raise ConfigError(f"folds must be >= 2, got {self.folds}")

    @classmethod
    def from_yaml(cls, path: str | Path, overrides: dict[str, Any] | None = None) -> GradeTrainConfig:
        """Read a config from YAML (its ``kind: grade`` line aside), then apply ``--set`` overrides."""
        return config_from_yaml(cls, path, overrides)


def fit_ridge(
    x: np.ndarray, y: np.ndarray, alphas: list[float], folds: int, seed: int = 0
) -> tuple[np.ndarray, float, dict[str, Any]]:
    """Ridge regression of ``y`` on standardised ``x``, the penalty picked by k-fold CV.

    Args:
        x: features, one row per answer.
        y: the grades to fit.
        alphas: penalties to choose from.
        folds: CV folds (shuffled with ``seed``), for the penalty and the held-out estimate.

    Returns:
        The weight and bias on the raw features (the standardisation folded in: ``x @ w + b`` is the
        fitted pipeline's prediction), and what CV measured (the penalty, held-out Pearson and MAE).
    """
    from scipy.stats import pearsonr
    from sklearn.linear_model import RidgeCV
    from sklearn.model_selection import KFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    split = KFold(folds, shuffle=True, random_state=seed)
    model = make_pipeline(StandardScaler(), RidgeCV(alphas=alphas, cv=split))
    held_out = cross_val_predict(model, x, y, cv=split)  # each grade predicted by a fit without it
    model.fit(x, y)
    scaler, ridge = model[0], model[1]
    weight = ridge.coef_ / scaler.scale_  # StandardScaler's scale_ is 1 where a feature is constant
    bias = float(ridge.intercept_ - (weight * scaler.mean_).sum())
    if ridge.alpha_ in (min(alphas), max(alphas)):
        logger.warning("the chosen ridge penalty %g is at the end of the grid: widen alphas", ridge.alpha_)
    stats = {
        "alpha": float(ridge.alpha_),
        "cv_pearson": round(float(pearsonr(held_out, y)[0]), 4),
        "cv_mae": round(float(np.abs(held_out - y).mean()), 4),
    }
    return weight, bias, stats


def train_grade_head(config: GradeTrainConfig) -> Path:
    """Copy the reward judge to ``output_dir/final`` and fit its grade head on the train files.

    Returns:
        The folder of the judge with its grade head.
    """
    from judgeforge.judging.reward import RewardJudge

    if not config.train_files:
        raise ConfigError("train_files is empty: name the single-answer *_train files with grades")
    t0 = time.perf_counter()
    source = reward_judge_folder(config.judge)
    final = Path(config.output_dir) / "final"
    if final.resolve() == source.resolve():
        raise ConfigError(f"the judge {source} is output_dir/final, which is rewritten: pick another output_dir")
    loaded = [s for f in config.train_files for s in load_samples(f)]
    samples = [s for s in loaded if len(s.answers) == 1 and s.scores]
    if len(samples) < len(loaded):
        logger.warning(
            "%d of %d records are not graded single answers: left out", len(loaded) - len(samples), len(loaded)
        )
    if len(samples) < 2 * config.folds:
        raise ConfigError(f"{len(samples)} graded single answers in {config.train_files}: too few to fit a grade head")
    judge = RewardJudge(source)
    features: list[torch.Tensor] = []
    for start in range(0, len(samples), config.batch_size):
        batch, _ = judge.features(samples[start : start + config.batch_size])
        features += [f[0].float() for f in batch]
        logger.info("features of %d/%d answers", len(features), len(samples))
    x = torch.stack(features).numpy()
    y = np.array([rescale(s.scores[0], s.scale, DEFAULT_SCALE) for s in samples])  # type: ignore[index]
    weight, bias, stats = fit_ridge(x, y, config.alphas, config.folds, config.seed)
    if final.exists():
        shutil.rmtree(final)
    shutil.copytree(source, final)
    save_grade_head(final, torch.from_numpy(weight), bias)
    info_path = final / "reward_judge.json"
    info = json.loads(info_path.read_text(encoding="utf-8"))
    info["grade_head"] = {
        "config": asdict(config) | {"alphas": [float(a) for a in config.alphas]},
        "answers": len(samples),
        **stats,
        "wall_seconds": round(time.perf_counter() - t0, 1),
        "cpu": cpu_model(),
    }
    info_path.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    logger.info("grade head: %s", stats)
    return final
