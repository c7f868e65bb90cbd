"""Verdicts to output records: what one line of a ``judge`` output file holds (see :class:`JudgeOutput`)."""

from __future__ import annotations

import math
from typing import Any

from judgeforge.records import DEFAULT_SCALE, FailureKind, JudgeOutput, JudgeSample, Judgment, OutputStatus, Verdict


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _rounded(probs: dict[int, float] | None) -> dict[str, float] | None:
    if not probs or not all(math.isfinite(v) for v in probs.values()):
        return None
    return {str(k): round(v, 6) for k, v in probs.items()}


def _failure_kind(judgments: list[Judgment]) -> FailureKind:
    errors = [j.parse_error for j in judgments if j.parse_error]
    engine = bool(errors) and all(e.startswith("engine error") for e in errors)
    return FailureKind.ENGINE if engine else FailureKind.PARSE


def rescale(score: float, source: tuple[float, float], target: tuple[float, float]) -> float:
    """A score moved linearly from one scale to another (a 1-10 grade to a sample's 1-5: 10 -> 5, 1 -> 1).

    Args:
        score: the score on ``source``.
        source: the judge's scale ``(low, high)``.
        target: the sample's scale ``(low, high)``.

    Returns:
        The score on ``target``, rounded to 4 decimals; scores outside ``source`` are clipped to it first.
    """
    low, high = source
    clipped = min(max(score, low), high)
    return round(target[0] + (clipped - low) * (target[1] - target[0]) / (high - low), 4)


def ranking(scores: list[float]) -> list[int]:
    """Answers (1-based) from the highest score to the lowest; equal scores keep their input order."""
    return sorted(range(1, len(scores) + 1), key=lambda k: -scores[k - 1])


def _scored(verdict: Verdict, sample: JudgeSample | None) -> dict[str, Any]:
    """``pred_score`` on the sample's own scale (with the judge's ``pred_score_raw`` when it was
    rescaled), ``pred_score_scale``, and the ranking of a multi-answer sample."""
    scores = verdict.scores
    out: dict[str, Any] = {"pred_score": scores}
    if sample is None or scores is None:
        return out
    source = verdict.score_scale or DEFAULT_SCALE
    if sample.score_scale is not None:
        out["pred_score_scale"] = list(sample.score_scale)
        if source != sample.score_scale:  # e.g. the reward judge's 1-10 grade of a 1-5 Prometheus sample
            out |= {"pred_score": [rescale(v, source, sample.score_scale) for v in scores], "pred_score_raw": scores}
    if sample.kind == "multi":
        out["pred_ranking"] = ranking(scores)
    return out


def bad_input(record: dict[str, Any] | None, line: int, error: str, kind: FailureKind) -> JudgeOutput:
    """The output record of an input line that could not be judged."""
    return JudgeOutput.with_input(record, input_line=line, status=OutputStatus.BAD_INPUT, failure=kind, error=error)


def output_record(
    record: dict[str, Any] | None,
    line: int,
    verdict: Verdict,
    warnings: list[str],
    sample: JudgeSample | None = None,
) -> JudgeOutput:
    """The output record for one judged input line: its fields, plus ``input_line``, predictions and ``status``.

    Args:
        record: the input line's JSON object.
        line: its 1-based line number.
        verdict: the judge's verdict.
        warnings: notes from reading the line (empty answers).
        sample: the judged sample; with it, scores are put on the sample's ``score_scale`` and a
            multi-answer sample gets ``pred_ranking``.

    Returns:
        The output record.
    """
    first = verdict.judgments[0]
    out: dict[str, Any] = {"input_line": line, "pred_text": first.raw}
    if first.answer is not None:  # pointwise: one judgment per answer
        out["pred_text"] = "\n\n".join(f"[Answer {j.answer}] {j.raw}" for j in verdict.judgments)
        if all(j.score_probs for j in verdict.judgments):
            out["pred_score_probs"] = [_rounded(j.score_probs) for j in verdict.judgments]
    elif len(verdict.judgments) == 2:
        second = verdict.judgments[1]
        out |= {
            "pred_text_swapped": second.raw,
            "pred_score_original": first.scores,
            "pred_label_original": first.label,
            "pred_score_swapped": second.scores,
            "pred_label_swapped": second.label,
            "consistent": verdict.consistent,
        }
        if first.probs or second.probs:
            out |= {"pred_probs_original": _rounded(first.probs), "pred_probs_swapped": _rounded(second.probs)}
    if verdict.probs is not None:
        out["pred_probs"] = _rounded(verdict.probs)
        out["pred_confidence"] = _finite(round(verdict.confidence or 0.0, 6))
    out |= {**_scored(verdict, sample), "pred_label": verdict.label, "status": OutputStatus(verdict.status)}
    if verdict.error:
        out |= {"error": verdict.error, "failure": _failure_kind(verdict.judgments)}
    first_conf = verdict.first_judge_confidence
    if verdict.escalated is not None:  # a cascade: which judge decided, and what the first one said
        out |= {
            "escalated": verdict.escalated,
            "first_judge_label": verdict.first_judge_label,
            "first_judge_confidence": None if first_conf is None else _finite(round(first_conf, 6)),
        }
        if verdict.first_judge_error:
            out["first_judge_error"] = verdict.first_judge_error
    if verdict.truncated:
        out["truncated"] = True
    if warnings or verdict.warnings:
        out["warnings"] = [*warnings, *verdict.warnings]
    return JudgeOutput.with_input(record, **out)
