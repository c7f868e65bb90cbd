"""judgeforge: train, run and evaluate fine-tuned LLM judges.

The public API; heavy dependencies (torch, transformers, httpx) load only when an engine or the
trainer is created.
"""

from judgeforge.data.augment import drop_reference, swap
from judgeforge.data.formats import samples_from_rows
from judgeforge.data.load import load_samples
from judgeforge.engines import Engine, GenerationParams, create_engine, list_engines
from judgeforge.errors import ConfigError, DataError, EngineError, JudgeforgeError
from judgeforge.judging.cascade import Cascade
from judgeforge.judging.evaluate import evaluate_files
from judgeforge.judging.job import judge_file
from judgeforge.judging.judge import Judge
from judgeforge.judging.parse import parse_scores, parse_verdict
from judgeforge.judging.run import JudgeConfig, judge_samples
from judgeforge.judging.spec import JudgeKind, JudgeSpec, list_judges
from judgeforge.metrics import compute_report, to_markdown
from judgeforge.prompts import get_template, list_templates, prompt_text, render_prompt
from judgeforge.records import (
    FailureKind,
    Generation,
    JudgeOutput,
    JudgeSample,
    Judgment,
    Message,
    MetricReport,
    OutputStatus,
    Prompt,
    Verdict,
)

__version__ = "0.1.0"

__all__ = [
    "Cascade",
    "ConfigError",
    "DataError",
    "Engine",
    "EngineError",
    "FailureKind",
    "Generation",
    "GenerationParams",
    "Judge",
    "JudgeConfig",
    "JudgeKind",
    "JudgeSpec",
    "JudgeOutput",
    "JudgeSample",
    "JudgeforgeError",
    "Judgment",
    "Message",
    "MetricReport",
    "OutputStatus",
    "Prompt",
    "Verdict",
    "compute_report",
    "create_engine",
    "drop_reference",
    "evaluate_files",
    "get_template",
    "judge_file",
    "judge_samples",
    "list_engines",
    "list_judges",
    "list_templates",
    "load_samples",
    "parse_scores",
    "parse_verdict",
    "prompt_text",
    "render_prompt",
    "samples_from_rows",
    "swap",
    "to_markdown",
]
