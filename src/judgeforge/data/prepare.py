"""Build judge samples from the answer files users already have.

:mod:`judgeforge.data.formats` converts each format (JudgeLM answer files, alpaca_eval
``model_outputs.json``, FastChat MT-bench question and answer files) to canonical records; this
module checks the inputs and picks the converter. One answer per question gives single-answer
samples to grade, two give pairwise samples, more give multi-answer samples.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from judgeforge.data.formats import CONVERTERS, FORMATS
from judgeforge.errors import DataError


def prepare_samples(
    answer_files: list[Path], reference_file: Path | None = None, format: str = "judgelm"
) -> list[dict[str, Any]]:
    """Join answer files into canonical judge records.

    Args:
        answer_files: answer files in answer order, one or more (``fastchat``: ``question.jsonl`` first,
            then two or more).
        reference_file: optional reference answers, in the same format as the answer files.
        format: ``judgelm`` (answer JSONL joined on ``question_id``), ``alpaca_eval``
            (``model_outputs.json`` joined on the instruction), ``fastchat`` (MT-bench, one pair per
            turn) or ``graded`` (graded single answers grouped by question into ranking samples).

    Returns:
        Canonical records (``question_id``, ``question_body``, ``answerK_body`` and
        ``answerK_model_id``, or ``answer_body`` and ``answer_model_id`` from one file; optional
        ``reference``, ``history`` and ``meta``) for the questions present in every file; the others
        are skipped with a warning that counts them.

    Raises:
        DataError: an unknown format, too few files, or a bad line or field.
    """
    if format not in CONVERTERS:
        raise DataError(f"unknown format {format!r}: choose one of {', '.join(FORMATS)}")
    if not answer_files:
        raise DataError("prepare needs an answer file")
    return CONVERTERS[format](answer_files, reference_file)
