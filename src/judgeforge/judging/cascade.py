"""A live confidence cascade: a cheap judge keeps the verdicts it is sure of, a stronger judge gives the rest.

The first judge judges every sample. A sample whose verdict confidence is below the threshold goes to
the second judge, and so does one the first judge failed on (no verdict, no confidence). The second
judge's model loads when the first sample is sent to it, so a run that escalates nothing never loads it.
Each verdict says whether it was escalated and what the first judge said, so a file job still writes
one output record per input record.

``bench --escalate-below`` draws the same rule from finished runs of both judges
(:func:`judgeforge.metrics.cascade.escalate`), to pick the threshold before paying for a live cascade.

>>> from judgeforge import Judge
>>> with Judge.from_spec("default", mode="fast").cascade("configs/judges/openai-compatible.yaml", below=0.7) as c:
...     c.judge_file("pairs.jsonl", "judged.jsonl")                      # doctest: +SKIP
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from judgeforge.errors import ConfigError, DataError
from judgeforge.judging.job import RunSummary, judge_file
from judgeforge.judging.judge import CacheHits, Judge
from judgeforge.judging.run import JudgeConfig
from judgeforge.records import JudgeSample, Verdict

logger = logging.getLogger(__name__)


class Cascade:
    """Two judges in a confidence cascade, with the :class:`Judge` interface (``judge``, ``judge_file``).

    Args:
        first: the cheap judge; it judges every sample.
        second: the stronger judge; it judges only the escalated samples.
        below: escalate a sample whose first verdict has a confidence below this (0 escalates nothing,
            1 everything but certain verdicts). A verdict without a confidence counts as 0: failures
            always escalate, and so does every verdict of a judge that gives no probabilities
            (full mode, score templates): use ``mode: fast`` with a verdict template for the first judge.

    Raises:
        ConfigError: ``below`` outside [0, 1].
    """

    def __init__(self, first: Judge, second: Judge, below: float) -> None:
        if not 0.0 <= below <= 1.0:  # also refuses NaN
            raise ConfigError(f"the escalation threshold is a confidence in [0, 1], got {below}")
        self.first = first
        self.second = second
        self.below = below
        self._warned = False

    @property
    def config(self) -> JudgeConfig:
        """The first judge's settings (its chunk size sets how a file job writes)."""
        return self.first.config

    def describe(self) -> str:
        """One line: both judges and the threshold."""
        return f"{self.first.describe()}; below confidence {self.below:g} escalated to {self.second.describe()}"

    def escalates(self, result: Verdict | DataError) -> bool:
        """Whether the first judge's result goes to the second judge.

        Args:
            result: the first judge's verdict on a sample, or the error that kept it from judging it.

        Returns:
            ``True`` when its confidence (rounded as ``pred_confidence`` is) is below the threshold;
            a failure, or a verdict with no confidence, counts as confidence 0 (as in ``bench``'s
            simulated cascade).
        """
        confidence = None if isinstance(result, DataError) else result.confidence
        if confidence is None or not math.isfinite(confidence):
            confidence = 0.0
        # compared as written to the output (pred_confidence, 6 decimals), so that a file's 0.75 reads
        # the same here and in bench's simulation, and float noise (0.7499999999) does not escalate it
        return round(confidence, 6) < self.below

    def judge(self, samples: Sequence[JudgeSample]) -> list[Verdict | DataError]:
        """Judge samples with the first judge, then the escalated ones with the second, each in one batch.

        Args:
            samples: the samples.

        Returns:
            One item per sample, in order, with ``escalated`` and the first judge's verdict set: the
            second judge's verdict when escalated, else the first judge's (also when the second judge
            cannot take the sample: a warning says so); a :class:`DataError` when neither judge can.
        """
        firsts = self.first.judge(samples)
        sent = [i for i, result in enumerate(firsts) if self.escalates(result)]
        unsure = any(isinstance(r, Verdict) and r.label is not None and r.confidence is None for r in firsts)
        if unsure and self.below > 0 and not self._warned:
            self._warned = True  # once per cascade: every such verdict escalates, which may not be what was meant
            logger.warning(
                "%s gives verdicts without a confidence (full mode or a score template?): all of them are "
                "escalated; a first judge in fast mode with a verdict template gives one",
                self.first.describe(),
            )
        seconds = self.second.judge([samples[i] for i in sent]) if sent else []
        out = [result if isinstance(result, DataError) else _stands(result) for result in firsts]
        for i, second in zip(sent, seconds):
            out[i] = _escalated(firsts[i], second)
        return out

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
        """Judge a JSONL file through the cascade, one record per input record (see :meth:`Judge.judge_file`).

        A resume continues only a run with the same judges and threshold (:meth:`identity`); records
        already written are not judged again, by either judge.

        Returns:
            What the run did (``escalated`` counts the records the second judge decided).
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
            usage=CacheHits(self.first, self.second),
        )

    def identity(self) -> dict[str, Any]:
        """What decides the cascade's output, compared by ``--resume``: the first judge's identity plus
        the threshold and the second judge's identity (a plain judge's identity has no ``escalation``)."""
        return {**self.first.identity(), "escalation": {"below": self.below, "to": self.second.identity()}}

    def load(self) -> Cascade:
        """Load the first judge's model now; the second judge's loads when a sample is first escalated."""
        self.first.load()
        return self

    def close(self) -> None:
        """Free both judges' models."""
        self.first.close()
        self.second.close()

    def __enter__(self) -> Cascade:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


def _stands(first: Verdict) -> Verdict:
    """The first judge's verdict as the final one: not escalated."""
    update = {"escalated": False, "first_judge_label": first.label, "first_judge_confidence": first.confidence}
    return first.model_copy(update=update)


def _escalated(first: Verdict | DataError, second: Verdict | DataError) -> Verdict | DataError:
    """The result of an escalated sample: the second judge's verdict, with the first judge's beside it.

    The second verdict stands even when it failed (its status says so, and ``--resume`` retries an
    engine error), so a failure is never hidden behind the cheaper judge's low-confidence verdict.
    """
    if isinstance(second, DataError):  # the second judge cannot take this sample: the first word stands
        if isinstance(first, DataError):
            return DataError(f"{first}; the second judge cannot judge it either: {second}")
        note = f"escalated, but the second judge cannot judge this sample ({second}): the first judge's verdict stands"
        kept = _stands(first)
        return kept.model_copy(update={"warnings": [*kept.warnings, note]})
    if isinstance(first, DataError):
        update: dict[str, Any] = {"first_judge_label": None, "first_judge_error": str(first)}
    else:
        update = {
            "first_judge_label": first.label,
            "first_judge_confidence": first.confidence,
            "first_judge_error": first.error if first.label is None else None,
        }
    return second.model_copy(update={"escalated": True, **update})
