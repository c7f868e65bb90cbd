"""Training configuration: one dataclass for the CLI and YAML files alike."""

from __future__ import annotations

import argparse
import dataclasses
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from judgeforge.errors import ConfigError

_D = TypeVar("_D")


@dataclass
class TrainConfig:
    """Supervised fine-tuning of a judge (JudgeLM's recipe, with LoRA by default).

    Load from YAML with :meth:`from_yaml`; ``key=value`` overrides go through :meth:`with_overrides`.
    """

    # > Data
    train_files: list[str] = field(default_factory=list)
    """Canonical JSONL(.gz) files to train on (required)."""
    max_samples_per_file: int | None = None
    """Take at most this many samples from each file (a seeded random subset)."""
    template_family: str = "judgeforge"
    """Prompt family, as for judging: the judge must be trained on the prompts it will see."""
    swap_prob: float = 0.5
    """Probability that a pair is shown with its answers swapped (JudgeLM's swap augmentation)."""
    swap_both: bool = False
    """Show every pair in both orders, side by side in the same batch, instead of swapping at random:
    the gradient is then exactly symmetric in the answers' positions (``swap_prob`` is unused)."""
    balance_labels: bool = False
    """Keep as many "answer 1 wins" as "answer 2 wins" samples from each file (ties are all kept), so
    the judge cannot score well by spotting the source's usual winner (e.g. AlpacaEval's baseline)."""
    ref_drop_prob: float = 0.5
    """Probability that a sample's reference answer is removed (reference drop)."""
    max_answer_tokens: int = 384
    """Answers (and references) longer than this are cut, marked as in judging; bounds the cost of a step."""
    max_explanation_tokens: int | None = None
    """Teach only the first sentences of long teacher explanations (up to this many tokens), to
    spend the compute on more samples rather than on long critiques."""
    # > Model
    model: str = "smollm2"
    """Base model: ``smollm2``, a model folder or a .gguf file."""
    lora: bool = True
    """Train a LoRA adapter (small enough to ship); false trains all weights."""
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.0
    """Dropout on the LoRA input; 0 by default: on CPU it costs about a quarter of the step time."""
    # > Optimisation
    output_dir: str = ""
    """Where checkpoints and the final model go (required)."""
    epochs: float = 1.0
    max_steps: int = -1
    """Stop after this many optimizer steps (overrides ``epochs`` when > 0)."""
    learning_rate: float = 2e-4
    batch_size: int = 4
    grad_accum: int = 4
    warmup_ratio: float = 0.03
    lr_scheduler: str = "cosine"
    """Any HF scheduler name; ``constant_with_warmup`` makes every checkpoint equal to a shorter run."""
    weight_decay: float = 0.0
    verdict_weight: float = 1.0
    """Loss weight of the first judgment token (the verdict or first score) relative to the others."""
    time_budget_minutes: float | None = None
    """Save and stop once training has run this long (for fixed-budget runs on a laptop)."""
    bf16: bool = True
    """bf16 autocast (fast on CPUs with AMX and on recent GPUs)."""
    seed: int = 0
    save_steps: int = 50
    save_total_limit: int | None = 2
    """Checkpoints to keep (``null`` keeps all, e.g. to evaluate a learning curve)."""
    logging_steps: int = 5

    def __post_init__(self) -> None:
        for name in ("swap_prob", "ref_drop_prob", "lora_dropout"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if self.batch_size < 1 or self.grad_accum < 1:
            raise ConfigError("batch_size and grad_accum must be >= 1")

    def validate(self) -> None:
        """Check the required fields; called before training starts."""
        if not self.train_files:
            raise ConfigError("train_files is required: the JSONL files to train on")
        if not self.output_dir:
            raise ConfigError("output_dir is required: where to save the judge")
        check_train_files(self.train_files)
        for f in self.train_files:
            if not Path(f).is_file():
                raise ConfigError(f"train file {f} does not exist")

    @classmethod
    def from_yaml(cls, path: str | Path) -> TrainConfig:
        """Read a config from YAML; unknown keys and values of the wrong type are errors."""
        return config_from_yaml(cls, path)

    def with_overrides(self, values: dict[str, Any], where: str = "override") -> TrainConfig:
        """A copy with fields replaced, parsed and checked by transformers' ``HfArgumentParser``.

        Values may be typed (from YAML) or text (``--set key=value``); ``null`` clears an optional field.

        Args:
            values: option name to value.
            where: where the values came from, for error messages.

        Raises:
            ConfigError: an unknown option or a value that is not of the option's type.
        """
        config = override_dataclass(self, values, where)
        assert isinstance(config, TrainConfig)
        return config


HELD_OUT_WORDS = {"val", "valid", "validation", "dev", "test", "eval", "bench", "benchmark"}
"""Words of file names (split at ``_``, ``-``, ``.``) that mark a split for measuring."""
HELD_OUT_SETS = ("judgebench", "llmbar", "prometheus", "mtbench", "mmvet")
"""Public benchmarks (in names with the separators removed): for measuring, whatever the split."""


def check_train_files(files: list[str]) -> None:
    """Refuse val, test and benchmark files as training data (they are for measuring); a name with
    ``_train`` in it is a training file."""
    for f in files:
        name = Path(f).name.lower()
        if "_train" in name:
            continue
        words = set(re.split(r"[_\-.]", name))
        if words & HELD_OUT_WORDS or any(b in re.sub(r"[_\-.]", "", name) for b in HELD_OUT_SETS):
            raise ConfigError(f"{f}: train only on *_train files, never on val, test or benchmark files")


def config_kind(path: str | Path) -> str:
    """``reward``, ``grade`` or ``generative``: the ``kind`` line of a training config (default generative)."""
    kind = _read_mapping(path).get("kind", "generative")
    if kind not in ("reward", "grade", "generative"):
        raise ConfigError(f"{path}: kind must be reward, grade or generative, got {kind!r}")
    return str(kind)


def override_dataclass(obj: _D, values: dict[str, Any], where: str = "override") -> _D:
    """A copy of a config dataclass with fields replaced, parsed and checked by transformers'
    ``HfArgumentParser`` (shared by every training config).

    Args:
        obj: the config.
        values: option name to value, typed (YAML) or text (``--set key=value``); ``null`` clears
            an optional field.
        where: where the values came from, for error messages.

    Raises:
        ConfigError: an unknown option or a value that is not of the option's type.
    """
    from transformers import HfArgumentParser

    fields = {f.name: f for f in dataclasses.fields(obj)}  # type: ignore[arg-type]
    current = dataclasses.asdict(obj)  # type: ignore[call-overload]
    argv: list[str] = []
    for key, value in values.items():
        if key not in fields:
            raise ConfigError(f"{where}: unknown training option {key!r}; options: {sorted(fields)}")
        if value is None or (isinstance(value, str) and value.strip().lower() in ("null", "none", "~")):
            if type(None) not in typing.get_args(typing.get_type_hints(type(obj))[key]):
                raise ConfigError(f"{where}: {key} cannot be null")
            current[key] = None
            continue
        items = value if isinstance(value, list) else [value]
        argv += [f"--{key}", *(str(v).lower() if isinstance(v, bool) else str(v) for v in items)]
    parser = HfArgumentParser(type(obj), exit_on_error=False)  # type: ignore[arg-type]  # a dataclass
    parser.set_defaults(**current)
    try:
        (config,) = parser.parse_args_into_dataclasses(args=argv, look_for_args_file=False)
    except argparse.ArgumentError as e:
        # argparse says "argument --lora_r/--lora-r: invalid int value: 'abc'"
        raise ConfigError(f"{where}: " + re.sub(r"^argument --(\w+)(/--[\w-]+)?", r"\1", str(e))) from None
    assert isinstance(config, type(obj))
    return config


def _read_mapping(path: str | Path) -> dict[str, Any]:
    """A training config file's options (YAML), with errors naming the file."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: {e}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a training config is a mapping of options, got {type(data).__name__}")
    return data


def config_from_yaml(cls: type[_D], path: str | Path, overrides: dict[str, Any] | None = None) -> _D:
    """A config dataclass from a YAML file (its ``kind`` line aside), then ``--set`` overrides
    (:func:`override_dataclass`; the dataclass's own checks run on the result)."""
    data = _read_mapping(path)
    data.pop("kind", None)
    config = override_dataclass(cls(), data, where=str(path))
    return override_dataclass(config, overrides, where="--set") if overrides else config
