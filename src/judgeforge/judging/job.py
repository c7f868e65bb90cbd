"""The resumable file job: JSONL in, one output line per input line, safe to kill and resume.

Beside ``OUT`` the job keeps ``OUT.meta.json`` (a hash of every input line and the judge settings,
written before the first record) and ``OUT.lock`` (held while a process writes ``OUT``). ``--resume``
continues only the job that wrote ``OUT``: same input bytes, same settings; anything else is
refused before ``OUT`` is touched.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from filelock import FileLock, Timeout
from pydantic import ValidationError

from judgeforge.data.load import LineResult, answer_fields, check_jsonl, iter_jsonl, sample_from_record, sample_warnings
from judgeforge.engines.base import Engine
from judgeforge.errors import ConfigError, DataError
from judgeforge.judging.output import bad_input, output_record
from judgeforge.judging.run import JudgeConfig, judge_samples, without_idle_sampling
from judgeforge.records import FailureKind, JudgeOutput, JudgeSample, OutputStatus, Verdict

META_FORMAT = 1

JudgeFn = Callable[[Sequence[JudgeSample]], list[Verdict | DataError]]
"""Samples in, one verdict (or the error that kept it from being judged) out per sample, in order."""


@dataclass
class RunSummary:
    """What a :func:`judge_file` run did."""

    total: int = 0
    """Input records (non-blank lines) in the job."""
    skipped_done: int = 0
    """Records already in the output from an earlier run (``resume``)."""
    retried: int = 0
    """Records of an earlier run judged again (``engine_error``; ``parse_failed`` with ``retry_failed``)."""
    from_cache: int = 0
    """Engine answers served from the engine's cache in this run (OpenAI engine)."""
    statuses: Counter[str] = field(default_factory=Counter)
    """Output records of the job's input lines by status."""
    escalated: int = 0
    """Output records of the job's input lines that a confidence cascade's second judge decided."""

    @property
    def failed(self) -> int:
        """Records whose status is not ``ok``."""
        return sum(n for status, n in self.statuses.items() if status != OutputStatus.OK.value)

    def failure_problem(self, max_failure_rate: float = 1.0) -> str | None:
        """Why this run should not count as a success, or ``None``.

        Args:
            max_failure_rate: the largest acceptable fraction of records that are not ``ok``.

        Returns:
            A message when every record failed or more than ``max_failure_rate`` of them did.
        """
        n = sum(self.statuses.values())
        if not n or not self.failed:
            return None
        if self.failed == n:
            return f"every record failed ({dict(self.statuses)})"
        if self.failed / n > max_failure_rate:
            rate = self.failed / n
            return f"{self.failed} of {n} records failed ({rate:.1%}), above the maximum of {max_failure_rate:.1%}"
        return None


def _meta_path(output: Path) -> Path:
    return output.with_name(output.name + ".meta.json")


def check_output(output: Path, resume: bool) -> None:
    """Fail early on an output that cannot be written: an earlier run's (unless resuming), a folder,
    a path under a file, a read-only folder, or a ``.gz`` name (the job writes plain JSONL)."""
    output = Path(output)
    if output.is_dir():
        raise ConfigError(f"{output} is a folder: give a file name for the output")
    if output.exists() and not resume:
        raise ConfigError(f"{output} exists: pass --resume to continue it, or choose another output")
    if output.suffix == ".gz":
        raise ConfigError(f"{output}: the output is plain JSON Lines; name it .jsonl")
    folder = output.parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise ConfigError(f"{output}: cannot create it, {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK) or (output.exists() and not os.access(output, os.W_OK)):
        raise ConfigError(f"{output}: not writable (permission denied on {folder if not output.exists() else output})")


def job_settings(config: JudgeConfig, engine_settings: Mapping[str, Any]) -> dict[str, Any]:
    """What defines a job's results: the judging settings (not the chunk size) and the engine's."""
    judge = without_idle_sampling({k: v for k, v in dataclasses.asdict(config).items() if k != "chunk_size"})
    return json.loads(json.dumps({"judge": judge, "engine": dict(engine_settings)}, sort_keys=True, default=str))


def engine_settings(engine: Engine) -> dict[str, Any]:
    """The settings an engine object shows: its class, model name (when it has a string one) and prompt limit."""
    model = getattr(engine, "model", None)
    return {
        "engine": type(engine).__name__,
        "model": model if isinstance(model, str) else None,
        "max_prompt_tokens": getattr(engine, "max_prompt_tokens", None),
    }


def _meta(items: list[LineResult], settings: dict[str, Any]) -> dict[str, Any]:
    lines = {str(it.line): it.digest[:16] for it in items}
    digest = hashlib.sha256(json.dumps(lines, sort_keys=True).encode()).hexdigest()
    return {"format": META_FORMAT, "input_sha256": digest, "lines": lines, "settings": settings}


def _diff(old: Any, new: Any, prefix: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        return [d for k in sorted(set(old) | set(new)) for d in _diff(old.get(k), new.get(k), f"{prefix}{k}.")]
    return [] if old == new else [f"{prefix.rstrip('.')}: {old!r} then, {new!r} now"]


def _verify_resume(output: Path, meta: dict[str, Any], input_path: Path) -> None:
    """Refuse to resume an output written from other input bytes or with other settings."""
    path = _meta_path(output)
    if not path.exists():
        if output.exists() and output.stat().st_size:
            raise ConfigError(
                f"cannot resume {output}: {path.name} is missing, so nothing says which input and settings "
                "wrote it; judge into a new output"
            )
        return
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
        old_lines, old_settings = old["lines"], old["settings"]
    except (ValueError, KeyError, TypeError) as e:
        raise ConfigError(f"cannot resume {output}: {path} is unreadable ({e})") from None
    if old_settings != meta["settings"]:
        changes = "; ".join(_diff(old_settings, meta["settings"]))
        raise ConfigError(
            f"cannot resume {output}: the judge settings differ from the run that wrote it ({changes}); "
            "judge into a new output (bench, leaderboard: another output folder)"
        )
    if old_lines != meta["lines"]:
        lines = sorted(set(old_lines) | set(meta["lines"]), key=int)
        first = next(n for n in lines if old_lines.get(n) != meta["lines"].get(n))
        raise ConfigError(
            f"cannot resume {output}: {input_path} line {first} differs from the input that wrote it "
            "(lines edited, inserted or deleted, or another file); judge into a new output"
        )


def _read_output(output: Path) -> dict[int, JudgeOutput]:
    """Records already in an output file, by input line (a later record of a line replaces an earlier
    one: a retry); drops a half-written last line left by a kill."""
    if not output.exists():
        return {}
    with open(output, "rb") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        f.seek(max(0, size - 1))
        partial = size > 0 and f.read(1) != b"\n"
    if partial:  # a kill mid-write: cut back to the last complete line
        data = output.read_bytes()
        with open(output, "r+b") as f:
            f.truncate(data.rfind(b"\n") + 1)
    records: dict[int, JudgeOutput] = {}
    for item in iter_jsonl(output):  # the reader every input goes through: lines end at \n only
        try:
            if item.record is None:
                raise ValueError(item.error)
            rec = JudgeOutput.model_validate(item.record)
        except (ValueError, ValidationError) as e:
            raise DataError(
                f"{output}:{item.line}: not a judgeforge output line ({str(e)[:200]}); cannot resume into this file"
            ) from None
        records[rec.input_line] = rec
    return records


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="ascii")
    tmp.replace(path)


def check_job(
    input_path: str | Path,
    output_path: str | Path,
    config: JudgeConfig,
    settings: Mapping[str, Any],
    *,
    resume: bool = False,
) -> None:
    """Everything :func:`judge_file` checks before judging, without an engine: call it before loading a model.

    Args:
        input_path: the input file.
        output_path: the output file.
        config: judging settings.
        settings: the engine settings that :func:`judge_file` will be given.
        resume: whether the job continues an earlier one.

    Raises:
        DataError: the input is not JSON Lines.
        ConfigError: the output cannot be written, or a resume does not match the earlier run.
    """
    input_path, output_path = Path(input_path), Path(output_path)
    check_output(output_path, resume)
    check_jsonl(input_path)
    if resume:
        _verify_resume(output_path, _meta(list(iter_jsonl(input_path)), job_settings(config, settings)), input_path)


class CountsCacheHits(Protocol):
    """What counts an engine's cache hits (an API engine's ``usage``)."""

    @property
    def cache_hits(self) -> int: ...


class HasUsage(Protocol):
    """A judge whose engine may keep a count of what it spent (``usage``: None before it loads)."""

    @property
    def usage(self) -> CountsCacheHits | None: ...


class CacheHits:
    """The cache hits of judges' engines, summed when read (an engine loads on first use, mid-run)."""

    def __init__(self, *judges: HasUsage) -> None:
        self.judges = judges

    @property
    def cache_hits(self) -> int:
        """Answers served from the engines' caches so far."""
        return sum(u.cache_hits for j in self.judges if (u := j.usage) is not None)


def judge_file(
    input_path: str | Path,
    output_path: str | Path,
    engine: Engine | None,
    config: JudgeConfig,
    *,
    resume: bool = False,
    retry_failed: bool = False,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    settings: Mapping[str, Any] | None = None,
    judge_fn: JudgeFn | None = None,
    usage: CountsCacheHits | None = None,
) -> RunSummary:
    """Judge every record of a JSONL file into an output JSONL file, one output line per input line.

    Bad lines get a ``bad_input`` record whose ``error`` names the file, line and field; the rest
    of the file goes on. Results are appended chunk by chunk and flushed, so a killed job loses at
    most one chunk; with ``resume`` the job skips the input lines already in the output and judges
    again those whose engine failed. When all lines are done, the output is rewritten in input order.

    Args:
        input_path: canonical judge records (``.jsonl`` or ``.jsonl.gz``).
        output_path: where to write; must not exist unless ``resume``.
        engine: the engine (with ``judge_fn``: ``None``, or the engine it uses).
        config: judging settings.
        resume: continue the interrupted job that wrote ``output_path`` (same input, same settings).
        retry_failed: on resume, also judge ``parse_failed`` records again.
        limit: judge only the first ``limit`` records.
        progress: called after each chunk with (records finished in this run, records to do in this run).
        settings: the engine settings that identify the judge (the CLI passes engine, model and prompt
            budget); default :func:`engine_settings` of ``engine``.
        judge_fn: judges a chunk of samples instead of ``judge_samples(samples, engine, config)``
            (a :class:`~judgeforge.judging.judge.Judge`'s ``judge``, or a reward model's).
        usage: what counts cache hits (its ``cache_hits``, read before and after the run); default
            the engine's ``usage``.

    Returns:
        A :class:`RunSummary`.

    Raises:
        DataError: the input is not JSON Lines, or the output holds lines judgeforge did not write.
        ConfigError: the output exists without ``resume``, is being written by another process, or
            was written from another input or with other settings.
    """
    input_path, output_path = Path(input_path), Path(output_path)
    if judge_fn is None:
        if engine is None:
            raise ConfigError("judge_file needs an engine or a judge_fn")
        judge_fn = _engine_judge(engine, config)
    if settings is None:
        if engine is None:
            raise ConfigError("judge_file needs the judge's settings (to check a resume) when it has no engine")
        settings = engine_settings(engine)
    check_output(output_path, resume)
    check_jsonl(input_path)
    all_items = list(iter_jsonl(input_path))
    meta = _meta(all_items, job_settings(config, settings))
    items = all_items[:limit] if limit is not None else all_items
    output_path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(output_path) + ".lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise ConfigError(
            f"{output_path} is being written by another judgeforge process (lock {lock.lock_file})"
        ) from None
    try:
        check_output(output_path, resume)  # again: another process may have written it since the first check
        if resume:
            _verify_resume(output_path, meta, input_path)
        if not resume or not _meta_path(output_path).exists():
            _write_atomic(_meta_path(output_path), json.dumps(meta))
        usage = usage if usage is not None else getattr(engine, "usage", None)
        return _run(items, input_path, output_path, judge_fn, usage, config, retry_failed, progress)
    finally:
        lock.release()


def _run(
    items: list[LineResult],
    input_path: Path,
    output_path: Path,
    judge_fn: JudgeFn,
    usage: CountsCacheHits | None,
    config: JudgeConfig,
    retry_failed: bool,
    progress: Callable[[int, int], None] | None,
) -> RunSummary:
    previous = _read_output(output_path)
    redo = {OutputStatus.ENGINE_ERROR} | ({OutputStatus.PARSE_FAILED} if retry_failed else set())
    done = {line for line, rec in previous.items() if rec.status not in redo}
    todo = [it for it in items if it.line not in done]
    summary = RunSummary(
        total=len(items),
        skipped_done=len(items) - len(todo),
        retried=sum(it.line in previous for it in todo),
    )
    cache_hits = usage.cache_hits if usage is not None else 0
    with open(output_path, "a", encoding="ascii") as out:
        for start in range(0, len(todo), config.chunk_size):
            chunk = todo[start : start + config.chunk_size]
            out.write("".join(r.to_json_line() for r in _judge_chunk(chunk, input_path, judge_fn)))
            out.flush()
            os.fsync(out.fileno())
            if progress:
                progress(start + len(chunk), len(todo))
    summary.from_cache = (usage.cache_hits if usage is not None else 0) - cache_hits
    final = _read_output(output_path)
    wanted = {it.line for it in items}
    if wanted <= final.keys():  # finished: one record per line, in input order
        _write_atomic(output_path, "".join(final[n].to_json_line() for n in sorted(final)))
    summary.statuses = Counter(rec.status.value for n, rec in final.items() if n in wanted)
    summary.escalated = sum(bool(rec.escalated) for n, rec in final.items() if n in wanted)
    return summary


def _engine_judge(engine: Engine, config: JudgeConfig) -> JudgeFn:
    def judge(samples: Sequence[JudgeSample]) -> list[Verdict | DataError]:
        return judge_samples(samples, engine, config)

    return judge


def _judge_chunk(chunk: list[LineResult], input_path: Path, judge_fn: JudgeFn) -> list[JudgeOutput]:
    samples: list[JudgeSample] = []
    slots: list[tuple[LineResult, JudgeOutput | None, list[str], JudgeSample | None]] = []
    for item in chunk:
        where = f"{input_path}:{item.line}"
        if item.record is None:
            slots.append((item, bad_input(None, item.line, item.error or where, FailureKind.INVALID_LINE), [], None))
            continue
        try:
            sample = sample_from_record(item.record, where, input_path.parent)
        except DataError as e:
            slots.append((item, bad_input(item.record, item.line, str(e), FailureKind.INVALID_RECORD), [], None))
            continue
        warnings = [f"{where}: {w}" for w in sample_warnings(sample, answer_fields(item.record))]
        samples.append(sample)
        slots.append((item, None, warnings, sample))
    results = iter(judge_fn(samples)) if samples else iter(())
    records = []
    for item, failed, warnings, judged in slots:
        if failed is not None:
            records.append(failed)
            continue
        result = next(results)
        if isinstance(result, DataError):
            where = f"{input_path}:{item.line}"
            records.append(bad_input(item.record, item.line, f"{where}: {result}", FailureKind.NOT_JUDGEABLE))
        else:
            records.append(output_record(item.record, item.line, result, warnings, judged))
    return records
