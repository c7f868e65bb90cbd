"""Each format users bring: prepare with the CLI, judge end to end with the mock engine, evaluate."""

import json

import pytest

from judgeforge.cli.main import main

from ..conftest import DATA

FORMATS = DATA / "formats"
MT_BENCH = FORMATS / "mt_bench"


def _longer_wins(a: str, b: str) -> str:
    """The fixtures' better answers are the longer ones."""
    return "tie" if len(a) == len(b) else "1" if len(a) > len(b) else "2"


def _judge(tmp_path, samples, *extra):
    out = tmp_path / "judged.jsonl"
    assert main(["judge", str(samples), "-o", str(out), "--engine", "mock", "--mode", "fast", "--swap", *extra]) == 0
    return [json.loads(line) for line in out.read_text().splitlines()]


@pytest.mark.parametrize(
    "fmt, files, reference, ids",
    [
        (
            "alpaca_eval",
            ["alpaca_eval/model_a_outputs.json", "alpaca_eval/model_b_outputs.json"],
            None,
            ["alpaca_eval-0", "alpaca_eval-1", "alpaca_eval-2"],
        ),
        (
            "fastchat",
            ["mt_bench/question.jsonl", "mt_bench/model_answer/model-a.jsonl", "mt_bench/model_answer/model-b.jsonl"],
            "mt_bench/reference_answer/gpt-4.jsonl",
            [f"{q}-turn{t}" for q in (81, 101, 111) for t in (1, 2)],
        ),
        ("judgelm", ["judgelm/answers_alpaca.jsonl", "judgelm/answers_vicuna.jsonl"], None, ["0", "1", "2"]),
    ],
)
def test_prepare_then_judge(tmp_path, capsys, oracle_mock, fmt, files, reference, ids):
    oracle_mock(_longer_wins)
    pairs = tmp_path / "pairs.jsonl"
    argv = ["prepare", *(str(FORMATS / f) for f in files), "--format", fmt, "-o", str(pairs)]
    if reference:
        argv += ["--reference", str(FORMATS / reference)]
    assert main(argv) == 0
    assert f"wrote {len(ids)} samples with 2 answers each" in capsys.readouterr().err
    prepared = [json.loads(line) for line in pairs.read_text().splitlines()]
    assert all(r["answer1_model_id"] and r["answer2_model_id"] for r in prepared)  # model ids kept
    records = _judge(tmp_path, pairs)
    assert [str(r["question_id"]) for r in records] == ids
    assert all(r["status"] == "ok" for r in records), [r.get("error") for r in records]
    # the oracle saw each pair's own answers in both orders: model 1's longer answers win
    assert [(r["pred_label"], r["pred_label_swapped"]) for r in records] == [(1, 1)] * len(ids)


@pytest.mark.parametrize(
    "fmt, file, ids",
    [
        (
            "alpaca_eval",
            "alpaca_eval/model_a_outputs.json",
            ["alpaca_eval-0", "alpaca_eval-1", "alpaca_eval-2", "alpaca_eval-3"],
        ),
        ("judgelm", "judgelm/answers_alpaca.jsonl", ["0", "1", "2"]),
    ],
)
def test_one_answer_file_gives_single_answers_to_grade(tmp_path, capsys, fmt, file, ids):
    singles = tmp_path / "singles.jsonl"
    assert main(["prepare", str(FORMATS / file), "--format", fmt, "-o", str(singles)]) == 0
    assert f"wrote {len(ids)} single-answer samples" in capsys.readouterr().err
    prepared = [json.loads(line) for line in singles.read_text().splitlines()]
    assert all(r["answer_body"] and r["answer_model_id"] and "answer1_body" not in r for r in prepared)
    records = _judge(tmp_path, singles)
    assert [str(r["question_id"]) for r in records] == ids
    assert all(r["status"] == "ok" and len(r["pred_score"]) == 1 for r in records), [r.get("error") for r in records]


def test_judgelm_native_samples_are_judged_and_evaluated_as_they_are(tmp_path, capsys, oracle_mock):
    oracle_mock(_longer_wins)
    native = FORMATS / "judgelm" / "judgelm_val_sample.jsonl"
    with pytest.warns(UserWarning, match="logprobs"):
        records = _judge(tmp_path, native)
    assert [r["status"] for r in records] == ["ok"] * 3
    capsys.readouterr()
    # gold verdicts come from the GPT-4 judgment in `text` (the third row has none)
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(line + "\n" for line in native.read_text().splitlines()[:2]))
    judged = str(tmp_path / "judged.jsonl")
    assert main(["eval", "--gold", str(gold), "--pred", judged, "--json", "--allow-partial"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 2 and report["agreement"] == 1.0


def test_prepare_rejects_an_unknown_format(tmp_path, capsys):
    files = [str(FORMATS / "judgelm" / "answers_alpaca.jsonl")] * 2
    assert main(["prepare", *files, "--format", "csv", "-o", str(tmp_path / "o.jsonl")]) == 2
    assert "alpaca_eval" in capsys.readouterr().err  # the choices are listed
