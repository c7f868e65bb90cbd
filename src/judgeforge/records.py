"""Typed records: one per concept. Everything in judgeforge may import this module.

Labels follow JudgeLM and PandaLM: ``0`` is a tie, ``k`` (1-based) means answer ``k`` is best.
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["system", "user", "assistant"]
DEFAULT_SCALE: tuple[float, float] = (1.0, 10.0)
"""The scale judges grade on unless a sample or template says otherwise (JudgeLM's)."""
Status = Literal["ok", "parse_failed", "bad_input", "engine_error"]


class Message(BaseModel):
    """One chat message."""

    model_config = ConfigDict(frozen=True)

    role: Role
    """Who speaks: ``system``, ``user`` or ``assistant``."""
    content: str
    """The message text."""


class JudgeSample(BaseModel):
    """A question, one or more answers to judge, and optional gold information.

    One answer is single-answer grading, two is pairwise judging, more is multi-answer grading.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    """Unique id of the sample within its file (``question_id`` on disk)."""
    question: str
    """The user instruction the answers respond to (the last user turn for conversations)."""
    answers: list[str] = Field(min_length=1)
    """The answers, in the order they are shown to the judge."""
    history: list[Message] = Field(default_factory=list)
    """Earlier turns of a multi-turn conversation, oldest first; empty for one-turn samples."""
    reference: str | None = None
    """A reference answer the judge may compare against."""
    label: int | None = None
    """Gold verdict: 0 tie, k = answer k best (1-based)."""
    scores: list[float] | None = None
    """Gold scores, one per answer, where the source has real ones."""
    judgment: str | None = None
    """A teacher judgment in JudgeLM's format (``"s1 s2\\nexplanation"``), for training."""
    explanation: str | None = None
    """A teacher's free-text rationale without scores."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    """Anything else from the source, kept verbatim."""
    score_scale: tuple[float, float] | None = None
    """The scale ``(low, high)`` gold scores are on and the judge should grade on (``None``: 1-10)."""
    rubric: str | None = None
    """A grading rubric for this sample (Prometheus style), shown by templates that render one."""
    image: str | None = None
    """Absolute path of an image the question refers to (multimodal answers, MM-Vet style); sent to
    engines that accept images, ignored with a warning by text-only ones."""

    @property
    def scale(self) -> tuple[float, float]:
        """The grading scale: ``score_scale``, or JudgeLM's 1-10."""
        return self.score_scale or DEFAULT_SCALE

    @property
    def kind(self) -> Literal["single", "pair", "multi"]:
        """``single``, ``pair`` or ``multi`` by the number of answers."""
        n = len(self.answers)
        return "single" if n == 1 else "pair" if n == 2 else "multi"


class Prompt(BaseModel):
    """A rendered judge prompt, ready for an engine."""

    model_config = ConfigDict(frozen=True)

    sample_id: str
    """The id of the sample it was rendered from."""
    messages: list[Message]
    """The conversation to send."""
    template_id: str
    """The template that produced it."""
    use_chat_template: bool = True
    """Format with the tokenizer's chat template; if false, join the message texts with a newline
    (raw completion prompts such as JudgeLM's)."""
    output: Literal["scores", "verdict", "reward"] = "scores"
    """What the template asks the judge to write first: ``scores`` (one per answer) or a ``verdict``."""
    n_answers: int = 1
    """How many answers the prompt shows (the number of scores a ``scores`` judgment holds)."""
    image: str | None = None
    """Path of an image that goes with the user message (engines that accept images send it)."""
    score_scale: tuple[float, float] | None = None
    """The scale the prompt asks grades on, when not 1-10 (the sample's ``score_scale``)."""


class Generation(BaseModel):
    """What an engine produced for one prompt."""

    sample_id: str
    """The id of the prompt's sample."""
    text: str
    """The generated text, without the prompt."""
    finish_reason: Literal["stop", "length", "error"] = "stop"
    """Why generation ended; ``error`` means the engine failed for this prompt (see ``error``)."""
    num_prompt_tokens: int = 0
    """Tokens in the prompt."""
    num_tokens: int = 0
    """Tokens generated."""
    latency_s: float = 0.0
    """Wall time of the batch this prompt ran in, in seconds."""
    error: str | None = None
    """The engine's error message when ``finish_reason`` is ``error``."""
    first_token_logprobs: dict[str, float] | None = None
    """Log-probabilities of the most likely first tokens (when asked for with ``top_logprobs``)."""


class Judgment(BaseModel):
    """A judge's verdict on one sample in one answer order.

    A failure is recorded in ``parse_error`` with ``scores`` and ``label`` left ``None``;
    it is never turned into a tie.
    """

    sample_id: str
    """The id of the judged sample."""
    scores: list[float] | None = None
    """One score per answer, in the order the answers had in the *original* sample."""
    label: int | None = None
    """Verdict derived from ``scores`` (0 tie, k = answer k best), in the original order."""
    probs: dict[int, float] | None = None
    """Probability of each verdict (0 tie, 1, 2) in the original order, read from the judge's
    first-token distribution (verdict templates only)."""
    raw: str = ""
    """The judge's raw output."""
    parse_error: str | None = None
    """Why ``raw`` could not be parsed; ``None`` on success."""
    swapped: bool = False
    """The answers were shown to the judge in reversed order."""
    answer: int | None = None
    """Pointwise judging: the answer (1-based) this judgment graded on its own; ``scores`` then
    holds its one score and ``score_probs`` the judge's distribution over that score."""
    score_probs: dict[int, float] | None = None
    """Pointwise judging: probability of each integer score, from the judge's first-token distribution."""


class MetricReport(BaseModel):
    """Judge-quality metrics against gold labels, with the settings that produced them."""

    n: int
    """Records compared."""
    n_parse_failed: int
    """Records whose prediction could not be parsed (counted as configured in ``config``)."""
    metrics: dict[str, float | None]
    """Metric name to value; fractions in [0, 1]."""
    confusion: list[list[int]] = Field(default_factory=list)
    """Confusion matrix, rows gold, columns predicted, over ``labels``."""
    labels: list[int] = Field(default_factory=list)
    """Class order of ``confusion``."""
    config: dict[str, Any] = Field(default_factory=dict)
    """The settings the report was computed with."""
    n_unmatched: int = 0
    """Gold records with no prediction plus predictions with no gold record (left out of ``n``)."""
    n_duplicate: int = 0
    """Records whose ``question_id`` appeared earlier in the same file (left out of ``n``)."""
    n_invalid: int = 0
    """Records that could not be read: no id, or a label or score that is not a valid verdict."""
    reliability: list[dict[str, float]] = Field(default_factory=list)
    """Confidence bins (``low``, ``high``, ``n``, mean ``confidence``, ``accuracy``) when the
    judge gave probabilities; ``metrics["ece"]`` is their expected calibration error."""


class Verdict(BaseModel):
    """The judge's final word on one sample: one judgment per answer order, combined."""

    sample_id: str
    """The id of the judged sample."""
    judgments: list[Judgment]
    """The original-order judgment, then (with swap) the swapped one; pointwise, one per answer."""
    scores: list[float] | None = None
    """Final scores in the original answer order: the mean over the orders that parsed."""
    label: int | None = None
    """Final verdict from ``scores``; ``None`` when no order parsed."""
    probs: dict[int, float] | None = None
    """Verdict probabilities averaged over the orders, when the judge gives them."""
    confidence: float | None = None
    """Probability of the final verdict (from ``probs``)."""
    consistent: bool | None = None
    """Both orders gave the same verdict (``None`` without swap or when an order failed)."""
    status: Status = "ok"
    """``ok``, ``parse_failed`` (no order parsed) or ``engine_error``."""
    error: str | None = None
    """What went wrong, for any status other than ``ok`` (or a partial failure)."""
    truncated: bool = False
    """Answers were shortened to fit the model's context."""
    warnings: list[str] = Field(default_factory=list)
    """Notes on how this sample was judged, e.g. by a judge outside the tasks it was trained for."""
    score_scale: tuple[float, float] | None = None
    """The scale ``scores`` are on (``None``: 1-10, as JudgeLM templates and the reward judge grade);
    the output layer rescales them to the sample's own ``score_scale``."""
    escalated: bool | None = None
    """Confidence cascade: this is the second judge's verdict (the first judge's confidence was
    below the threshold, or it failed); ``False``: the first judge's verdict stands; ``None``: no cascade."""
    first_judge_label: int | None = None
    """Confidence cascade: the first judge's verdict (``None`` when it failed)."""
    first_judge_confidence: float | None = None
    """Confidence cascade: the first judge's probability of its verdict (``None``: it gave none)."""
    first_judge_error: str | None = None
    """Confidence cascade, escalated: why the first judge gave no verdict, when it failed."""


class OutputStatus(str, Enum):
    """What happened to one input line of a file job (``status`` in the output file)."""

    OK = "ok"
    """Judged: ``pred_label`` holds the verdict."""
    PARSE_FAILED = "parse_failed"
    """The judge answered, but no answer order could be read as a verdict."""
    BAD_INPUT = "bad_input"
    """The line could not be judged: not a JSON object, a field missing or of the wrong type, or a
    sample the chosen template or the model's context cannot take. ``error`` names file, line and field."""
    ENGINE_ERROR = "engine_error"
    """The engine failed for this record (server down, HTTP error, bad response); ``--resume`` retries it."""


class FailureKind(str, Enum):
    """Why a record is not ``ok``, one level finer than :class:`OutputStatus`."""

    INVALID_LINE = "invalid_line"
    """The line is not a readable JSON object (bytes, syntax, NaN, nesting, lone surrogates, truncated file)."""
    INVALID_RECORD = "invalid_record"
    """A JSON object whose fields do not make a judge sample (missing field, wrong type)."""
    NOT_JUDGEABLE = "not_judgeable"
    """A valid sample this judge cannot take (template for another sample kind, instructions over the context)."""
    PARSE = "parse"
    """The judge's output could not be parsed."""
    ENGINE = "engine"
    """The engine failed."""


class JudgeOutput(BaseModel):
    """One line of a ``judge`` output file: the input line's own fields plus these.

    The same model writes the file (:meth:`to_json_line`) and reads it back (``--resume``,
    ``eval``). Fields not set for a record are left out of its line. The input's own fields are
    kept as extra fields; an input field whose name is one of the fields below is moved to
    ``input_<name>`` (so an input ``error`` or ``pred_label`` is never mistaken for the judge's).
    """

    model_config = ConfigDict(extra="allow")

    input_line: int
    """1-based line number of the input line this record answers."""
    status: OutputStatus
    """``ok``, ``parse_failed``, ``bad_input`` or ``engine_error``."""
    failure: FailureKind | None = None
    """Why the record is not ``ok``; also set on an ``ok`` record when one answer order failed."""
    error: str | None = None
    """What went wrong; for bad input ``file:line: field ...``."""
    warnings: list[str] | None = None
    """Problems that did not stop judging (an empty answer)."""
    truncated: bool | None = None
    """Answers were shortened to fit the model's context (the instructions never are)."""
    pred_text: str | None = None
    """The judge's raw output, original answer order (pointwise: each answer's, labelled)."""
    pred_label: int | None = None
    """Final verdict: 0 tie, k = answer k best; ``null`` unless ``ok``, never a silent tie."""
    pred_score: list[float] | None = None
    """Final scores per answer (score templates; pointwise: expected grades)."""
    pred_probs: dict[str, float] | None = None
    """Verdict probabilities (``"0"`` tie, ``"1"``, ``"2"``) from the judge's first-token distribution."""
    pred_confidence: float | None = None
    """Probability of the final verdict."""
    pred_text_swapped: str | None = None
    """With swap: the judge's raw output with the answers in reversed order."""
    pred_label_original: int | None = None
    """With swap: the verdict of the original order."""
    pred_label_swapped: int | None = None
    """With swap: the verdict of the reversed order, mapped back to the original order."""
    pred_score_original: list[float] | None = None
    """With swap: the scores of the original order."""
    pred_score_swapped: list[float] | None = None
    """With swap: the scores of the reversed order, in the original answer order."""
    pred_probs_original: dict[str, float] | None = None
    """With swap: the verdict probabilities of the original order."""
    pred_probs_swapped: dict[str, float] | None = None
    """With swap: the verdict probabilities of the reversed order, in the original answer order."""
    consistent: bool | None = None
    """With swap: both orders gave the same verdict (``null`` when an order failed)."""
    pred_score_probs: list[dict[str, float] | None] | None = None
    """Pointwise: each answer's grade distribution."""
    pred_score_scale: list[float] | None = None
    """Samples with a ``score_scale``: the scale ``pred_score`` is on (the sample's, ``[low, high]``)."""
    pred_score_raw: list[float] | None = None
    """The judge's own scores when they were rescaled to the sample's scale (e.g. a 1-10 grade)."""
    pred_ranking: list[int] | None = None
    """Multi-answer samples: the answers (1-based) from best to worst by ``pred_score``; equal
    scores keep input order (see ``pred_label`` for whether the top is a tie)."""
    escalated: bool | None = None
    """Confidence cascade (``--escalate-below``): the verdict is the second judge's; ``false``: the first
    judge's stands. Absent without a cascade."""
    first_judge_label: int | None = None
    """Confidence cascade: the first judge's verdict (``null`` when it failed)."""
    first_judge_confidence: float | None = None
    """Confidence cascade: the first judge's ``pred_confidence`` (``null``: it gave none)."""
    first_judge_error: str | None = None
    """Confidence cascade, escalated records: why the first judge gave no verdict, when it failed."""

    @classmethod
    def output_fields(cls) -> frozenset[str]:
        """The field names the output record owns."""
        return frozenset(cls.model_fields)

    @classmethod
    def with_input(cls, record: dict[str, Any] | None, **fields: Any) -> JudgeOutput:
        """A record from the input line's fields and the output fields (see the class docstring).

        Args:
            record: the input line's JSON object, or ``None`` when the line is not one.
            **fields: output fields.

        Returns:
            The output record.
        """
        owned = cls.output_fields()
        extra: dict[str, Any] = {}
        for key, value in (record or {}).items():
            while key in owned or key in extra:
                key = f"input_{key}"
            extra[key] = value
        return cls.model_validate({**extra, **fields})

    def to_json_line(self) -> str:
        """One JSON line: the input's fields first, then the output fields that were set.

        Non-ASCII text is escaped (``\\uXXXX``), so the line holds no byte a reader could take for
        a line break (U+2028, U+0085) and no lone surrogate can fail to encode.
        """
        extra = self.__pydantic_extra__ or {}
        own = self.model_dump(mode="json", include=set(self.model_fields_set) - set(extra))
        return json.dumps({**extra, **own}, ensure_ascii=True, allow_nan=False) + "\n"
