"""A judge as data: the YAML spec that says which model judges, how it is prompted and what it was trained for.

alpaca_eval defines each annotator as a config file; lm-eval builds task variants with ``include:``.
A :class:`JudgeSpec` is both: ``configs/judges/*.yaml`` are examples, and the default judge's spec
ships in the package (``resources/judges/default.yaml``).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from judgeforge.errors import ConfigError

SHIPPED_SPECS = Path(__file__).resolve().parents[1] / "resources" / "judges"


class JudgeKind(str, Enum):
    """How a judge produces its verdict."""

    generative = "generative"
    """An LLM that writes a verdict or scores (the prompt templates and parsers)."""
    reward = "reward"
    """A reward model that scores each answer (``judging/reward.py``)."""


class Mode(str, Enum):
    """How much a generative judge writes."""

    fast = "fast"
    """The verdict or scores only (one forward pass for a verdict template)."""
    full = "full"
    """The verdict or scores, then an explanation."""


class TemplateFamily(str, Enum):
    """Prompt families: a template per sample kind."""

    judgeforge = "judgeforge"
    """``judgeforge-pair``, ``judgeforge-single``, ``judgeforge-multi``."""
    judgelm = "judgelm"
    """JudgeLM's released raw prompt (pairs and multi-answer)."""


class JudgeSpec(BaseModel):
    """Everything that defines a judge; loaded from YAML with :meth:`from_yaml` or :meth:`load`."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)

    name: str = "custom"
    """A short name for reports and warnings."""
    description: str = ""
    """What the judge is and where it comes from."""
    kind: JudgeKind = JudgeKind.generative
    """``generative`` (an LLM with a prompt template) or ``reward`` (a reward model)."""
    engine: str = "hf"
    """The engine that runs the model: ``hf``, ``vllm``, ``openai``, ``mock`` or ``ray``."""
    model: str | None = None
    """``smollm2``, a model or adapter folder, a ``.gguf`` file or a served model name; a path
    starting with ``.`` in a YAML file is relative to that file. ``None``: the engine's default."""
    engine_options: dict[str, Any] = Field(default_factory=dict)
    """Further engine constructor options (``concurrency``, ``tensor_parallel_size``, ``dtype``...)."""
    template_family: TemplateFamily = TemplateFamily.judgeforge
    """The prompt family; its template for each sample's kind is used."""
    template: str | None = None
    """A template id or YAML path that overrides ``template_family`` for every sample."""
    mode: Mode = Mode.full
    """``fast``: verdict or scores only; ``full``: with an explanation."""
    swap: bool = False
    """Judge pairs in both answer orders and combine them (cancels a position preference)."""
    pointwise: bool = False
    """Grade each answer on its own with the single-answer template and compare the grades."""
    with_reference: bool = True
    """Show the sample's reference answer to the judge when it has one."""
    max_prompt_tokens: int | None = Field(default=None, ge=16)
    """Prompt budget: answers of longer prompts are cut (head and tail). ``None``: what a
    judgeforge-trained model saw (``2 * max_answer_tokens + 512``), else the engine's limit."""
    max_answer_tokens: int | None = Field(default=None, ge=2)
    """Cut each answer to this many tokens before rendering, as in training. ``None``: the value in
    the model's ``judgeforge_train.json`` when it has one, else no per-answer cut."""
    max_new_tokens: int = Field(default=256, ge=1)
    """Generation budget in full mode."""
    temperature: float = Field(default=0.0, ge=0)
    """Sampling temperature of a generative judge; 0 (the default) decodes greedily, so a verdict is
    reproducible. ``judgeforge audit`` samples to measure self-consistency."""
    seed: int = 0
    """Random seed of sampling when ``temperature > 0``."""
    batch_size: int | None = Field(default=None, ge=1)
    """Prompts per forward pass (hf; vllm's ``max_num_seqs``). ``None``: the engine's default."""
    chunk_size: int | None = Field(default=None, ge=1)
    """Samples per engine call and per write of a file job. ``None``: from ``batch_size`` and ``workers``."""
    workers: int = Field(default=1, ge=1)
    """Run this many copies of the engine on Ray (``$RAY_ADDRESS`` to join a cluster)."""
    gpus_per_worker: float = Field(default=0.0, ge=0)
    """GPUs each Ray worker reserves."""
    tasks: list[str] = Field(default_factory=list)
    """The templates the judge was trained for (``judgeforge-pair``...); judging with another
    template logs a warning and adds one to each result. Empty: no claim, no warning."""

    @field_validator("engine")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        from judgeforge.engines.registry import list_engines

        if value not in list_engines():
            raise ValueError(f"unknown engine {value!r}: choose one of {list_engines()}")
        return value

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "judge spec") -> JudgeSpec:
        """Validate a spec given as a mapping; errors name the field.

        Raises:
            ConfigError: an unknown field or a bad value.
        """
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            problems = "; ".join(f"{'.'.join(map(str, err['loc'])) or 'spec'}: {err['msg']}" for err in e.errors())
            raise ConfigError(f"{where}: {problems}") from None

    @classmethod
    def from_yaml(cls, path: str | Path) -> JudgeSpec:
        """Load a spec from YAML; ``include: other.yaml`` (or a shipped name) is read first and overridden.

        Raises:
            ConfigError: unreadable file, include cycle, unknown field or bad value.
        """
        return cls.from_dict(_read(Path(path), ()), where=str(path))

    @classmethod
    def load(cls, spec: str | Path) -> JudgeSpec:
        """A spec from a YAML path or the name of a shipped spec (``default``)."""
        path = Path(spec)
        if path.suffix in (".yaml", ".yml") or path.exists():
            if not path.is_file():
                raise ConfigError(f"judge spec {spec}: no such file")
            return cls.from_yaml(path)
        shipped = SHIPPED_SPECS / f"{spec}.yaml"
        if not shipped.is_file():
            raise ConfigError(f"unknown judge {str(spec)!r}: use one of {list_judges()} or a path to a .yaml spec")
        return cls.from_yaml(shipped)

    def with_overrides(self, **values: Any) -> JudgeSpec:
        """A copy with fields replaced (``None`` values are ignored); ``engine_options`` are merged.

        A new ``model`` also drops what the spec says about its old model (``tasks``,
        ``max_answer_tokens``, ``max_prompt_tokens``) unless those are given too: they describe how
        that model was trained. Switching to the ``openai`` engine drops a local model too, and
        naming an engine on a reward judge's spec makes it a generative judge on that engine.

        Raises:
            ConfigError: an unknown field or a bad value.
        """
        data = self.model_dump()
        new_model = values.get("model")
        not_reward_model = bool(new_model) and not (Path(str(new_model)) / "reward_judge.json").is_file()
        if self.kind is JudgeKind.reward and values.get("kind") is None and (values.get("engine") or not_reward_model):
            # naming an engine, or a model that is not a reward judge, asks for a generative judge
            values = {**values, "kind": JudgeKind.generative}
            if values.get("model") is None:
                values["model"] = ""  # the engine's own default model, not the reward judge's folder
        if values.get("engine") == "openai" != self.engine and values.get("model") is None:
            values = {**values, "model": ""}  # a served model has a name, not the local path of the old one
        if values.get("model") not in (None, self.model):
            for key in _TRAINED_FOR:
                data[key] = [] if key == "tasks" else None
        for key, value in values.items():
            if value is None:
                continue
            if key == "engine_options":
                data[key] = {**data[key], **value}
            else:
                data[key] = value
        return JudgeSpec.from_dict(data, where="judge options")


_TRAINED_FOR = ("tasks", "max_answer_tokens", "max_prompt_tokens")


def list_judges() -> list[str]:
    """Names of the judge specs shipped with judgeforge."""
    return sorted(p.stem for p in SHIPPED_SPECS.glob("*.yaml"))


def _read(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    """A spec file's fields with its ``include`` chain resolved (the including file wins)."""
    path = path.resolve()
    if path in seen:
        raise ConfigError(f"{path}: include cycle ({' -> '.join(map(str, (*seen, path)))})")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: cannot read judge spec: {e}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a judge spec is a mapping of fields, got {type(data).__name__}")
    model = data.get("model")
    if isinstance(model, str) and model.startswith("."):
        data["model"] = str((path.parent / model).resolve())
    include = data.pop("include", None)
    if include is None:
        return data
    target = path.parent / str(include)
    if not target.is_file():
        target = SHIPPED_SPECS / f"{include}.yaml"
    if not target.is_file():
        raise ConfigError(f"{path}: include {include!r} is neither a file next to it nor a shipped judge")
    base = _read(target, (*seen, path))
    options = {**base.get("engine_options", {}), **data.get("engine_options", {})}
    merged = {**base, **data}
    if options:
        merged["engine_options"] = options
    return merged
