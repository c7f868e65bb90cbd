"""Judging the judges: pure metric functions and report rendering."""

from judgeforge.metrics.agreement import compute_agreement
from judgeforge.metrics.consistency import compute_consistency
from judgeforge.metrics.report import compute_report, to_markdown

__all__ = ["compute_agreement", "compute_consistency", "compute_report", "to_markdown"]
