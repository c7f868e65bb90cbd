"""Converters from the formats users already have to canonical judge records.

Each converter is a pure function of file contents (read here, never written) that returns
canonical records: the JudgeLM-named dicts that :func:`judgeforge.data.load.sample_from_record`
reads. :mod:`judgeforge.data.prepare` picks the converter; the CLI's ``prepare`` calls it.

- ``judgelm``: JudgeLM answer files (``question_id``, ``question_body``, ``text``, ``model``),
  joined on ``question_id``.
- ``alpaca_eval``: alpaca_eval ``model_outputs.json`` files (a JSON list of ``instruction``,
  ``output``, ``generator``, ``dataset``...), joined on the instruction text.
- ``fastchat``: FastChat's MT-bench layout: ``question.jsonl`` (``question_id``, ``category``,
  ``turns``) and ``model_answer/<model>.jsonl`` files (``question_id``, ``model_id``,
  ``choices: [{index, turns}]``); one pair per turn, the second with the first turn as ``history``.
- ``graded``: canonical single-answer files with gold grades, grouped by question into
  multi-answer ranking records (:mod:`judgeforge.data.grouping`).

A question missing from some of the files is skipped with a warning that says how many were
skipped and from which file; every other problem is a :class:`DataError` naming file, line or
item, and field.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from judgeforge.data.load import iter_jsonl, sample_from_record
from judgeforge.errors import DataError
from judgeforge.records import JudgeSample

logger = logging.getLogger(__name__)

Format = Literal["judgelm", "alpaca_eval", "fastchat", "graded"]
FORMATS: tuple[str, ...] = ("judgelm", "alpaca_eval", "fastchat", "graded")


def _read_jsonl(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """``(where, record)`` for every line; the first unreadable line is an error."""
    rows = []
    for item in iter_jsonl(path):
        if item.error:
            raise DataError(item.error)
        assert item.record is not None
        rows.append((f"{path}:{item.line}", item.record))
    return rows


def _qid(record: Mapping[str, Any], where: str) -> str:
    qid = record.get("question_id")
    if isinstance(qid, bool) or not isinstance(qid, (str, int)):
        raise DataError(f"{where}: field 'question_id' must be a string or integer, got {qid!r:.40}")
    return str(qid)


def _text(record: Mapping[str, Any], field: str, where: str) -> str:
    value = record.get(field)
    if not isinstance(value, str):
        kind = "missing" if value is None else f"a {type(value).__name__}"
        raise DataError(f"{where}: field '{field}' must be a string, got {kind}")
    return value


def _warn_missing(paths: list[Path], keys: list[set[str]], what: str) -> set[str]:
    """Keys present in every file (callers keep the first file's order); warn about the rest."""
    common = set.intersection(*keys)
    for path, own in zip(paths, keys):
        if missing := len(own - common):
            logger.warning(
                "%s: %d of its %d %s are missing from another input file and are skipped",
                path,
                missing,
                len(own),
                what,
            )
    return common


def _pair_record(qid: str, question: str, answers: list[str], models: list[str | None]) -> dict[str, Any]:
    """A canonical record: one answer is single-answer grading (``answer_body``), more are a pair or
    a multi-answer sample (``answerK_body``)."""
    rec: dict[str, Any] = {"question_id": qid, "question_body": question}
    if len(answers) == 1:
        return rec | {"answer_body": answers[0], "answer_model_id": models[0]}
    rec |= {f"answer{k}_body": a for k, a in enumerate(answers, start=1)}
    rec |= {f"answer{k}_model_id": m for k, m in enumerate(models, start=1)}
    return rec


# -- JudgeLM answer files ------------------------------------------------------------------------


def _judgelm_answers(path: Path) -> dict[str, tuple[str, dict[str, Any]]]:
    answers: dict[str, tuple[str, dict[str, Any]]] = {}
    for where, rec in _read_jsonl(path):
        qid = _qid(rec, where)
        reference = rec.get("reference")
        if "text" not in rec and isinstance(reference, dict):  # a reference file in canonical form
            rec = {**rec, "text": reference.get("text")}
        _text(rec, "text", where)
        if qid in answers:
            raise DataError(f"{where}: duplicate question_id {qid!r}")
        answers[qid] = (where, rec)
    return answers


def from_judgelm(answer_files: list[Path], reference_file: Path | None = None) -> list[dict[str, Any]]:
    """Join JudgeLM answer files (``question_id``, ``question_body``, ``text``, ``model``) on ``question_id``.

    Args:
        answer_files: two or more answer files; their order is the answer order.
        reference_file: optional answers to use as references (``text`` or ``reference.text``).

    Returns:
        Canonical records in the first file's order; model ids from ``model_id``, else JudgeLM's ``model``.

    Raises:
        DataError: a bad line, a missing question body, or a question without a reference.
    """
    tables = [_judgelm_answers(p) for p in answer_files]
    references = _judgelm_answers(reference_file) if reference_file else {}
    common = _warn_missing(answer_files, [set(t) for t in tables], "questions")
    records = []
    for qid in (q for q in tables[0] if q in common):
        where, first = tables[0][qid]
        rows = [t[qid][1] for t in tables]
        rec = _pair_record(
            first["question_id"],
            _text(first, "question_body", where),
            [r["text"] for r in rows],
            [r.get("model_id", r.get("model")) for r in rows],
        )
        if reference_file is not None:
            if qid not in references:
                raise DataError(f"{reference_file}: no reference for question_id {qid!r}")
            rec["reference"] = {"text": references[qid][1]["text"]}
        records.append(rec)
    return records


# -- alpaca_eval model_outputs.json --------------------------------------------------------------


def _alpaca_outputs(path: Path) -> dict[str, tuple[int, dict[str, Any]]]:
    """Instruction text → (index, item) of one ``model_outputs.json``."""
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: not a JSON file ({e})") from None
    if not isinstance(items, list):
        raise DataError(f"{path}: expected a JSON list of model outputs, got {type(items).__name__}")
    outputs: dict[str, tuple[int, dict[str, Any]]] = {}
    for i, item in enumerate(items):
        where = f"{path}: item {i}"
        if not isinstance(item, dict):
            raise DataError(f"{where}: expected an object, got {type(item).__name__}")
        instruction = _text(item, "instruction", where)
        _text(item, "output", where)
        if instruction in outputs:
            raise DataError(f"{where}: the same instruction as item {outputs[instruction][0]} ({instruction!r:.60})")
        outputs[instruction] = (i, item)
    return outputs


def from_alpaca_eval(output_files: list[Path], reference_file: Path | None = None) -> list[dict[str, Any]]:
    """Join alpaca_eval ``model_outputs.json`` files on the instruction text.

    Args:
        output_files: two or more model output files; their order is the answer order.
        reference_file: optional outputs (same format) to show as reference answers.

    Returns:
        Canonical records in the first file's order, ``question_id`` ``alpaca_eval-<index in the
        first file>``, ``generator`` as the model id, ``dataset`` kept in ``meta``.

    Raises:
        DataError: a file that is not a JSON list, an item without ``instruction``/``output``, a
            repeated instruction, or an instruction without a reference.
    """
    tables = [_alpaca_outputs(p) for p in output_files]
    references = _alpaca_outputs(reference_file) if reference_file else {}
    common = _warn_missing(output_files, [set(t) for t in tables], "instructions")
    records = []
    for instruction in (q for q in tables[0] if q in common):
        index, first = tables[0][instruction]
        rows = [t[instruction][1] for t in tables]
        rec = _pair_record(
            f"alpaca_eval-{index}", instruction, [r["output"] for r in rows], [r.get("generator") for r in rows]
        )
        if reference_file is not None:
            if instruction not in references:
                raise DataError(f"{reference_file}: no output for instruction {instruction!r:.60}")
            rec["reference"] = {"text": references[instruction][1]["output"]}
        if "dataset" in first:
            rec["meta"] = {"dataset": first["dataset"]}
        records.append(rec)
    return records


# -- FastChat MT-bench ---------------------------------------------------------------------------


def _turns(value: Any, where: str, field: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(t, str) for t in value):
        raise DataError(f"{where}: field '{field}' must be a non-empty list of strings")
    return value


def _fastchat_answers(path: Path) -> tuple[str, dict[str, list[str]]]:
    """The model id and question id → answer turns of one ``model_answer/<model>.jsonl`` file."""
    model = path.stem
    answers: dict[str, list[str]] = {}
    for where, rec in _read_jsonl(path):
        if "turns" in rec and "choices" not in rec:
            raise DataError(f"{where}: this is a question file; give question.jsonl first, then answer files")
        qid = _qid(rec, where)
        choices = rec.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise DataError(f"{where}: field 'choices' must be a list of {{index, turns}} objects")
        if qid in answers:
            raise DataError(f"{where}: duplicate question_id {qid!r}")
        answers[qid] = _turns(choices[0].get("turns"), where, "choices[0].turns")
        if isinstance(rec.get("model_id"), str):
            model = rec["model_id"]
    return model, answers


def from_fastchat(files: list[Path], reference_file: Path | None = None) -> list[dict[str, Any]]:
    """MT-bench questions and model answers to pairs, one per turn.

    The first-turn record is ``question_id`` ``<id>-turn1`` with the first question. The
    second-turn record ``<id>-turn2`` has the second question, the models' second answers, and the
    first user turn in ``history``; the models' own first answers differ, so they cannot share a
    history: they are kept in ``meta.first_turn_answers`` (in answer order).

    Args:
        files: ``question.jsonl`` first, then two or more ``model_answer/<model>.jsonl`` files.
        reference_file: ``reference_answer/<model>.jsonl`` (same layout as an answer file); its
            turns become each turn's reference. Questions it lacks get none (FastChat has
            references only for some categories); otherwise a question's own ``reference`` list is used.

    Returns:
        Canonical records in question order, ``category`` and ``turn`` in ``meta``.

    Raises:
        DataError: a bad line or field, fewer than two answer files.
    """
    if len(files) < 3:
        raise DataError("fastchat format needs question.jsonl and at least two model_answer files")
    questions: dict[str, tuple[str, dict[str, Any]]] = {}
    for where, rec in _read_jsonl(files[0]):
        if "choices" in rec:
            raise DataError(f"{where}: this is an answer file; give question.jsonl first")
        qid = _qid(rec, where)
        _turns(rec.get("turns"), where, "turns")
        questions[qid] = (where, rec)
    answer_files = files[1:]
    tables = [_fastchat_answers(p) for p in answer_files]
    models = [m for m, _ in tables]
    common = _warn_missing([files[0], *answer_files], [set(questions)] + [set(t) for _, t in tables], "questions")
    references = _fastchat_answers(reference_file)[1] if reference_file else {}
    records = []
    for qid in (q for q in questions if q in common):
        _, question = questions[qid]
        turns = question["turns"]
        own = question.get("reference")  # some MT-bench questions carry their references
        ref_turns = references.get(qid) or (own if isinstance(own, list) else None)
        for turn in range(min(len(turns), 2)):
            answers = [t[qid] for _, t in tables]
            if any(len(a) <= turn for a in answers):
                logger.warning("question %s: an answer file has no turn %d; that pair is skipped", qid, turn + 1)
                continue
            rec = _pair_record(f"{qid}-turn{turn + 1}", turns[turn], [a[turn] for a in answers], list(models))
            if turn == 1:
                rec["history"] = [{"role": "user", "content": turns[0]}]
            # MT-bench leaves some second-turn references empty (""): no reference, not an empty one
            if ref_turns and len(ref_turns) > turn and isinstance(ref_turns[turn], str) and ref_turns[turn].strip():
                rec["reference"] = {"text": ref_turns[turn]}
            meta: dict[str, Any] = {"question_id": question["question_id"], "turn": turn + 1}
            if "category" in question:
                meta["category"] = question["category"]
            if turn == 1:
                meta["first_turn_answers"] = [a[0] for a in answers]
            rec["meta"] = meta
            records.append(rec)
    return records


def _from_graded(files: list[Path], reference_file: Path | None = None) -> list[dict[str, Any]]:
    from judgeforge.data.grouping import from_graded  # imports this module's reader: import late

    return from_graded(files, reference_file)


CONVERTERS = {
    "judgelm": from_judgelm,
    "alpaca_eval": from_alpaca_eval,
    "fastchat": from_fastchat,
    "graded": _from_graded,
}


def samples_from_rows(rows: Iterable[Mapping[str, Any]], name: str = "rows") -> list[JudgeSample]:
    """Turn canonical rows (a ``datasets.Dataset``, a list of dicts...) into judge samples.

    Args:
        rows: objects with the canonical field names (``question_id``, ``question_body``,
            ``answer1_body``...); a Hugging Face ``datasets.Dataset`` iterates as such dicts.
        name: how errors name the source (``"<name>: row <i>"``).

    Returns:
        One sample per row, in order.

    Raises:
        DataError: naming the first bad row and its field.
    """
    samples = []
    for i, row in enumerate(rows):
        # Arrow fills columns a row lacks with None; drop them so optional fields read as absent.
        record = {k: v for k, v in dict(row).items() if v is not None}
        samples.append(sample_from_record(record, f"{name}: row {i}"))
    return samples
