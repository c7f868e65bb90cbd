"""Flip rates: how often a judge's verdict moves under a perturbation (pure; see ``data/perturb.py``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from judgeforge.metrics.agreement import bootstrap_ci


def flip_rate(
    before: Sequence[int | None], after: Sequence[int | None], targets: Sequence[int] | None = None
) -> dict[str, float | int | None]:
    """How often verdicts change, with a bootstrap 95% CI.

    Args:
        before: verdicts on the unperturbed samples.
        after: verdicts on the perturbed samples, mapped back to the original answer order.
        targets: for a targeted perturbation, the answer (1 or 2) it changed per sample.

    Returns:
        ``n`` (pairs where both verdicts parsed), ``n_failed`` (pairs left out because one did
        not), ``flip_rate``, ``ci_low``, ``ci_high`` and, with targets, ``toward_target``: the
        fraction of pairs whose verdict moved towards the changed answer (from a loss to a tie or
        a win, or from a tie to a win). Rates are ``None`` when ``n`` is 0.
    """
    if len(before) != len(after):
        raise ValueError(f"{len(before)} verdicts before but {len(after)} after")
    keep = [i for i, (a, b) in enumerate(zip(before, after)) if a is not None and b is not None]
    out: dict[str, float | int | None] = {"n": len(keep), "n_failed": len(before) - len(keep)}
    if not keep:
        out |= {"flip_rate": None, "ci_low": None, "ci_high": None}
        if targets is not None:
            out["toward_target"] = None
        return out
    flips = np.array([before[i] != after[i] for i in keep], dtype=float)
    low, high = bootstrap_ci(flips)
    out |= {"flip_rate": float(flips.mean()), "ci_low": low, "ci_high": high}
    if targets is not None:

        def standing(label: int, target: int) -> int:  # -1 target lost, 0 tie, +1 target won
            return 0 if label == 0 else (1 if label == target else -1)

        toward = [standing(after[i], targets[i]) > standing(before[i], targets[i]) for i in keep]  # type: ignore[arg-type]
        out["toward_target"] = float(np.mean(toward))
    return out


def sampled_flip_rate(
    before: Sequence[int | None], draws: Sequence[Sequence[int | None]]
) -> dict[str, float | int | None]:
    """Self-consistency: how often a sampled verdict differs from the judge's usual (greedy) one.

    Args:
        before: the greedy verdict per pair.
        draws: per pair, the verdicts of several sampled runs (``None`` where a run did not parse).

    Returns:
        ``n`` (pairs with a greedy verdict and at least one parsed draw), ``n_failed``, ``n_draws``
        (parsed draws counted), and ``flip_rate`` with ``ci_low``/``ci_high``: the mean over pairs of
        the share of a pair's draws that differ, with a bootstrap 95% CI over pairs (draws of one
        pair are not independent evidence). Rates are ``None`` when ``n`` is 0.
    """
    if len(before) != len(draws):
        raise ValueError(f"{len(before)} verdicts but {len(draws)} sets of draws")
    shares, n_draws = [], 0
    for label, runs in zip(before, draws):
        parsed = [d for d in runs if d is not None]
        if label is None or not parsed:
            continue
        shares.append(sum(d != label for d in parsed) / len(parsed))
        n_draws += len(parsed)
    out: dict[str, float | int | None] = {"n": len(shares), "n_failed": len(before) - len(shares), "n_draws": n_draws}
    if not shares:
        return out | {"flip_rate": None, "ci_low": None, "ci_high": None}
    low, high = bootstrap_ci(np.array(shares))
    return out | {"flip_rate": float(np.mean(shares)), "ci_low": low, "ci_high": high}
