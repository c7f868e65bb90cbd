"""PNG plots for the reports, drawn with matplotlib's object API (no pyplot state, no display).

Each function takes plain numbers (what the metrics modules return) and a path, and writes one PNG.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from judgeforge.errors import ConfigError

_NAMES = {0: "tie", 1: "answer 1", 2: "answer 2"}


def _figure(width: float = 6.0, height: float = 4.0) -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ConfigError("plots need matplotlib: pip install 'judgeforge[bench]' (or pass --no-plots)") from None
    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def _save(fig: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path


def plot_confusion(labels: Sequence[int], confusion: Sequence[Sequence[int]], title: str, path: Path) -> Path:
    """A confusion matrix heat map, rows gold, columns predicted, with counts in the cells."""
    fig = _figure(4.6, 4.0)
    ax = fig.add_subplot()
    image = ax.imshow(confusion, cmap="Blues")
    names = [_NAMES.get(c, str(c)) for c in labels]
    ax.set_xticks(range(len(labels)), names)
    ax.set_yticks(range(len(labels)), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    top = max((max(row) for row in confusion), default=0)
    for i, row in enumerate(confusion):
        for j, v in enumerate(row):
            ax.text(j, i, str(v), ha="center", va="center", color="white" if v > top / 2 else "black")
    ax.set_title(title, fontsize=10)
    fig.colorbar(image, ax=ax, shrink=0.8)
    return _save(fig, path)


def plot_grouped_bars(
    series: Mapping[str, Sequence[float | None]], categories: Sequence[str], title: str, ylabel: str, path: Path
) -> Path:
    """Bars per category, one colour per series (a judge or baseline); ``None`` draws no bar."""
    fig = _figure(max(6.0, 0.9 * len(categories) * max(len(series), 1) ** 0.5 + 2), 4.0)
    ax = fig.add_subplot()
    width = 0.8 / max(len(series), 1)
    for k, (name, values) in enumerate(series.items()):
        xs = [i + (k - (len(series) - 1) / 2) * width for i in range(len(categories))]
        heights = [100 * v if v is not None else 0.0 for v in values]
        ax.bar(xs, heights, width=width, label=name)
    crowded = len(categories) > 4 or max((len(c) for c in categories), default=0) > 12
    ax.set_xticks(
        range(len(categories)), categories, rotation=20 if crowded else 0, ha="right" if crowded else "center"
    )
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 100)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


def plot_reliability(bins: Sequence[Mapping[str, float]], ece: float | None, title: str, path: Path) -> Path:
    """A reliability diagram: accuracy per confidence bin against the diagonal, bin sizes as labels."""
    fig = _figure(4.6, 4.2)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    xs = [b["confidence"] for b in bins]
    ys = [b["accuracy"] for b in bins]
    ax.plot(xs, ys, marker="o", label="verdicts")
    for b in bins:
        ax.annotate(str(int(b["n"])), (b["confidence"], b["accuracy"]), textcoords="offset points", xytext=(4, -10))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("mean confidence in bin")
    ax.set_ylabel("accuracy in bin")
    suffix = f" (ECE {100 * ece:.1f}%)" if ece is not None else ""
    ax.set_title(title + suffix, fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    return _save(fig, path)


def plot_cascade(
    curves: Mapping[str, Sequence[Mapping[str, float]]], title: str, path: Path, marks: Sequence[float] = ()
) -> Path:
    """Agreement against the fraction escalated, one line per cascade; ``marks`` are thresholds to label."""
    fig = _figure(5.6, 4.2)
    ax = fig.add_subplot()
    for name, rows in curves.items():
        xs = [100 * r["escalated"] for r in rows]
        ys = [100 * r["agreement"] for r in rows]
        ax.plot(xs, ys, drawstyle="steps-post", label=name)
        for p in marks:
            at = next((r for r in rows if r["threshold"] >= p), rows[-1])
            ax.plot([100 * at["escalated"]], [100 * at["agreement"]], "o", color="black")
            ax.annotate(
                f"P={p:g}",
                (100 * at["escalated"], 100 * at["agreement"]),
                xytext=(5, -12),
                textcoords="offset points",
                fontsize=8,
            )
    ax.set_xlabel("judgments escalated to the strong judge (%)")
    ax.set_ylabel("agreement with gold (%)")
    ax.set_xlim(0, 100)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def plot_ratings(
    models: Sequence[str], ratings: Sequence[float], intervals: Sequence[tuple[float, float]], title: str, path: Path
) -> Path:
    """Horizontal Bradley-Terry ratings with their confidence intervals, best at the top."""
    fig = _figure(6.5, max(3.0, 0.22 * len(models) + 1.2))
    ax = fig.add_subplot()
    order = sorted(range(len(models)), key=lambda i: ratings[i])
    ys = list(range(len(order)))
    values = [ratings[i] for i in order]
    err = [[ratings[i] - intervals[i][0] for i in order], [intervals[i][1] - ratings[i] for i in order]]
    ax.errorbar(values, ys, xerr=err, fmt="o", markersize=3, capsize=2)
    ax.set_yticks(ys, [models[i] for i in order], fontsize=7)
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_xlabel("Bradley-Terry rating (Elo points vs the baseline), 95% CI")
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, path)


def plot_rank_scatter(
    x: Mapping[str, float], y: Mapping[str, float], xlabel: str, ylabel: str, title: str, path: Path
) -> Path:
    """One point per model shared by the two tables (e.g. judge win rate vs published win rate)."""
    fig = _figure(5.0, 4.4)
    ax = fig.add_subplot()
    shared = [m for m in x if m in y]
    ax.scatter([x[m] for m in shared], [y[m] for m in shared], s=14)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def plot_flip_rates(rows: Mapping[str, Mapping[str, Any]], title: str, path: Path) -> Path:
    """Flip rate per perturbation with its 95% CI, and the share that moved towards the changed answer."""
    names = [n for n, r in rows.items() if r.get("flip_rate") is not None]
    fig = _figure(6.0, 3.8)
    ax = fig.add_subplot()
    rates = [100 * rows[n]["flip_rate"] for n in names]
    err = [
        [100 * (rows[n]["flip_rate"] - rows[n]["ci_low"]) for n in names],
        [100 * (rows[n]["ci_high"] - rows[n]["flip_rate"]) for n in names],
    ]
    ax.bar(range(len(names)), rates, yerr=err, capsize=3, label="verdict changed")
    toward = [100 * rows[n]["toward_target"] if rows[n].get("toward_target") is not None else 0.0 for n in names]
    ax.bar(range(len(names)), toward, width=0.4, label="moved towards the changed answer")
    ax.set_xticks(range(len(names)), names)
    ax.set_ylabel("% of pairs")
    ax.set_ylim(0, 100)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


def plot_grade_scatter(gold: Sequence[float], pred: Sequence[float], title: str, path: Path) -> Path:
    """Predicted against gold grades, one point per answer (a little jitter on gold, whose grades repeat)."""
    import numpy as np

    fig = _figure(5.0, 4.4)
    ax = fig.add_subplot()
    jitter = np.random.default_rng(0).uniform(-0.06, 0.06, len(gold))
    ax.scatter(np.asarray(gold, float) + jitter, pred, s=10, alpha=0.5)
    if len(gold):  # where a calibrated judge's points would lie
        low, high = min(min(gold), min(pred)), max(max(gold), max(pred))
        ax.plot([low, high], [low, high], linestyle="--", color="grey", linewidth=0.8, label="judge = gold")
        ax.legend(fontsize=8, loc="upper left")
    ax.set_xlabel("gold grade")
    ax.set_ylabel("judge's grade")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    return _save(fig, path)
