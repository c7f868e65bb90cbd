"""``judgeforge train``: fine-tune a judge from a YAML config and ``--set`` overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from judgeforge.cli._common import console


def train(
    config: Annotated[Path | None, typer.Option(help="A YAML training config (see configs/train/).")] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override a config field: --set learning_rate=1e-4.")
    ] = None,
    resume: Annotated[bool, typer.Option(help="Continue from the last checkpoint in output_dir.")] = False,
) -> None:
    """Train a judge: a reward judge (``kind: reward`` configs), a reward judge's single-answer grade
    head (``kind: grade``), or a generative judge (LoRA by default; the loss is on the judgment only)."""
    from judgeforge.engines.options import parse_key_values
    from judgeforge.training.config import TrainConfig, config_kind

    overrides = parse_key_values(set_ or [], flag="--set")
    if config and config_kind(config) == "grade":
        from judgeforge.training.grade import GradeTrainConfig, train_grade_head

        final = train_grade_head(GradeTrainConfig.from_yaml(config, overrides))
        console.print(
            f"saved the reward judge with its grade head to {final};"
            f" use it with a judge spec (kind: reward, model: {final})"
        )
        return
    if config and config_kind(config) == "reward":
        from judgeforge.training.reward import RewardTrainConfig, train_reward_judge

        final = train_reward_judge(RewardTrainConfig.from_yaml(config, overrides))
        console.print(f"saved the reward judge to {final}; use it with a judge spec (kind: reward, model: {final})")
        return
    cfg = (TrainConfig.from_yaml(config) if config else TrainConfig()).with_overrides(overrides, where="--set")
    cfg.validate()
    from judgeforge.training.sft import train as run_training

    final = run_training(cfg, resume=resume)
    console.print(f"saved the judge to {final}; use it with: judgeforge judge INPUT -o OUT --model {final}")
