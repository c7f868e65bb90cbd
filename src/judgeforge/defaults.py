"""Where judgeforge keeps its artifacts, and which judge it uses when none is named."""

from __future__ import annotations

import os
from pathlib import Path

RESOURCES = Path(__file__).parent / "resources"
SHIPPED_JUDGE = RESOURCES / "judge"
DEMO_SAMPLE = RESOURCES / "pandalm_sample.jsonl"


def base_dir() -> Path:
    """Artifacts go under ``$JUDGEFORGE_HOME``, else ``~/.cache/judgeforge``."""
    return Path(os.environ.get("JUDGEFORGE_HOME") or Path.home() / ".cache" / "judgeforge")


def default_model() -> str:
    """The fine-tuned judge adapter shipped in the package if present, else the base SmolLM2 model."""
    return str(SHIPPED_JUDGE) if (SHIPPED_JUDGE / "adapter_config.json").is_file() else "smollm2"
