"""The Judge: one object built from a :class:`JudgeSpec` that the CLI, the Python API, the
benchmarks and the server all judge through.

>>> from judgeforge import Judge
>>> with Judge.from_spec("default", mode="fast") as judge:          # doctest: +SKIP
...     verdict = judge.judge_pair("2+2?", "4", "5")
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from judgeforge.engines.base import Engine
from judgeforge.errors import ConfigError, DataError
from judgeforge.judging.job import CacheHits, RunSummary, judge_file
from judgeforge.judging.run import (
    JudgeConfig,
    judge_samples,
    plan_prompts,
    template_for,
    text_only_warning,
    views,
    without_idle_sampling,
)
from judgeforge.judging.spec import JudgeKind, JudgeSpec
from judgeforge.prompts.render import get_template, prompt_text
from judgeforge.prompts.truncate import HasTokenizer
from judgeforge.records import JudgeSample, Prompt, Verdict

if TYPE_CHECKING:
    from judgeforge.judging.cascade import Cascade

logger = logging.getLogger(__name__)

PROMPT_HEADROOM = 512
"""Prompt budget of a judgeforge-trained judge: its answers (at most ``max_answer_tokens`` each, two
per pair) plus this much for the instructions, the question and the chat template."""


class RewardBackend(Protocol):
    """What ``judging/reward.py``'s ``load_reward_judge`` returns."""

    def judge(self, samples: Sequence[JudgeSample], config: JudgeConfig) -> list[Verdict | DataError]: ...

    def close(self) -> None: ...


class Judge:
    """A judge: a model, an engine and the way it is prompted, from a :class:`JudgeSpec`.

    The engine (and the model) load on first use, so a judge can be built, checked and described
    without waiting for a model; :meth:`load` loads it now.

    Args:
        spec: the judge spec.
        engine: an engine to use instead of creating the spec's (tests, a server's mock mode).

    Raises:
        ConfigError: an unknown template, engine option or judge kind; found before any model loads.
    """

    def __init__(self, spec: JudgeSpec, engine: Engine | None = None) -> None:
        self.spec = spec
        self._engine = engine
        self._reward: RewardBackend | None = None
        self._warned: set[str] = set()
        self.config = JudgeConfig(
            template_family=spec.template_family.value,
            template=spec.template,
            with_reference=spec.with_reference,
            mode=spec.mode.value,
            max_new_tokens=spec.max_new_tokens,
            swap=spec.swap,
            pointwise=spec.pointwise,
            chunk_size=spec.chunk_size or max((spec.batch_size or 8) * 4, 16) * spec.workers,
            max_answer_tokens=self._answer_tokens(),
            temperature=spec.temperature,
            seed=spec.seed,
        )
        if spec.kind is JudgeKind.reward:
            if spec.temperature > 0:
                raise ConfigError(
                    f"judge {spec.name!r}: a reward judge does not sample (temperature must be 0); "
                    "its verdict probabilities are in each result's `probs`"
                )
            if importlib.util.find_spec("judgeforge.judging.reward") is None:
                raise ConfigError(f"judge {spec.name!r}: kind 'reward' needs judgeforge.judging.reward, not installed")
            if not spec.model:
                raise ConfigError(f"judge {spec.name!r}: a reward judge needs a model")
            self._reward_options = self._typed_reward_options()
            return
        for template in [spec.template] if spec.template else self._family_templates():
            get_template(template)  # an unknown template fails here, not after the model loads
        self._engine_name, self._engine_kwargs = self._engine_arguments()

    def _typed_reward_options(self) -> dict[str, Any]:
        """``-M`` options of a reward judge, checked and typed by its constructor (text from the
        command line becomes numbers and booleans) before the model loads."""
        from judgeforge.engines.options import constructor_parameters, typed_options

        params, extra = constructor_parameters(importlib.import_module("judgeforge.judging.reward").RewardJudge)
        params.pop("model")  # the spec's model
        return typed_options(
            params, extra, dict(self.spec.engine_options), "a reward judge", f"judge {self.spec.name!r}"
        )

    @classmethod
    def from_spec(
        cls, spec: JudgeSpec | str | Path = "default", *, engine_instance: Engine | None = None, **overrides: Any
    ) -> Judge:
        """Build a judge from a spec, a YAML path or a shipped name, with fields overridden.

        Args:
            spec: a :class:`JudgeSpec`, a path to a YAML spec, or a shipped name (``default``, ``mock``).
            engine_instance: an engine to use instead of creating the spec's.
            **overrides: spec fields to replace (``mode="fast"``, ``engine_options={...}``); ``None`` is ignored.

        Returns:
            The judge (its model not loaded yet).
        """
        loaded = spec if isinstance(spec, JudgeSpec) else JudgeSpec.load(spec)
        return cls(loaded.with_overrides(**overrides) if overrides else loaded, engine=engine_instance)

    # > the prompt budget: decided here and nowhere else

    def _model(self) -> str | None:
        from judgeforge.defaults import default_model

        if not self.spec.model and self.spec.engine in ("hf", "vllm"):
            return default_model()
        if not self.spec.model and self.spec.engine == "openai":
            raise ConfigError(f"judge {self.spec.name!r}: the openai engine needs a model name (--model NAME)")
        return self.spec.model or None

    def _answer_tokens(self) -> int | None:
        from judgeforge.defaults import trained_answer_tokens

        model = self._model()
        return self.spec.max_answer_tokens or (trained_answer_tokens(model) if model else None)

    def prompt_budget(self) -> int | None:
        """The longest prompt the judge is given, in tokens (longer ones have their answers cut).

        The spec's ``max_prompt_tokens``; else, for a judge trained with answers cut to ``n`` tokens,
        ``2 n + 512`` (what it saw in training); else ``None``: the engine's own limit (context - 512).
        """
        if self.spec.max_prompt_tokens:
            return self.spec.max_prompt_tokens
        answer = self._answer_tokens()
        return 2 * answer + PROMPT_HEADROOM if answer else None

    def _engine_arguments(self) -> tuple[str, dict[str, Any]]:
        from judgeforge.engines.options import engine_parameters, typed_engine_options

        name = self.spec.engine
        accepts, _ = engine_parameters(name)
        kwargs = typed_engine_options(name, dict(self.spec.engine_options), where=f"judge {self.spec.name!r}")
        for key, value in (
            ("model", self._model()),
            ("batch_size", self.spec.batch_size),
            ("max_prompt_tokens", self.prompt_budget()),
        ):
            if value is not None and key in accepts:
                kwargs.setdefault(key, value)
        if self.spec.workers > 1:
            ray = {"engine": name, "workers": self.spec.workers, "gpus_per_worker": self.spec.gpus_per_worker}
            return "ray", {**ray, **kwargs}
        return name, kwargs

    def _family_templates(self) -> list[str]:
        family = self.spec.template_family.value
        return [family] if family == "judgelm" else [f"{family}-{kind}" for kind in ("single", "pair", "multi")]

    # > the engine

    @property
    def engine(self) -> Engine:
        """The engine, created (and its model loaded) on first use."""
        if self.spec.kind is JudgeKind.reward:
            raise ConfigError(f"judge {self.spec.name!r} is a reward model: it has no generation engine")
        if self._engine is None:
            from judgeforge.engines.registry import create_engine

            logger.info("loading engine %s with %s", self._engine_name, self._engine_kwargs)
            self._engine = create_engine(self._engine_name, **self._engine_kwargs)
        return self._engine

    @property
    def usage(self) -> Any:
        """What the engine has spent so far (an API engine's requests, cache hits, tokens and cost:
        :class:`judgeforge.engines.openai_http.Usage`); None before it loads or where it keeps no count."""
        return getattr(self._engine, "usage", None)

    def _reward_backend(self) -> RewardBackend:
        if self._reward is None:
            module = importlib.import_module("judgeforge.judging.reward")
            self._reward = module.load_reward_judge(self.spec.model, **self._reward_options)
        return self._reward

    def load(self) -> Judge:
        """Load the model now (instead of on the first call); returns the judge."""
        if self.spec.kind is JudgeKind.reward:
            self._reward_backend()
        else:
            _ = self.engine
        return self

    def describe(self) -> str:
        """One line: the judge's name, engine and model."""
        model = self.spec.model if self.spec.kind is JudgeKind.reward else self._engine_kwargs.get("model")
        model = model or "no model"
        return f"judge {self.spec.name!r} ({self.spec.kind.value}): engine {self.spec.engine!r}, model {model}"

    # > judging

    def task_warnings(self, sample: JudgeSample) -> list[str]:
        """Why this judge may not be fit to judge a sample: it was not trained for the templates it needs.

        Returns:
            One message per template outside the spec's ``tasks`` (none when ``tasks`` is empty).
        """
        if not self.spec.tasks:
            return []
        if self.spec.kind is JudgeKind.reward:
            used: set[str] = {sample.kind}
        else:
            used = {template_for(view, self.config).id for view, _, _ in views(sample, self.config)}
        out = []
        for task in sorted(used - set(self.spec.tasks)):
            how = (
                "pointwise grading" if self.config.pointwise and sample.kind != "single" else f"a {sample.kind} sample"
            )
            message = (
                f"judge {self.spec.name!r} was trained for {self.spec.tasks}, not {task!r} ({how}): "
                "its verdicts may not mean much"
            )
            if message not in self._warned:
                self._warned.add(message)
                logger.warning(message)
            out.append(message)
        return out

    def judge(self, samples: Sequence[JudgeSample]) -> list[Verdict | DataError]:
        """Judge samples in one batch.

        Args:
            samples: the samples.

        Returns:
            One item per sample, in order: its :class:`Verdict` (with ``warnings`` when the judge
            works outside its tasks), or the :class:`DataError` that kept it from being judged.
        """
        if not samples:
            return []
        if self.spec.kind is JudgeKind.reward:
            results = self._reward_backend().judge(samples, self.config)
        else:
            results = judge_samples(samples, self.engine, self.config)
        out: list[Verdict | DataError] = []
        for sample, result in zip(samples, results):
            warnings = self.task_warnings(sample)
            if self.spec.kind is JudgeKind.reward and sample.image is not None:
                warnings.append(text_only_warning("reward"))
            if isinstance(result, Verdict):
                for note in result.warnings + warnings:  # logged once per run, kept on every record
                    self._warn_once(note)
                if warnings:
                    result = result.model_copy(update={"warnings": [*result.warnings, *warnings]})
            out.append(result)
        return out

    def _warn_once(self, message: str) -> None:
        if message not in self._warned:
            self._warned.add(message)
            logger.warning(message)

    def judge_pair(self, question: str, answer_a: str, answer_b: str, reference: str | None = None) -> Verdict:
        """Judge one pair of answers (for notebooks).

        Raises:
            DataError: the pair cannot be judged (e.g. the question alone is over the prompt limit).
        """
        sample = JudgeSample(id="pair", question=question, answers=[answer_a, answer_b], reference=reference)
        result = self.judge([sample])[0]
        if isinstance(result, DataError):
            raise result
        return result

    def judge_file(
        self,
        input_path: str | Path,
        output_path: str | Path,
        *,
        resume: bool = False,
        retry_failed: bool = False,
        limit: int | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> RunSummary:
        """Judge a JSONL file into an output JSONL file, one record per input record (see :func:`judge_file`).

        Args:
            input_path: judge samples (canonical or JudgeLM field names).
            output_path: where to write; must not exist unless ``resume``.
            resume: continue an interrupted run into the same output (same input, same :meth:`identity`).
            retry_failed: on resume, also judge ``parse_failed`` records again (``engine_error`` ones always are).
            limit: judge only the first ``limit`` records.
            progress: called after each chunk with (records done, records to do).

        Returns:
            What the run did.
        """
        return judge_file(
            input_path,
            output_path,
            None,
            self.config,
            resume=resume,
            retry_failed=retry_failed,
            limit=limit,
            progress=progress,
            settings=self.identity(),
            judge_fn=self.judge,
            usage=CacheHits(self),
        )

    def cascade(self, second: Judge | JudgeSpec | str | Path, below: float) -> Cascade:
        """This judge as the first of a confidence cascade: verdicts less confident than ``below`` (and
        failures) go to ``second`` (see :class:`~judgeforge.judging.cascade.Cascade`).

        Args:
            second: the stronger judge: a :class:`Judge`, a spec, a YAML path or a shipped name;
                checked now, its model loaded only when a first sample is escalated.
            below: the confidence threshold, in [0, 1].

        Returns:
            The cascade, with the same ``judge``/``judge_file`` interface as a judge.
        """
        from judgeforge.judging.cascade import Cascade

        return Cascade(self, second if isinstance(second, Judge) else Judge.from_spec(second), below)

    def identity(self) -> dict[str, Any]:
        """What decides this judge's output, compared by ``--resume``: the spec with the model and prompt
        budget resolved, without what only changes speed (batching, workers, request concurrency)."""
        speed_only = {
            "batch_size", "max_batch_tokens", "row_batch_tokens", "max_row_tokens",
            "concurrency", "max_retries", "timeout_s", "retry_delay_s",
        }  # fmt: skip
        spec = without_idle_sampling(
            self.spec.model_dump(
                mode="json", exclude={"name", "description", "batch_size", "chunk_size", "workers", "gpus_per_worker"}
            )
        )
        spec["engine_options"] = {k: v for k, v in spec["engine_options"].items() if k not in speed_only}
        if self.spec.kind is not JudgeKind.reward:
            spec |= {"model": self._engine_kwargs.get("model"), "max_prompt_tokens": self.prompt_budget()}
        else:  # a retrained head (or a grade head added) in the same folder is another judge
            spec["model_files_sha256"] = _folder_fingerprint(self.spec.model)
        return spec

    def prompts(self, samples: Sequence[JudgeSample]) -> list[list[str] | DataError]:
        """The exact text of each prompt each sample becomes (both orders with swap), without judging.

        Formatted with the engine tokenizer's chat template when it has one (hf, vllm); otherwise
        the messages are shown with their roles, as a remote server will receive them.
        """
        if self.spec.kind is JudgeKind.reward:
            raise ConfigError(f"judge {self.spec.name!r} is a reward model: it has no prompt to print")
        planned, failures = plan_prompts(samples, self.engine, self.config)
        tokenizer = self.engine.tokenizer if isinstance(self.engine, HasTokenizer) else None
        out: list[list[str] | DataError] = [failures[i] if i in failures else [] for i in range(len(samples))]
        for p in planned:
            texts = out[p.sample]
            assert isinstance(texts, list)
            texts.append(_text(p.prompt, tokenizer))
        return out

    # > lifecycle

    def close(self) -> None:
        """Free the engine (or reward model); the judge loads it again if used after this."""
        if self._engine is not None:
            self._engine.close()
            self._engine = None
        if self._reward is not None:
            self._reward.close()
            self._reward = None

    def __enter__(self) -> Judge:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


def _text(prompt: Prompt, tokenizer: Any) -> str:
    if tokenizer is not None or not prompt.use_chat_template:
        return prompt_text(prompt, tokenizer)
    return "\n".join(f"<{m.role}>\n{m.content}" for m in prompt.messages)


def _folder_fingerprint(model: str | None) -> str:
    """SHA-256 (16 hex digits) of a reward judge's files, names and bytes; ``missing`` when there is no such folder."""
    import hashlib

    from judgeforge.defaults import reward_judge_folder

    folder = reward_judge_folder(model)
    if not folder.is_dir():
        return "missing"
    digest = hashlib.sha256()
    for f in sorted(p for p in folder.iterdir() if p.is_file()):
        digest.update(f.name.encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()[:16]
