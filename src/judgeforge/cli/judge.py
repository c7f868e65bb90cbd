"""``judgeforge judge``: judge a JSONL file with a judge spec, flags overriding its fields."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from judgeforge.cli._common import EngineName, console
from judgeforge.errors import DataError
from judgeforge.judging.spec import JudgeKind, Mode, TemplateFamily

if TYPE_CHECKING:
    from judgeforge.judging.job import RunSummary


def judge(
    input: Annotated[Path, typer.Argument(help="Judge samples (JSONL; canonical or JudgeLM field names).")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Output JSONL: one record per input record.")
    ] = None,
    judge_spec: Annotated[
        str, typer.Option("--judge", "-j", help="A judge spec: a YAML path or a shipped name (default, mock).")
    ] = "default",
    model: Annotated[str | None, typer.Option(help="Model: smollm2, a model or adapter folder, a .gguf file.")] = None,
    engine: Annotated[EngineName | None, typer.Option(help="Engine.")] = None,
    engine_option: Annotated[
        list[str] | None,
        typer.Option(
            "--engine-option",
            "-M",
            help="An engine option, key=value (typed by the engine): -M concurrency=16, -M dtype=float32.",
        ),
    ] = None,
    mode: Annotated[Mode | None, typer.Option(help="fast: verdict only; full: with explanation.")] = None,
    swap: Annotated[bool | None, typer.Option(help="Judge pairs in both orders.")] = None,
    pointwise: Annotated[bool | None, typer.Option(help="Grade each answer alone, compare the grades.")] = None,
    reference: Annotated[bool | None, typer.Option(help="Show reference answers to the judge.")] = None,
    template: Annotated[str | None, typer.Option(help="A template id or YAML path for every sample.")] = None,
    template_family: Annotated[TemplateFamily | None, typer.Option(help="Prompt family.")] = None,
    batch_size: Annotated[int | None, typer.Option(min=1, help="Prompts per forward pass.")] = None,
    max_new_tokens: Annotated[int | None, typer.Option(min=1, help="Generation budget (full mode).")] = None,
    max_prompt_tokens: Annotated[int | None, typer.Option(min=16, help="Cut answers of longer prompts.")] = None,
    max_answer_tokens: Annotated[int | None, typer.Option(min=2, help="Cut each answer to this many tokens.")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Ray workers, one engine each.")] = None,
    gpus_per_worker: Annotated[float | None, typer.Option(min=0, help="GPUs per Ray worker.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Judge only the first N records.")] = None,
    resume: Annotated[bool, typer.Option(help="Continue an interrupted run into the same output.")] = False,
    retry_failed: Annotated[
        bool, typer.Option(help="With --resume, also judge parse_failed records again (engine_error ones always are).")
    ] = False,
    escalate_below: Annotated[
        float | None,
        typer.Option(
            min=0,
            max=1,
            help="Confidence cascade: send the records whose verdict confidence (pred_confidence) is below P, "
            "or that the judge failed on, to the --escalate-to judge.",
        ),
    ] = None,
    escalate_to: Annotated[
        str | None,
        typer.Option(
            help="The stronger judge of --escalate-below: a YAML spec or a shipped name; loaded only when needed."
        ),
    ] = None,
    max_failure_rate: Annotated[
        float,
        typer.Option(min=0, max=1, help="Exit 1 when more than this fraction of records is not ok (always if all)."),
    ] = 1.0,
    print_prompt: Annotated[
        bool,
        typer.Option(
            "--print-prompt",
            "--dry-run",
            help="Print the exact prompts of the first records (--limit, default 1) instead of judging.",
        ),
    ] = False,
) -> None:
    """Judge samples with an LLM judge (the shipped one unless --judge names another)."""
    from judgeforge.engines.options import parse_key_values
    from judgeforge.judging.cascade import Cascade
    from judgeforge.judging.job import check_job
    from judgeforge.judging.judge import Judge

    overrides: dict[str, Any] = {
        "model": model,
        "engine": engine.value if engine else None,
        "engine_options": parse_key_values(engine_option or []) or None,
        "mode": mode,
        "swap": swap,
        "pointwise": pointwise,
        "with_reference": reference,
        "template": template,
        "template_family": template_family,
        "batch_size": batch_size,
        "max_new_tokens": max_new_tokens,
        "max_prompt_tokens": max_prompt_tokens,
        "max_answer_tokens": max_answer_tokens,
        "workers": workers,
        "gpus_per_worker": gpus_per_worker,
    }
    if escalate_below is not None and escalate_to is None:
        raise typer.BadParameter("needs --escalate-to (the stronger judge's spec)", param_hint="--escalate-below")
    if escalate_to is not None and escalate_below is None:
        raise typer.BadParameter("needs --escalate-below (a confidence threshold)", param_hint="--escalate-to")
    # everything is checked before a model loads: the specs, the input, the output
    judge_ = Judge.from_spec(judge_spec, **overrides)
    if not input.is_file():
        raise DataError(f"{input}: no such file")
    runner: Judge | Cascade = judge_
    if escalate_to is not None and escalate_below is not None:
        runner = judge_.cascade(escalate_to, below=escalate_below)  # the flags above change the first judge only
    if print_prompt:  # a cascade: both judges' prompts (the second sees the escalated records)
        judges = (
            [("first judge", runner.first), ("second judge, when escalated", runner.second)]
            if isinstance(runner, Cascade)
            else [("", judge_)]
        )
        for who, one in judges:
            if who and one.spec.kind is JudgeKind.reward:  # in a cascade, say so; alone, it is an error
                console.print(f"{who}: {one.spec.name!r} is a reward model; it reads no prompt")
                continue
            with one:
                _print_prompts(one, input, limit or 1, who)
        return
    if output is None:
        raise typer.BadParameter("required unless --print-prompt", param_hint="--output")
    check_job(input, output, runner.config, runner.identity(), resume=resume)  # format, output, resume identity
    console.print(runner.describe(), highlight=False)
    with runner:
        runner.load()
        summary = _judge_with_progress(runner, input, output, resume, retry_failed, limit)
    if problem := summary.failure_problem(max_failure_rate):
        console.print(f"[red]error:[/red] {problem}; see the 'error' field of the records in {output}")
        raise typer.Exit(1)


def _print_prompts(judge_: Any, input: Path, limit: int, who: str = "") -> None:
    """Write the prompts of the first records to stdout, exactly as the model will see them
    (``who``: which judge's, in the heading)."""
    from judgeforge.data.load import iter_jsonl, sample_from_record
    from judgeforge.records import JudgeSample

    samples: list[JudgeSample] = []
    lines: list[int] = []
    for item in iter_jsonl(input):
        if len(samples) == limit:
            break
        if item.error:
            console.print(f"{input}:{item.line}: {item.error}", highlight=False, markup=False)
            continue
        samples.append(sample_from_record(item.record or {}, f"{input}:{item.line}", input.parent))
        lines.append(item.line)
    for line, sample, texts in zip(lines, samples, judge_.prompts(samples)):
        if isinstance(texts, DataError):
            console.print(f"{input}:{line}: {texts}", highlight=False, markup=False)
            continue
        for k, text in enumerate(texts, start=1):
            heading = f"{input}:{line} ({sample.id}), {who + ', ' if who else ''}prompt {k} of {len(texts)}"
            sys.stdout.write(f"===== {heading} =====\n{text}\n")
        judge_.task_warnings(sample)  # logged once per kind of mismatch


def _judge_with_progress(
    judge_: Any, input: Path, output: Path, resume: bool, retry_failed: bool, limit: int | None
) -> RunSummary:
    bar = Progress(
        TextColumn("judging"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[rate]}"),
        console=console,
    )
    start = time.perf_counter()
    with bar:
        task = bar.add_task("judge", total=None, rate="")

        def advance(done: int, total: int) -> None:
            rate = done / (time.perf_counter() - start)
            bar.update(task, completed=done, total=total, rate=f"{rate:.2f} samples/s")

        summary = judge_.judge_file(
            input, output, resume=resume, retry_failed=retry_failed, limit=limit, progress=advance
        )
    elapsed = time.perf_counter() - start
    judged = summary.total - summary.skipped_done
    notes = f", {summary.from_cache} answers from the cache" if summary.from_cache else ""
    notes += f", {summary.escalated} escalated" if summary.escalated else ""
    console.print(
        f"{summary.total} records ({summary.skipped_done} already done, {summary.retried} retried{notes}) in "
        f"{elapsed:.1f}s ({judged / max(elapsed, 1e-9):.2f} samples/s); statuses: {dict(summary.statuses)}; "
        f"output: {output}",
        highlight=False,
    )
    return summary
