"""The benchmark report of a graded or ranked file: single-answer grading or multi-answer ranking.

``judgeforge bench`` gives a pairwise file :mod:`judgeforge.reports.bench`'s report and a file of
single answers with gold grades (or of N answers with gold scores or a gold best answer) this one:
each judge's correlations (grading) or ranking agreement beside the answer-length baseline, which
needs no model, and a scatter plot of predicted against gold grades. The metrics are
``judgeforge eval``'s (:mod:`judgeforge.judging.evaluate_scores`); nothing here runs a model.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judgeforge.errors import DataError
from judgeforge.judging.evaluate_scores import Task, read_score_rows, score_metrics
from judgeforge.reports import plots

COLUMNS: dict[Task, list[tuple[str, str]]] = {
    "single": [("pearson", "Pearson"), ("spearman", "Spearman"), ("kendall", "Kendall"), ("mae", "MAE")],
    "multi": [("kendall", "Kendall"), ("pairwise_agreement", "pairwise agr. %"), ("top1_accuracy", "top-1 %")],
    "pair": [],
}
"""Metric key and header per task; keys ending in ``%`` headers are shown as percentages."""


@dataclass
class GradedRow:
    """One judge or baseline on a graded file."""

    name: str
    kind: str
    """``judge`` or ``baseline``."""
    metrics: dict[str, float | None]
    n: int
    n_failed: int = 0


@dataclass
class GradedBenchReport:
    """Everything the report of one graded or ranked file shows."""

    file: str
    task: Task
    """``single`` (grading) or ``multi`` (ranking)."""
    rows: list[GradedRow]
    n_unmatched: int = 0
    """Gold records without a prediction, or predictions without gold, left out."""
    scatter: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)
    """Judge name to (gold grades, predicted grades), single-answer files only."""
    plots: list[str] = field(default_factory=list)


def read_graded_bench(gold_path: str | Path, judges: dict[str, Path], limit: int | None = None) -> GradedBenchReport:
    """Score judges' output files on a graded (single-answer) or ranked (multi-answer) gold file.

    Args:
        gold_path: the gold file (``score`` per answer, or a ``label`` naming the best answer).
        judges: judge name to its output file (``judgeforge judge`` output with ``pred_score``).
        limit: use only the first ``limit`` gold records.

    Returns:
        The report, one row per judge then the answer-length baseline (on the first judge's records).

    Raises:
        DataError: no judge, or a judge's file shares no valid record with the gold file.
    """
    if not judges:
        raise DataError(f"{gold_path}: no judge output to report")
    judge_rows: list[GradedRow] = []
    baseline_rows: list[GradedRow] = []
    scatter: dict[str, tuple[list[float], list[float]]] = {}
    for name, path in judges.items():
        matched = read_score_rows(gold_path, path, limit=limit)
        metrics, base = score_metrics(matched, baselines=not baseline_rows)
        judge_rows.append(GradedRow(name, "judge", dict(metrics.metrics), metrics.n, metrics.n_parse_failed))
        baseline_rows += [GradedRow(b.replace("_", " "), "baseline", v, metrics.n) for b, v in base.items()]
        if matched.task == "single":
            scored = [(g[0], p[0]) for g, _, p, _ in matched.rows if g is not None and p is not None]
            scatter[name] = ([g for g, _ in scored], [p for _, p in scored])
    return GradedBenchReport(
        Path(gold_path).name, matched.task, judge_rows + baseline_rows, len(matched.unmatched), scatter
    )


def _cell(header: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{100 * value:.1f}" if header.endswith("%") else f"{value:.3f}"


def table_markdown(report: GradedBenchReport) -> str:
    """One row per judge and baseline."""
    columns = COLUMNS[report.task]
    lines = [
        "| judge | kind | n | " + " | ".join(h for _, h in columns) + " | failed |",
        "|---|---|---:|" + "---:|" * (len(columns) + 1),
    ]
    for row in report.rows:
        cells = " | ".join(_cell(h, row.metrics.get(k)) for k, h in columns)
        lines.append(f"| {row.name} | {row.kind} | {row.n} | {cells} | {row.n_failed} |")
    return "\n".join(lines)


def to_markdown(report: GradedBenchReport) -> str:
    """The report as Markdown: what the task is, the table, the plots."""
    what = (
        "Single-answer grading: correlations of the judge's grades with the gold grades (Kendall tau-b), and the "
        "mean absolute error on the gold scale. The answer-length baseline grades by length in characters "
        "(its MAE is meaningless)."
        if report.task == "single"
        else "Multi-answer ranking: mean per-sample Kendall tau-b with the gold scores, agreement on the answer "
        "pairs gold orders, and how often the top answer is gold's best. The answer-length baseline ranks "
        "the longer answers first."
    )
    out = [f"## {report.file}", "", what]
    if report.n_unmatched:
        out.append(f"{report.n_unmatched} records without a match on the other side were left out.")
    out += ["", table_markdown(report)]
    if report.plots:
        out += ["", "### Plots", ""] + [f"![{Path(p).stem}]({Path(p).name})" for p in report.plots]
    return "\n".join(out)


def to_json(report: GradedBenchReport) -> dict[str, Any]:
    """The report as JSON-ready data (fractions, not percentages)."""
    return {
        "file": report.file,
        "task": report.task,
        "n_unmatched": report.n_unmatched,
        "rows": [
            {"name": r.name, "kind": r.kind, "n": r.n, "n_failed": r.n_failed, "metrics": r.metrics}
            for r in report.rows
        ],
        "plots": [Path(p).name for p in report.plots],
    }


def write_graded_bench(report: GradedBenchReport, out_dir: str | Path, draw: bool = True) -> list[Path]:
    """Write ``report.md``, ``report.json`` and (with ``draw``, single-answer files) one scatter plot per
    judge into ``out_dir``; return the files written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if draw:
        for name, (gold, pred) in list(report.scatter.items())[:4]:
            slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-")
            pearson = next(r.metrics.get("pearson") for r in report.rows if r.name == name)
            title = f"{name} on {report.file}: Pearson " + ("n/a" if pearson is None else f"{pearson:.3f}")
            path = plots.plot_grade_scatter(gold, pred, title, out_dir / f"grades-{slug}.png")
            report.plots.append(str(path))
    md, js = out_dir / "report.md", out_dir / "report.json"
    md.write_text(to_markdown(report) + "\n", encoding="utf-8")
    js.write_text(json.dumps(to_json(report), indent=1) + "\n", encoding="utf-8")
    return [md, js, *map(Path, report.plots)]


def summary_markdown(reports: list[GradedBenchReport]) -> str:
    """One table across graded and ranked files: each judge's and baseline's headline correlation."""
    names: list[str] = []
    for rep in reports:
        names += [r.name for r in rep.rows if r.name not in names]
    lines = ["| file | task | n | " + " | ".join(names) + " |", "|---|---|---:|" + "---:|" * len(names)]
    for rep in reports:
        by_name = {r.name: r.metrics for r in rep.rows}
        key = "pearson" if rep.task == "single" else "kendall"
        cells = [_cell("", by_name[n].get(key)) if n in by_name else "" for n in names]
        lines.append(f"| {rep.file} | {rep.task} | {rep.rows[0].n} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n\nCells: Pearson with the gold grades (single) or mean Kendall tau-b (multi)."
