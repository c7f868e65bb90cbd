"""Where judgeforge keeps its artifacts, and which judge it uses when none is named."""

from __future__ import annotations

import json
import os
from pathlib import Path

RESOURCES = Path(__file__).parent / "resources"
SHIPPED_JUDGE = RESOURCES / "judge"
SHIPPED_REWARD_JUDGE = RESOURCES / "reward_judge"
DEMO_SAMPLE = RESOURCES / "pandalm_sample.jsonl"


def reward_judge_folder(model: str | Path | None) -> Path:
    """A reward judge's folder: ``model``, or the shipped one for ``None`` or ``"default"``."""
    return SHIPPED_REWARD_JUDGE if model in (None, "", "default") else Path(model)


def base_dir() -> Path:
    """Artifacts go under ``$JUDGEFORGE_HOME``, else ``~/.cache/judgeforge``."""
    return Path(os.environ.get("JUDGEFORGE_HOME") or Path.home() / ".cache" / "judgeforge")


def default_model() -> str:
    """The fine-tuned judge adapter shipped in the package if present, else the base SmolLM2 model."""
    return str(SHIPPED_JUDGE) if (SHIPPED_JUDGE / "adapter_config.json").is_file() else "smollm2"


def trained_answer_tokens(model: str) -> int | None:
    """The answer length (tokens) a judge trained by ``judgeforge train`` saw, or ``None`` for other models.

    Answers were cut to ``max_answer_tokens`` each in training; judging them cut the same way keeps
    the judge on the inputs it knows. :class:`~judgeforge.judging.judge.Judge` turns this into the
    prompt budget (the one place that decides it).
    """
    info = Path(model) / "judgeforge_train.json"
    if not info.is_file():
        return None
    return int(json.loads(info.read_text())["max_answer_tokens"])
