"""``judgeforge leaderboard``: rank models by a judge's verdicts against a baseline model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markdown import Markdown

from judgeforge.cli._judge import (
    BatchOption,
    EngineOption,
    EngineOptionsOption,
    ModelOption,
    ModeOption,
    build_judge,
    judge_file_with_progress,
)
from judgeforge.judging.spec import Mode

console = Console(stderr=True)
out = Console()


def _published(value: str | None) -> dict[str, dict[str, float]] | None:
    from judgeforge.reports.leaderboard import published_alpacaeval2

    if value is None or value == "none":
        return None
    if value == "alpacaeval2":
        return published_alpacaeval2()
    path = Path(value)
    if not path.is_file():
        raise typer.BadParameter("must be alpacaeval2, none or a JSON file like it", param_hint="--published")
    models = json.loads(path.read_text(encoding="utf-8"))["models"]
    return {m["model"]: m for m in models}


def leaderboard(
    files: Annotated[
        list[Path],
        typer.Argument(help="One pairwise file with answer1/2_model_id, or (with --baseline-answers) answer files."),
    ],
    output_dir: Annotated[Path, typer.Option("--output-dir", "-o", help="Where the leaderboard and judgments go.")],
    baseline: Annotated[
        str | None, typer.Option(help="The baseline model's name (pairwise input; answer 1 or 2 of each pair).")
    ] = None,
    baseline_answers: Annotated[
        Path | None, typer.Option(help="The baseline's answer file; FILES are then the other models' answer files.")
    ] = None,
    round_robin: Annotated[
        int | None,
        typer.Option(
            min=1, help="With answer files: K random model pairs per question instead of all vs the baseline."
        ),
    ] = None,
    judgments: Annotated[
        str | None,
        typer.Option(
            help="Use this judge output file instead of running the judge: [NAME=]PATH (NAME: the judge's "
            "name in the table and plots, default the file name)."
        ),
    ] = None,
    judge_spec: Annotated[
        str,
        typer.Option(
            "--judge",
            "-j",
            help="A judge spec (YAML path or shipped name), or a rule: teacher (the file's own labels, "
            "meta.preference when present) or length (the longer answer wins).",
        ),
    ] = "default",
    model: ModelOption = None,
    engine: EngineOption = None,
    engine_option: EngineOptionsOption = None,
    mode: ModeOption = Mode.fast,
    batch_size: BatchOption = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Use only the first N pairs.")] = None,
    n_boot: Annotated[int, typer.Option(min=10, help="Bootstrap rounds for the rating intervals.")] = 200,
    published: Annotated[
        str | None, typer.Option(help="Published win rates to correlate with: alpacaeval2, none, or a JSON file.")
    ] = None,
    plots: Annotated[bool, typer.Option(help="Draw PNG plots (needs matplotlib).")] = True,
) -> None:
    """Rank models: win rates vs a baseline, length-controlled win rates, Bradley-Terry ratings with 95% CIs.

    A judge spec's judgments (both orders) are kept in DIR/judgments.jsonl and reused by a rerun.
    """
    from judgeforge.cli.bench import parse_named
    from judgeforge.reports.leaderboard import (
        compute_leaderboard,
        model_name,
        pairs_from_answer_files,
        read_battles,
        write_leaderboard,
    )

    for f in files:
        if not f.is_file():
            raise typer.BadParameter(f"{f}: no such file", param_hint="FILES")
    output_dir.mkdir(parents=True, exist_ok=True)
    if baseline_answers is not None:
        pairs = pairs_from_answer_files(baseline_answers, files, output_dir / "pairs.jsonl", round_robin)
        baseline = baseline or model_name(baseline_answers)
    elif len(files) == 1:
        pairs = files[0]
    else:
        raise typer.BadParameter("give one pairwise file, or answer files with --baseline-answers", param_hint="FILES")
    if not baseline:
        raise typer.BadParameter("name the baseline model", param_hint="--baseline")
    table = _published(published)
    if judge_spec in ("teacher", "length"):  # rules that need no model
        battles, failed = read_battles(pairs, judge_spec, limit)  # type: ignore[arg-type]
        name = judge_spec
    else:
        if judgments is None:
            name, judged = model or judge_spec, output_dir / "judgments.jsonl"
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
            try:
                console.print(f"judging {pairs} in both orders -> {judged}")
                judge_file_with_progress(judge, pairs, judged, limit)
            finally:
                judge.close()
        else:
            [(name, judged)] = parse_named([judgments], "--judgments").items()
        battles, failed = read_battles(judged, None, limit)
    board = compute_leaderboard(battles, baseline, name, table, n_boot=n_boot, n_failed=failed)
    written = write_leaderboard(board, output_dir, draw=plots)
    console.print(f"wrote {', '.join(p.name for p in written)} to {output_dir}")
    text = (output_dir / "leaderboard.md").read_text(encoding="utf-8")
    out.print(Markdown(text.split("\n![", 1)[0]))
