"""Build judge samples from JudgeLM-style answer files.

An answer file has one line per question: ``question_id``, ``question_body`` and ``text`` (the
model's answer), optionally ``model_id``. Two files give pairwise samples, more give multi-answer
samples; a reference file (``question_id`` and ``text`` or ``reference``) adds references.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from judgeforge.data.load import iter_jsonl
from judgeforge.errors import DataError

logger = logging.getLogger(__name__)


def _read_answers(path: Path) -> dict[str, dict[str, Any]]:
    answers: dict[str, dict[str, Any]] = {}
    for item in iter_jsonl(path):
        if item.error:
            raise DataError(item.error)
        rec = item.record
        assert rec is not None
        where = f"{path}:{item.line}"
        qid = rec.get("question_id")
        if isinstance(qid, bool) or not isinstance(qid, (str, int)):
            raise DataError(f"{where}: field 'question_id' must be a string or integer")
        text = rec.get(
            "text", (rec.get("reference") or {}).get("text") if isinstance(rec.get("reference"), dict) else None
        )
        if not isinstance(text, str):
            raise DataError(f"{where}: field 'text' (the answer) must be a string")
        if str(qid) in answers:
            raise DataError(f"{where}: duplicate question_id {qid!r}")
        answers[str(qid)] = {**rec, "text": text}
    return answers


def prepare_samples(answer_files: list[Path], reference_file: Path | None = None) -> list[dict[str, Any]]:
    """Join answer files on ``question_id`` into canonical judge records.

    Args:
        answer_files: two or more answer files; their order is the answer order.
        reference_file: optional file of reference answers.

    Returns:
        Canonical records (``question_id``, ``question_body``, ``answerK_body``, ``answerK_model_id``,
        ``reference``), for the questions present in every answer file, in the first file's order.

    Raises:
        DataError: a bad line, fewer than two files, or a missing question body.
    """
    if len(answer_files) < 2:
        raise DataError("prepare needs at least two answer files")
    tables = [_read_answers(p) for p in answer_files]
    references = _read_answers(reference_file) if reference_file else {}
    common = [q for q in tables[0] if all(q in t for t in tables[1:])]
    dropped = len(tables[0]) - len(common)
    if dropped:
        logger.warning("%d questions of %s are missing from another answer file; skipped", dropped, answer_files[0])
    records = []
    for qid in common:
        first = tables[0][qid]
        question = first.get("question_body")
        if not isinstance(question, str):
            raise DataError(f"{answer_files[0]}: question {qid!r}: field 'question_body' must be a string")
        rec: dict[str, Any] = {"question_id": first["question_id"], "question_body": question}
        for k, table in enumerate(tables, start=1):
            rec[f"answer{k}_body"] = table[qid]["text"]
        for k, table in enumerate(tables, start=1):
            rec[f"answer{k}_model_id"] = table[qid].get("model_id")
        if reference_file is not None:
            if qid not in references:
                raise DataError(f"{reference_file}: no reference for question_id {qid!r}")
            rec["reference"] = {"text": references[qid]["text"]}
        records.append(rec)
    return records
