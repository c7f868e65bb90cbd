"""``eval`` for graded and ranked answers: single-answer gold grades and multi-answer gold scores.

The gold file's records decide the task (:func:`gold_task`): ``answer_body`` with a numeric
``score`` is single-answer grading (correlations and MAE of the predicted grades); three or more
answers are multi-answer ranking (Kendall tau with gold scores, else agreement with the gold best
answer); everything else is pairwise and left to :mod:`judgeforge.judging.evaluate`. As there,
nothing is scored silently on a subset: unmatched, duplicate and invalid records are counted and
refused unless ``allow_partial``; records the judge could not grade are counted as parse failures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from judgeforge.data.load import answer_fields, check_jsonl, iter_jsonl
from judgeforge.errors import DataError
from judgeforge.judging.evaluate import _read_keyed
from judgeforge.metrics.correlation import best_answer_agreement, ranking_agreement, score_correlation
from judgeforge.records import MetricReport

Task = Literal["pair", "single", "multi"]
_Row = tuple[list[float] | None, int | None, list[float] | None, list[float]]
"""Gold scores, gold best answer, predicted scores, answer lengths in characters."""


def gold_task(path: str | Path) -> Task:
    """The task a gold file holds, from the fields of its first readable record.

    Returns:
        ``single`` (``answer_body`` and a numeric ``score``), ``multi`` (three or more answers),
        else ``pair``.
    """
    for item in iter_jsonl(path):
        if item.record is None:
            continue
        fields = answer_fields(item.record)
        if fields == ["answer_body"]:
            return "single"
        return "multi" if len(fields) > 2 else "pair"
    return "pair"


def _numbers(value: Any, n: int | None, name: str, where: str) -> list[float]:
    values = value if isinstance(value, list) else [value]
    ok = all(type(v) in (int, float) and math.isfinite(v) for v in values) and (n is None or len(values) == n)
    if not ok:
        count = "a number" if n == 1 else f"{n} numbers" if n else "finite numbers"
        raise DataError(f"{where}: field '{name}' must be {count}, got {value!r:.60}")
    return [float(v) for v in values]


def _gold(rec: dict[str, Any], task: Task, where: str) -> tuple[list[float] | None, int | None]:
    """Gold scores (one per answer) or, for multi-answer records without them, the gold best answer."""
    n = len(answer_fields(rec))
    if task == "single":
        if rec.get("score") is None:
            raise DataError(f"{where}: no gold grade: field 'score' is missing")
        return _numbers(rec["score"], 1, "score", where), None
    if n < 3:
        raise DataError(f"{where}: a multi-answer gold record needs answer1_body..answerN_body (N >= 3)")
    if rec.get("score") is not None:
        return _numbers(rec["score"], n, "score", where), None
    if type(rec.get("label")) is int and 0 <= rec["label"] <= n:
        return None, rec["label"]
    raise DataError(f"{where}: no gold ranking: expected 'score' (one per answer) or 'label' (the best answer)")


def _pred(rec: dict[str, Any], n: int, where: str) -> list[float] | None:
    """Predicted scores (``None``: the judge could not grade the record)."""
    if "status" in rec and rec["status"] != "ok":
        return None
    if "pred_score" not in rec:
        raise DataError(f"{where}: no prediction: expected 'pred_score' (one score per answer)")
    return None if rec["pred_score"] is None else _numbers(rec["pred_score"], n, "pred_score", where)


@dataclass
class ScoreRows:
    """A gold file and a prediction file matched by ``question_id`` (what the metrics read)."""

    task: Task
    rows: list[_Row] = field(default_factory=list)
    """One row per matched, valid record, in gold file order."""
    unmatched: list[str] = field(default_factory=list)
    duplicate: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return self.unmatched + self.duplicate + self.invalid


def read_score_rows(gold_path: str | Path, pred_path: str | Path, *, limit: int | None = None) -> ScoreRows:
    """Match a graded or ranked gold file with a judge's output, record by record.

    Args:
        gold_path: gold records (see :func:`evaluate_score_files`).
        pred_path: records with ``pred_score`` (and ``status``).
        limit: use only the first ``limit`` gold records (as ``judge --limit`` judges them).

    Raises:
        DataError: the gold file is pairwise, or a file is not JSON Lines.
    """
    task = gold_task(gold_path)
    if task == "pair":
        raise DataError(f"{gold_path}: pairwise gold; use evaluate_files")
    for path in (gold_path, pred_path):
        check_jsonl(path)
    gold, preds = _read_keyed(Path(gold_path)), _read_keyed(Path(pred_path))
    if limit is not None:
        gold.rows = dict(list(gold.rows.items())[:limit])
    out = ScoreRows(task, invalid=gold.invalid + preds.invalid, duplicate=gold.duplicate + preds.duplicate)
    out.unmatched = [f"{gold_path}: question_id {q!r} has no prediction" for q in gold.rows if q not in preds.rows]
    out.unmatched += [
        f"{pred_path}: question_id {q!r} is not in the gold file" for q in preds.rows if q not in gold.rows
    ]
    for q, (where, rec) in gold.rows.items():
        if q not in preds.rows:
            continue
        try:
            scores, best = _gold(rec, task, where)
            pred = _pred(preds.rows[q][1], len(answer_fields(rec)), preds.rows[q][0])
        except DataError as e:
            out.invalid.append(str(e))
            continue
        lengths = [float(len(rec[f])) if isinstance(rec[f], str) else 0.0 for f in answer_fields(rec)]
        out.rows.append((scores, best, pred, lengths))
    return out


def score_metrics(
    matched: ScoreRows, *, baselines: bool = False
) -> tuple[MetricReport, dict[str, dict[str, float | None]]]:
    """The task's metrics of matched rows, the records the judge could not grade counted as failures.

    Raises:
        DataError: no row to score.
    """
    rows = matched.rows
    if not rows:
        raise DataError("no record with a valid grade on both sides")
    graded = [r for r in rows if r[2] is not None]
    failed = len(rows) - len(graded)
    metrics, base = _metrics(matched.task, graded, baselines)
    metrics["parse_failure_rate"] = failed / len(rows)
    report = MetricReport(
        n=len(rows),
        n_parse_failed=failed,
        metrics=metrics,
        config={"task": matched.task, "on_parse_failure": "skip", "n_scored": len(graded)},
        n_unmatched=len(matched.unmatched),
        n_duplicate=len(matched.duplicate),
        n_invalid=len(matched.invalid),
    )
    return report, base


def evaluate_score_files(
    gold_path: str | Path, pred_path: str | Path, *, allow_partial: bool = False, baselines: bool = False
) -> tuple[MetricReport, dict[str, dict[str, float | None]]]:
    """Single-answer grading or multi-answer ranking metrics of a judge's output against gold.

    Args:
        gold_path: gold records (``score`` a number for single answers; one per answer, or a
            ``label`` naming the best answer, for multi-answer records).
        pred_path: ``judge`` output (``pred_score`` and ``status``), or records with ``pred_score``.
        allow_partial: score the clean matches even when records are unmatched, duplicated or invalid.
        baselines: also compute the answer-length baseline (longer answer = higher grade).

    Returns:
        The report (``metrics``: single: ``pearson``, ``spearman``, ``kendall``, ``mae``; multi:
        ``kendall``, ``pairwise_agreement``, ``top1_accuracy``; both: ``parse_failure_rate``) and
        the baselines' metrics by name (empty unless ``baselines``).

    Raises:
        DataError: records were left out and ``allow_partial`` is false, or nothing could be scored.
    """
    matched = read_score_rows(gold_path, pred_path)
    problems = matched.problems
    if problems and not allow_partial:
        raise DataError(
            f"{len(matched.unmatched)} unmatched, {len(matched.duplicate)} duplicate and {len(matched.invalid)} "
            f"invalid records (first: {problems[0]}); fix the files, or pass --allow-partial to score the "
            f"{len(matched.rows)} clean matches"
        )
    if not matched.rows:
        raise DataError(f"no question_id of {pred_path} is in {gold_path} with a valid grade on both sides")
    return score_metrics(matched, baselines=baselines)


def _metrics(
    task: Task, graded: list[_Row], with_baselines: bool
) -> tuple[dict[str, float | None], dict[str, dict[str, float | None]]]:
    """The task's metrics over the graded rows and, when asked, those of the answer-length baseline."""
    lengths = [n for *_, n in graded]
    if task == "single":
        gold = [g[0] for g, *_ in graded if g is not None]
        metrics = score_correlation(gold, [p[0] for _, _, p, _ in graded if p is not None])
        if not with_baselines:
            return dict(metrics), {}
        # lengths are not grades: only the correlations of the baseline mean something, not its MAE
        return dict(metrics), {"answer_length": {**score_correlation(gold, [n[0] for n in lengths]), "mae": None}}
    preds = [p for _, _, p, _ in graded if p is not None]
    golds = [g for g, *_ in graded if g is not None]
    if golds and len(golds) < len(graded):
        raise DataError("some multi-answer gold records have gold scores and others only a label")
    if golds:
        metrics, base = ranking_agreement(golds, preds), ranking_agreement(golds, lengths)
    else:
        best = [b for _, b, *_ in graded if b is not None]
        metrics, base = best_answer_agreement(best, preds), best_answer_agreement(best, lengths)
    return dict(metrics), ({"answer_length": dict(base)} if with_baselines else {})
