"""Is a judge's confidence a probability? Reliability bins and expected calibration error."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def reliability(
    confidence: Sequence[float],
    correct: Sequence[bool],
    edges: Sequence[float] = (0.0, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
) -> tuple[list[dict[str, float]], float]:
    """Bin verdicts by the judge's confidence and compare each bin's mean confidence with its accuracy.

    Args:
        confidence: the probability the judge gave its own verdict, per sample.
        correct: whether that verdict matches the gold label.
        edges: bin edges over [0, 1]; the last bin includes 1.

    Returns:
        One row per non-empty bin (``low``, ``high``, ``n``, ``confidence`` = mean confidence,
        ``accuracy``), and the expected calibration error: the ``n``-weighted mean of
        ``|accuracy - confidence|`` over the bins.
    """
    if len(confidence) != len(correct):
        raise ValueError(f"{len(confidence)} confidences for {len(correct)} outcomes")
    conf, ok = np.asarray(confidence, dtype=float), np.asarray(correct, dtype=float)
    which = np.clip(np.searchsorted(edges, conf, side="right") - 1, 0, len(edges) - 2)
    rows, gap = [], 0.0
    for b in range(len(edges) - 1):
        mask = which == b
        if not mask.any():
            continue
        row = {
            "low": float(edges[b]),
            "high": float(edges[b + 1]),
            "n": int(mask.sum()),
            "confidence": float(conf[mask].mean()),
            "accuracy": float(ok[mask].mean()),
        }
        gap += row["n"] * abs(row["accuracy"] - row["confidence"])
        rows.append(row)
    return rows, gap / max(len(conf), 1)
