"""Judging: samples -> prompts -> engine -> parsed verdicts (see ``job.py`` for the file job around it)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from judgeforge.data.augment import swap as swap_answers
from judgeforge.engines.base import Engine, GenerationParams
from judgeforge.errors import ConfigError, DataError
from judgeforge.judging.combine import combine as _combine
from judgeforge.judging.combine import combine_pointwise as _combine_pointwise
from judgeforge.judging.combine import score_probs, to_judgment
from judgeforge.prompts.render import PromptTemplate, default_template_id, get_template, render_prompt
from judgeforge.prompts.truncate import Codec, codec_for, truncate
from judgeforge.records import DEFAULT_SCALE, Generation, JudgeSample, Judgment, Prompt, Verdict

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class JudgeConfig:
    """How to judge: prompting, decoding and the batching of a file job."""

    template_family: str = "judgeforge"
    """``judgeforge`` (``judgeforge-pair``/``-single``/``-multi`` by sample kind) or ``judgelm``."""
    template: str | None = None
    """A template id or YAML path that overrides ``template_family`` for every sample."""
    with_reference: bool = True
    """Show the sample's reference answer to the judge when it has one."""
    mode: Literal["fast", "full"] = "full"
    """``fast``: scores only (stop at the first newline, JudgeLM's fast eval); ``full``: with explanation."""
    max_new_tokens: int = 256
    """Generation budget in full mode (fast mode needs only a few tokens)."""
    swap: bool = False
    """Also judge with the answers in reversed order (pairs only) and combine both orders."""
    chunk_size: int = 64
    """Samples per engine call and per write to the output file (what a kill can lose and redo)."""
    pointwise: bool = False
    """Grade each answer of a pair or multi-answer sample on its own (single-answer template) and
    compare the grades: no answer order is ever shown, so no position bias can arise (``swap`` is moot)."""
    max_answer_tokens: int | None = None
    """Cut every answer and reference to this many tokens (head and tail, :func:`truncate`) before
    rendering, as ``judgeforge train`` did: the judge then sees the inputs it was trained on. Prompts
    still over the engine's ``max_prompt_tokens`` are cut further."""
    temperature: float = 0.0
    """Sampling temperature; 0 decodes greedily."""
    seed: int = 0
    """Random seed of sampling when ``temperature > 0``."""

    def __post_init__(self) -> None:
        if self.mode not in ("fast", "full"):
            raise ConfigError(f"mode must be 'fast' or 'full', got {self.mode!r}")
        if self.chunk_size < 1:
            raise ConfigError(f"chunk_size must be >= 1, got {self.chunk_size}")
        if self.max_answer_tokens is not None and self.max_answer_tokens < 2:
            raise ConfigError(f"max_answer_tokens must be >= 2, got {self.max_answer_tokens}")
        if self.temperature < 0:
            raise ConfigError(f"temperature must be >= 0, got {self.temperature}")

    def params(self, output: str) -> GenerationParams:
        """Decoding settings for a template's output kind (``scores`` or ``verdict``)."""
        # first-token log-probabilities are nearly free and give verdict templates their probabilities
        if self.mode == "full":
            return GenerationParams(
                max_new_tokens=self.max_new_tokens, top_logprobs=20, temperature=self.temperature, seed=self.seed
            )
        # fast mode stops at the end of the first line; a verdict is one token and needs no more
        return GenerationParams(
            max_new_tokens=1 if output == "verdict" else 16,
            stop=("\n",),
            top_logprobs=20,
            temperature=self.temperature,
            seed=self.seed,
        )


def without_idle_sampling(settings: dict[str, Any]) -> dict[str, Any]:
    """Settings with ``temperature`` and ``seed`` left out when decoding is greedy: the seed then plays no
    part, and outputs written before judges could sample still resume."""
    if settings.get("temperature"):
        return settings
    return {k: v for k, v in settings.items() if k not in ("temperature", "seed")}


def cut_answers(sample: JudgeSample, max_tokens: int, codec: Codec) -> JudgeSample:
    """The sample with each answer and its reference cut to ``max_tokens`` tokens (head and tail)."""
    return sample.model_copy(
        update={
            "answers": [truncate(a, max_tokens, codec) for a in sample.answers],
            "reference": truncate(sample.reference, max_tokens, codec) if sample.reference else sample.reference,
        }
    )


def _fit(
    sample: JudgeSample, template: PromptTemplate, prompt: Prompt, n_tokens: int, engine: Engine, codec: Codec
) -> tuple[Prompt, bool]:
    """Cut the answers (and reference) of a prompt that is too long; the instructions stay whole.

    Every answer is cut to the same number of tokens: the largest that fits, found by bisection
    (token counts of the rendered prompt are what decide, so a chat template's tokens count too).
    """
    limit = engine.max_prompt_tokens
    if n_tokens <= limit:
        return prompt, False
    bare = sample.model_copy(
        update={"answers": [""] * len(sample.answers), "reference": "" if sample.reference is not None else None}
    )
    fixed = engine.count_tokens([render_prompt(bare, template)])[0]
    if fixed + 8 * len(sample.answers) > limit:
        raise DataError(f"the question and instructions alone take {fixed} tokens, over the model's limit of {limit}")
    texts = [*sample.answers, sample.reference or ""]
    low, high, best = 2, max(len(codec.encode(t)) for t in texts) - 1, None
    while low <= high:
        mid = (low + high) // 2
        candidate = render_prompt(cut_answers(sample, mid, codec), template)
        if engine.count_tokens([candidate])[0] <= limit:
            best, low = candidate, mid + 1
        else:
            high = mid - 1
    if best is None:
        raise DataError(f"could not shorten the answers to fit {limit} tokens")
    return best, True


def template_for(sample: JudgeSample, config: JudgeConfig) -> PromptTemplate:
    """The template a sample (or a pointwise view of it) is rendered with under ``config``."""
    return get_template(config.template or default_template_id(sample, config.template_family))


def views(sample: JudgeSample, config: JudgeConfig) -> list[tuple[JudgeSample, bool, int | None]]:
    """What the judge is shown: ``(sample, swapped, answer)`` per order, or per answer when pointwise.

    Args:
        sample: the sample.
        config: the judging settings (``with_reference``, ``pointwise``, ``swap``).

    Returns:
        One view per prompt the sample becomes; ``answer`` is the 1-based answer a pointwise view grades.
    """
    if not config.with_reference and sample.reference is not None:
        sample = sample.model_copy(update={"reference": None})
    if config.pointwise and sample.kind != "single":
        blank = {"label": None, "scores": None, "judgment": None, "explanation": None}
        return [
            (sample.model_copy(update={"id": f"{sample.id}#{k}", "answers": [a], **blank}), False, k)
            for k, a in enumerate(sample.answers, start=1)
        ]
    shown: list[tuple[JudgeSample, bool, int | None]] = [(sample, False, None)]
    if config.swap and sample.kind == "pair":
        shown.append((swap_answers(sample), True, None))
    return shown


@dataclass(frozen=True)
class PlannedPrompt:
    """One prompt a sample becomes, and what it stands for."""

    sample: int
    """Index of the sample in the batch."""
    prompt: Prompt
    """The rendered (and, if needed, shortened) prompt."""
    output: str
    """The template's output kind: ``scores`` or ``verdict``."""
    swapped: bool
    """The answers are shown in reversed order."""
    truncated: bool
    """Answers were cut (to ``max_answer_tokens`` or to fit the engine's prompt limit)."""
    answer: int | None
    """Pointwise: the answer it grades alone."""
    scale: tuple[float, float] = DEFAULT_SCALE
    """The scale the judge is asked to grade on: the sample's when the template shows it, else 1-10."""
    warning: str | None = None
    """How the sample's judging differs from what was asked (e.g. answers scored one at a time)."""


_Rendered = tuple[int, JudgeSample, PromptTemplate, bool, int | None, bool, Prompt]


def _render_view(
    i: int, view: JudgeSample, swapped: bool, answer: int | None, config: JudgeConfig, codec: Codec
) -> _Rendered:
    """One view rendered with its template; raises :class:`DataError` when the template cannot show it."""
    cut = cut_answers(view, config.max_answer_tokens, codec) if config.max_answer_tokens else view
    template = template_for(cut, config)
    if cut.kind not in template.kinds:  # e.g. a forced pair template: this sample only fails
        raise DataError(f"template {template.id!r} judges {'/'.join(template.kinds)} samples, not {cut.kind!r}")
    if cut.history and not template.shows_history:
        # JudgeLM's prompt is kept byte for byte, so it has no place for earlier turns; dropping
        # them silently would grade the last answer out of context
        raise DataError(
            f"template {template.id!r} cannot show the {len(cut.history)} earlier turns of this conversation; "
            "judge multi-turn samples with --template-family judgeforge"
        )
    return (i, cut, template, swapped, answer, cut != view, render_prompt(cut, template))


def plan_prompts(
    samples: Sequence[JudgeSample], engine: Engine, config: JudgeConfig
) -> tuple[list[PlannedPrompt], dict[int, DataError]]:
    """The exact prompts a batch of samples becomes (what :func:`judge_samples` sends to the engine).

    A multi-answer sample whose prompt is over the engine's limit is graded one answer at a time
    (pointwise, with a warning) when the single-answer template of the family takes it, instead of
    cutting every answer short; otherwise its answers are cut as a pair's are.

    Args:
        samples: the samples.
        engine: the engine whose token counts and prompt limit decide the truncation.
        config: the judging settings.

    Returns:
        The planned prompts, in sample order, and the samples that cannot be judged, by index.
    """
    codec = codec_for(engine)
    failures: dict[int, DataError] = {}
    rendered: list[_Rendered] = []
    for i, s in enumerate(samples):
        try:
            rendered += [_render_view(i, v, sw, a, config, codec) for v, sw, a in views(s, config)]
        except DataError as e:
            failures[i] = e
    rendered = [r for r in rendered if r[0] not in failures]
    counts = engine.count_tokens([p for *_, p in rendered])
    fallback = _pointwise_fallback(samples, rendered, counts, engine, config, codec)
    planned: list[PlannedPrompt] = []
    for (i, view, template, swapped, answer, was_cut, prompt), n in zip(rendered, counts):
        if i in fallback:
            continue
        try:
            prompt, truncated = _fit(view, template, prompt, n, engine, codec)
        except DataError as e:
            failures[i] = e
            continue
        scale = view.scale if template.asks_scale else DEFAULT_SCALE
        planned.append(PlannedPrompt(i, prompt, template.output, swapped, truncated or was_cut, answer, scale))
    for i, (items, warning) in fallback.items():
        for (_, view, template, _, answer, was_cut, prompt), n in items:
            try:
                prompt, truncated = _fit(view, template, prompt, n, engine, codec)
            except DataError as e:
                failures[i] = e
                break
            scale = view.scale if template.asks_scale else DEFAULT_SCALE
            planned.append(
                PlannedPrompt(i, prompt, template.output, False, truncated or was_cut, answer, scale, warning)
            )
    planned.sort(key=lambda p: p.sample)  # stable: each sample's prompts keep their order
    return [p for p in planned if p.sample not in failures], failures


def _pointwise_fallback(
    samples: Sequence[JudgeSample],
    rendered: list[_Rendered],
    counts: list[int],
    engine: Engine,
    config: JudgeConfig,
    codec: Codec,
) -> dict[int, tuple[list[tuple[_Rendered, int]], str]]:
    """Multi-answer samples over the prompt limit, re-rendered one answer per prompt, with the warning."""
    over = {r[0] for r, n in zip(rendered, counts) if r[1].kind == "multi" and n > engine.max_prompt_tokens}
    out: dict[int, tuple[list[tuple[_Rendered, int]], str]] = {}
    pointwise = dataclasses.replace(config, pointwise=True)
    for i in sorted(over):
        n = next(c for r, c in zip(rendered, counts) if r[0] == i)
        try:
            items = [_render_view(i, v, sw, a, pointwise, codec) for v, sw, a in views(samples[i], pointwise)]
        except DataError:
            continue  # the family has no single-answer template (judgelm): cut the answers instead
        warning = (
            f"the {len(samples[i].answers)} answers do not fit the prompt limit of {engine.max_prompt_tokens} "
            f"tokens together ({n} tokens): each answer was graded on its own (pointwise)"
        )
        out[i] = (list(zip(items, engine.count_tokens([r[-1] for r in items]))), warning)
    return out


def judge_samples(samples: Sequence[JudgeSample], engine: Engine, config: JudgeConfig) -> list[Verdict | DataError]:
    """Judge samples in one engine call (both orders when ``config.swap``).

    Args:
        samples: the samples.
        engine: any :class:`Engine`.
        config: the judging settings.

    Returns:
        One item per sample, in order: its :class:`Verdict`, or the :class:`DataError` that kept
        it from being judged (e.g. instructions longer than the context). A verdict's ``warnings``
        say when a multi-answer sample was graded pointwise to fit, or an image was not shown.
    """
    jobs, failures = plan_prompts(samples, engine, config)
    generations: list[Generation | None] = [None] * len(jobs)
    for output in sorted({j.output for j in jobs}):  # one engine call per kind of output (they decode differently)
        idx = [k for k, j in enumerate(jobs) if j.output == output]
        for k, generated in zip(idx, engine.generate([jobs[k].prompt for k in idx], config.params(output))):
            generations[k] = generated
    per_sample: dict[int, list[tuple[Judgment, PlannedPrompt]]] = {}
    for job, gen in zip(jobs, generations):
        assert gen is not None
        if job.answer is None:
            judgment = to_judgment(gen, len(samples[job.sample].answers), job.swapped, job.output, job.scale)
        else:
            judgment = to_judgment(gen, 1, False, job.output, job.scale).model_copy(
                update={"answer": job.answer, "score_probs": score_probs(gen.first_token_logprobs, *job.scale)}
            )
        per_sample.setdefault(job.sample, []).append((judgment, job))
    image_note = None if accepts_images(engine) else text_only_warning(type(engine).__name__)
    out: list[Verdict | DataError] = []
    for i, s in enumerate(samples):
        if i in failures:
            out.append(failures[i])
            continue
        js, truncated = [j for j, _ in per_sample[i]], any(p.truncated for _, p in per_sample[i])
        pointwise = js[0].answer is not None
        verdict = _combine_pointwise(s.id, js, truncated) if pointwise else _combine(s.id, js, truncated)
        notes = list(dict.fromkeys(p.warning for _, p in per_sample[i] if p.warning))
        if s.image is not None and (image_note or not all(p.prompt.use_chat_template for _, p in per_sample[i])):
            notes.append(image_note or text_only_warning(f"{type(engine).__name__} (raw completion prompt)"))
        scale = per_sample[i][0][1].scale
        update = {"warnings": [*verdict.warnings, *notes], "score_scale": None if scale == DEFAULT_SCALE else scale}
        out.append(verdict.model_copy(update=update))
    return out


def text_only_warning(engine: str) -> str:
    """The note on a sample whose image an engine cannot show the judge."""
    return f"the sample's image was not shown to the judge: engine {engine} reads text only"


@runtime_checkable
class ImageEngine(Protocol):
    """An engine that can send a prompt's ``image`` to the model (the OpenAI-compatible engine)."""

    accepts_images: bool
    """Whether this engine instance sends images (a vision model behind it)."""


def accepts_images(engine: Engine) -> bool:
    """Whether an engine shows prompts' images to the model; text-only engines ignore them."""
    return isinstance(engine, ImageEngine) and engine.accepts_images
