"""Pure augmentations: each returns a new sample and never mutates its input.

JudgeLM's tricks: *swap augmentation* (show the answers in the other order, with scores, label and
explanation swapped to match) and *reference drop* (remove the reference so one judge learns to
work with and without it).
"""

from __future__ import annotations

import random
import re

from judgeforge.judging.parse import flip_label
from judgeforge.records import JudgeSample

# "Assistant 1" / "Answer 2" / "Output 1" and the like, as teacher explanations name the answers.
_ANSWER_NAME = re.compile(r"\b(Assistant|Answer|Output|Response)(\s*)([12])\b")


def swap_names(text: str) -> str:
    """Exchange the names of answer 1 and answer 2 in a text ("Assistant 1" <-> "Assistant 2").

    One pass with a callback, so applying it twice gives the original text back.
    """
    return _ANSWER_NAME.sub(lambda m: f"{m.group(1)}{m.group(2)}{3 - int(m.group(3))}", text)


def _swap_judgment(judgment: str) -> str:
    first, sep, rest = judgment.partition("\n")
    scores = first.replace(",", " ").split()
    if len(scores) == 2:
        first = f"{scores[1]} {scores[0]}"
    return first + sep + swap_names(rest)


def swap(sample: JudgeSample) -> JudgeSample:
    """Show a pair's answers in the other order.

    Answers, gold scores, gold label (1 <-> 2, ties stay), the teacher judgment (its score line and
    the answer names in its explanation) and the explanation are all swapped together.

    Args:
        sample: a pairwise sample.

    Returns:
        A new sample; ``swap(swap(s)) == s``.

    Raises:
        ValueError: if the sample does not have exactly two answers.
    """
    if sample.kind != "pair":
        raise ValueError(f"swap needs a pairwise sample, {sample.id!r} has {len(sample.answers)} answers")
    return sample.model_copy(
        update={
            "answers": sample.answers[::-1],
            "scores": sample.scores[::-1] if sample.scores else sample.scores,
            "label": flip_label(sample.label),
            "judgment": _swap_judgment(sample.judgment) if sample.judgment else sample.judgment,
            "explanation": swap_names(sample.explanation) if sample.explanation else sample.explanation,
        }
    )


def drop_reference(sample: JudgeSample) -> JudgeSample:
    """The same sample without its reference answer."""
    return sample.model_copy(update={"reference": None})


def augment(sample: JudgeSample, rng: random.Random, *, swap_prob: float, ref_drop_prob: float) -> JudgeSample:
    """Apply swap and reference drop at random, as JudgeLM's training does.

    Args:
        sample: the stored sample (left untouched).
        rng: the random source; draw a fresh one per epoch for fresh choices.
        swap_prob: probability that a pair is swapped.
        ref_drop_prob: probability that the reference is *removed* (JudgeLM's own flag means the
            opposite: the probability that it is kept).

    Returns:
        The augmented copy.
    """
    out = sample
    if sample.kind == "pair" and rng.random() < swap_prob:
        out = swap(out)
    if out.reference is not None and rng.random() < ref_drop_prob:
        out = drop_reference(out)
    return out
