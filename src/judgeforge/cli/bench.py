"""``judgeforge bench``: judge files and write benchmark reports (pairs in both orders; graded
single answers and ranked answers scored by correlation)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from judgeforge.cli._judge import (
    BatchOption,
    EngineOption,
    EngineOptionsOption,
    JudgeOption,
    ModelOption,
    ModeOption,
    build_judge,
    judge_file_with_progress,
)
from judgeforge.judging.spec import Mode

console = Console(stderr=True)
out = Console()


def file_stem(path: Path) -> str:
    """``data/x.jsonl.gz`` -> ``x``: the folder name of a file's report."""
    return path.name.removesuffix(".gz").removesuffix(".jsonl").removesuffix(".json")


def parse_named(values: list[str], option: str) -> dict[str, Path]:
    """``NAME=PATH`` (or a bare ``PATH``, named by its file name) to a name -> path table."""
    table: dict[str, Path] = {}
    for value in values:
        name, sep, path = value.partition("=")
        name, path = (name, path) if sep else (file_stem(Path(value)), value)
        if not Path(path).is_file():
            raise typer.BadParameter(f"{path}: no such file", param_hint=option)
        if name in table:
            raise typer.BadParameter(f"two judges named {name!r}", param_hint=option)
        table[name] = Path(path)
    return table


def bench(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Files with gold labels: pairs, graded single answers or ranked answers (canonical or JudgeLM format)."
        ),
    ],
    output_dir: Annotated[
        Path, typer.Option("--output-dir", "-o", help="Reports go to DIR/<file>/ and DIR/summary.md.")
    ],
    judgments: Annotated[
        list[str] | None,
        typer.Option(
            help="NAME=PATH: an existing judge output or verdict file to report instead of running a judge "
            "(repeat for several judges: adds juries and inter-judge agreement). One FILE only."
        ),
    ] = None,
    judge_spec: JudgeOption = "default",
    model: ModelOption = None,
    engine: EngineOption = None,
    engine_option: EngineOptionsOption = None,
    mode: ModeOption = Mode.fast,
    batch_size: BatchOption = None,
    judge_name: Annotated[
        str | None, typer.Option(help="What the report calls the judge it runs (default: the spec's name).")
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Use only the first N pairs of each file.")] = None,
    escalate_to: Annotated[
        str | None,
        typer.Option(
            help="Strong judge for the confidence cascade: its output file, or 'teacher' for the gold labels."
        ),
    ] = None,
    escalate_below: Annotated[
        float | None, typer.Option(min=0, max=1, help="Also report the cascade at this confidence threshold.")
    ] = None,
    jury: Annotated[
        bool, typer.Option(help="With several judges, add majority-vote and mean-probability juries.")
    ] = True,
    plots: Annotated[bool, typer.Option(help="Draw PNG plots (needs matplotlib).")] = True,
    on_parse_failure: Annotated[str, typer.Option(help="Count unparseable verdicts as wrong, tie or skip.")] = "wrong",
) -> None:
    """Benchmark a judge on labelled files: report with baselines, juries, cascade and plots.

    Without --judgments the judge runs on every FILE (pairs in both answer orders); its judgments are
    kept in DIR/<file>/judgments.jsonl and reused by a rerun. A file of graded single answers or of
    ranked answers gets correlations with the gold grades beside the answer-length baseline.
    """
    from judgeforge.judging.evaluate_scores import gold_task
    from judgeforge.reports import bench_scores
    from judgeforge.reports.bench import read_bench, summary_markdown, write_bench
    from judgeforge.reports.inputs import TEACHER

    if on_parse_failure not in ("wrong", "tie", "skip"):
        raise typer.BadParameter("must be wrong, tie or skip", param_hint="--on-parse-failure")
    if escalate_below is not None and escalate_to is None:
        raise typer.BadParameter(
            "needs --escalate-to (a strong judge's output file, or 'teacher')", param_hint="--escalate-below"
        )
    if escalate_to not in (None, TEACHER) and (len(files) > 1 or not Path(escalate_to).is_file()):
        raise typer.BadParameter("an output file needs exactly one FILE (or use 'teacher')", param_hint="--escalate-to")
    given = parse_named(judgments or [], "--judgments")
    if given and len(files) > 1:
        raise typer.BadParameter("judgment files belong to one FILE; give one FILE", param_hint="--judgments")
    for f in files:
        if not f.is_file():
            raise typer.BadParameter(f"{f}: no such file", param_hint="FILES")
    judge = None
    if not given:
        judge = build_judge(
            judge_spec,
            model=model,
            engine=engine,
            engine_option=engine_option,
            mode=mode,
            batch_size=batch_size,
            swap=True,
        )
        console.print(judge.describe(), highlight=False)
    tasks = {f: gold_task(f) for f in files}
    reports, graded = [], []
    try:
        for f in files:
            folder = output_dir / file_stem(f)
            judges = given
            if judge is not None:
                target = folder / "judgments.jsonl"
                how = (
                    "in both orders" if tasks[f] == "pair" else f"({'grading' if tasks[f] == 'single' else 'ranking'})"
                )
                console.print(f"judging {f} {how} -> {target}")
                summary = judge_file_with_progress(judge, f, target, limit)
                console.print(f"statuses: {dict(summary.statuses)}")
                judges = {judge_name or judge.spec.name: target}
            if tasks[f] != "pair":  # graded single answers or ranked answers: correlations, no cascade
                if escalate_to is not None:
                    console.print(f"{f.name}: no cascade on a {'graded' if tasks[f] == 'single' else 'ranked'} file")
                scored = bench_scores.read_graded_bench(f, judges, limit)
                written = bench_scores.write_graded_bench(scored, folder, draw=plots)
                console.print(f"{f.name}: wrote {', '.join(p.name for p in written)} to {folder}")
                graded.append(scored)
                continue
            report = read_bench(
                f,
                judges,
                strong=escalate_to,
                limit=limit,
                escalate_below=escalate_below,
                jury=jury,
                on_parse_failure=on_parse_failure,
            )
            written = write_bench(report, folder, draw=plots)
            console.print(f"{f.name}: wrote {', '.join(p.name for p in written)} to {folder}")
            reports.append(report)
    finally:
        if judge is not None:
            judge.close()
    parts = [summary_markdown(reports)] if reports else []
    if graded:
        parts.append("## Graded and ranked files\n\n" + bench_scores.summary_markdown(graded))
    summary_text = "# Benchmark summary\n\n" + "\n\n".join(parts)
    (output_dir / "summary.md").write_text(summary_text + "\n", encoding="utf-8")
    out.print(summary_text, markup=False, highlight=False, soft_wrap=True)
