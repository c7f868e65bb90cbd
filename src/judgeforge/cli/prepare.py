"""``judgeforge prepare``: join answer files into judge samples."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from judgeforge.cli._common import console


class InputFormat(str, Enum):
    """Answer file formats ``prepare`` reads (see judgeforge.data.formats)."""

    judgelm = "judgelm"
    alpaca_eval = "alpaca_eval"
    fastchat = "fastchat"
    graded = "graded"


def prepare(
    answers: Annotated[
        list[Path],
        typer.Argument(
            help="Answer files: JudgeLM answer JSONL, alpaca_eval model_outputs.json, "
            "FastChat question.jsonl then model_answer/*.jsonl, or graded single-answer files (graded)."
        ),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the judge samples (JSONL).")],
    reference: Annotated[
        Path | None, typer.Option(help="Reference answers, in the same format as the answer files.")
    ] = None,
    format: Annotated[InputFormat, typer.Option("--format", help="The answer files' format.")] = InputFormat.judgelm,
) -> None:
    """Join answer files into judge samples (1 file: single answers to grade, 2: pairs, more:
    multi-answer); with --format
    graded, group graded single answers by question into multi-answer ranking samples."""
    from judgeforge.data.load import write_jsonl
    from judgeforge.data.prepare import prepare_samples

    records = prepare_samples(answers, reference, format.value)
    write_jsonl(output, records)
    if format is InputFormat.graded:  # answers per question vary
        n = sum(k.endswith("_body") and k != "question_body" for r in records for k in r)
        console.print(f"wrote {len(records)} ranking samples with {n} answers in all to {output}", highlight=False)
        return
    # FastChat's first file is question.jsonl, not an answer file
    n_answers = len(answers) - 1 if format is InputFormat.fastchat else len(answers)
    what = "single-answer samples" if n_answers == 1 else f"samples with {n_answers} answers each"
    console.print(f"wrote {len(records)} {what} to {output}", highlight=False)
