"""Position consistency: does a verdict hold when the two answers swap places?

Both inputs are verdicts in the *original* answer order (a judgment of the swapped prompt is
mapped back before it gets here), so a consistent judge gives equal labels. Definitions follow
JudgeLM's ``eval_model_judgement.py``: a disagreement that favours whichever answer was shown
first counts as "prefer first", the opposite as "prefer second"; ``delta_bias`` is the absolute
difference of the two rates and ``total_bias`` their sum.
"""

from __future__ import annotations

from collections.abc import Sequence


def _first_position_preference(label: int, first_answer: int) -> int:
    """+1 if the answer shown first won, -1 if the one shown second won, 0 for a tie."""
    if label == 0:
        return 0
    return 1 if label == first_answer else -1


def compute_consistency(
    pred: Sequence[int | None], pred_swapped: Sequence[int | None], gold: Sequence[int] | None = None
) -> dict[str, float]:
    """Swap consistency and position-bias rates of a pairwise judge.

    Args:
        pred: verdicts with the answers in their original order (``None`` = parse failure).
        pred_swapped: verdicts of the swapped prompts, mapped back to the original order.
        gold: optional gold verdicts, for Auto-J's strict agreement (correct in both orders).

    Returns:
        ``consistency``, ``prefer_first``, ``prefer_second``, ``delta_bias``, ``total_bias`` and,
        with gold, ``strict_agreement``; fractions of all pairs. A pair with a parse failure in
        either order counts as inconsistent and as neither preference. NaN for no pairs.
    """
    if len(pred) != len(pred_swapped):
        raise ValueError(f"{len(pred)} predictions but {len(pred_swapped)} swapped predictions")
    n = len(pred)
    if n == 0:
        nan = float("nan")
        return {"consistency": nan, "prefer_first": nan, "prefer_second": nan, "delta_bias": nan, "total_bias": nan}
    same = first = second = 0
    for a, b in zip(pred, pred_swapped):
        if a is None or b is None:
            continue
        if a == b:
            same += 1
            continue
        # original order shows answer 1 first; the swapped order shows answer 2 first
        lean = _first_position_preference(a, 1) + _first_position_preference(b, 2)
        if lean > 0:
            first += 1
        elif lean < 0:
            second += 1
    out = {
        "consistency": same / n,
        "prefer_first": first / n,
        "prefer_second": second / n,
        "delta_bias": abs(first - second) / n,
        "total_bias": (first + second) / n,
    }
    if gold is not None:
        out["strict_agreement"] = sum(a == b == g for a, b, g in zip(pred, pred_swapped, gold)) / n
    return out
