"""``judgeforge audit``: how a judge's verdicts move under controlled perturbations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markdown import Markdown

from judgeforge.cli._judge import (
    BatchOption,
    EngineOption,
    EngineOptionsOption,
    JudgeOption,
    ModelOption,
    ModeOption,
    build_judge,
)
from judgeforge.judging.spec import Mode

console = Console(stderr=True)
out = Console()


def audit(
    file: Annotated[Path, typer.Argument(help="Pairwise samples (canonical or JudgeLM format).")],
    output_dir: Annotated[Path, typer.Option("--output-dir", "-o", help="Where audit.md/.json and the plot go.")],
    perturbation: Annotated[
        list[str] | None,
        typer.Option(
            help="A built-in perturbation (position, verbosity, injection, format, off_topic, reference, "
            "self_consistency) or module:function; repeat. Default: all built-in."
        ),
    ] = None,
    judge_spec: JudgeOption = "default",
    model: ModelOption = None,
    engine: EngineOption = None,
    engine_option: EngineOptionsOption = None,
    mode: ModeOption = Mode.fast,
    batch_size: BatchOption = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Audit only the first N pairs.")] = 200,
    plots: Annotated[bool, typer.Option(help="Draw the flip-rate plot (needs matplotlib).")] = True,
    draws: Annotated[int, typer.Option(min=1, help="self_consistency: sampled verdicts per pair.")] = 5,
    temperature: Annotated[float, typer.Option(help="self_consistency: the sampling temperature (> 0).")] = 1.0,
) -> None:
    """Flip rates of the judge's verdicts under position, verbosity, injection, format, off-topic and
    reference changes, and under sampling (self-consistency)."""
    from judgeforge.data.load import iter_jsonl, sample_from_record
    from judgeforge.data.perturb import PERTURBATIONS
    from judgeforge.errors import DataError
    from judgeforge.records import JudgeSample
    from judgeforge.reports.audit import SELF_CONSISTENCY, Sampling, resolve_perturbation, run_audit, write_audit

    names = perturbation or [*PERTURBATIONS, SELF_CONSISTENCY]
    chosen = [resolve_perturbation(p) for p in names if p != SELF_CONSISTENCY]
    sampling = Sampling(draws=draws, temperature=temperature) if SELF_CONSISTENCY in names else None
    if not file.is_file():
        raise typer.BadParameter(f"{file}: no such file", param_hint="FILE")
    samples: list[JudgeSample] = []
    for item in iter_jsonl(file):
        if limit is not None and len(samples) >= limit:
            break
        if item.error:
            raise DataError(item.error)
        samples.append(sample_from_record(item.record or {}, f"{file}:{item.line}"))
    judge = build_judge(
        judge_spec,
        model=model,
        engine=engine,
        engine_option=engine_option,
        mode=mode,
        batch_size=batch_size,
        swap=False,
    )
    console.print(judge.describe(), highlight=False)
    try:
        console.print(f"judging {len(samples)} pairs plain and under {len(chosen)} perturbations")
        rows = run_audit(samples, judge, chosen, sampling)
    finally:
        judge.close()
    written = write_audit(rows, output_dir, f"{file.name}, judge {judge.spec.name}", draw=plots)
    console.print(f"wrote {', '.join(p.name for p in written)} to {output_dir}")
    out.print(Markdown((output_dir / "audit.md").read_text(encoding="utf-8").split("\n![", 1)[0]))
