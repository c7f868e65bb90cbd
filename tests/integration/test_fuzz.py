"""Hostile inputs, kills and concurrent runs against the file job, the CLI and ``eval`` (issue 12).

Each test is one defect found by fuzzing: any single line costs at most that line, the output is
always JSON Lines that ``--resume`` reads back, resume refuses what it cannot verify, and exit codes
and ``eval`` never report success on part of the data. The OpenAI engine's cases are in
``test_openai_engine.py``.
"""

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from filelock import FileLock

from judgeforge.cli.main import main
from judgeforge.engines.mock import MockEngine
from judgeforge.errors import ConfigError, DataError
from judgeforge.judging.evaluate import evaluate_files
from judgeforge.judging.job import judge_file
from judgeforge.judging.run import JudgeConfig
from judgeforge.records import JudgeOutput

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _pair(i: int, **extra) -> dict:
    return {"question_id": f"q{i}", "question_body": "Which?", "answer1_body": "a", "answer2_body": "b", **extra}


def _write_lines(path: Path, lines: list[str | bytes]) -> Path:
    path.write_bytes(b"".join((x if isinstance(x, bytes) else x.encode()) + b"\n" for x in lines))
    return path


def _strict_read(path: Path) -> list[dict]:
    """The output as a strict JSON Lines reader sees it: lines end at \\n only, no NaN, ASCII."""
    data = path.read_bytes()
    assert data.endswith(b"\n")
    data.decode("ascii")  # no raw U+2028/U+0085 (or any byte another reader could split on)

    def no_constants(name):
        raise AssertionError(f"{name} in output")

    return [json.loads(line, parse_constant=no_constants) for line in data.split(b"\n")[:-1]]


GOOD = json.dumps(_pair(0))

# (case, the hostile line, the field its error must name)
HOSTILE_LINES = [
    ("lone surrogate in an answer", json.dumps(_pair(1, answer1_body="x\ud800y")), "answer1_body"),
    ("lone surrogate deep in meta", json.dumps(_pair(1, meta={"k": ["\udfff"]})), "meta.k[0]"),
    ("meta is a string", json.dumps(_pair(1, meta="tags")), "'meta'"),
    ("meta is a list", json.dumps(_pair(1, meta=[1, 2])), "'meta'"),
    ("meta is a number", json.dumps(_pair(1, meta=3)), "'meta'"),
    ("1,000-deep nesting", json.dumps(_pair(1))[:-1] + ', "x": ' + "[" * 1000 + "]" * 1000 + "}", "nested"),
    ("100-deep nesting in meta", json.dumps(_pair(1, meta=json.loads('{"a":' * 100 + "1" + "}" * 100))), "meta.a"),
    ("NaN", json.dumps(_pair(1))[:-1] + ', "score": [NaN, 1]}', "NaN"),
    ("Infinity", json.dumps(_pair(1))[:-1] + ', "meta": {"x": -Infinity}}', "Infinity"),
    ("a number too large for a float", json.dumps(_pair(1))[:-1] + ', "score": [1e999, 1]}', "out of range"),
    ("question_id is a bool", json.dumps(_pair(1, question_id=True)), "'question_id'"),
    ("answer is a list", json.dumps(_pair(1, answer2_body=["b"])), "'answer2_body'"),
    ("score is a bool", json.dumps(_pair(1, score=[True, 1])), "'score"),
    ("label out of range", json.dumps(_pair(1, label=7)), "'label'"),
    ("history is a string", json.dumps(_pair(1, history="hi")), "'history'"),
    ("not UTF-8", b'{"question_id": "q1", "question_body": "\xff"}', "UTF-8"),
    ("a JSON string", '"just text"', "expected a JSON object"),
]


@pytest.mark.parametrize("case,line,field", HOSTILE_LINES, ids=[c[0] for c in HOSTILE_LINES])
def test_a_hostile_line_costs_only_that_line(tmp_path, case, line, field):
    source = _write_lines(tmp_path / "in.jsonl", [GOOD, line, json.dumps(_pair(2))])
    out = tmp_path / "out.jsonl"
    summary = judge_file(source, out, MockEngine("1\nok"), JudgeConfig(chunk_size=2))
    records = _strict_read(out)
    assert [r["status"] for r in records] == ["ok", "bad_input", "ok"], case
    assert records[1]["error"].startswith(f"{source}:2: ") and field in records[1]["error"]
    assert summary.statuses == {"ok": 2, "bad_input": 1}
    # the same reader reads it back: resume finds everything done
    again = judge_file(source, out, MockEngine("1"), JudgeConfig(chunk_size=2), resume=True)
    assert again.skipped_done == 3 and _strict_read(out) == records


@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\u0085", "\x1c"])
def test_line_separators_in_fields_and_in_the_judges_output_keep_the_output_readable(tmp_path, char):
    source = _write_lines(
        tmp_path / "in.jsonl", [json.dumps(_pair(i, answer1_body=f"a{char}b"), ensure_ascii=False) for i in range(3)]
    )
    out = tmp_path / "out.jsonl"
    judge_file(source, out, MockEngine(f"1\nfine{char}more"), JudgeConfig(chunk_size=2))
    records = _strict_read(out)
    assert len(records) == 3 and all(r["status"] == "ok" for r in records)
    assert records[0]["answer1_body"] == f"a{char}b" and records[0]["pred_text"] == f"1\nfine{char}more"
    assert judge_file(source, out, MockEngine("1"), JudgeConfig(chunk_size=2), resume=True).skipped_done == 3


def test_a_byte_order_mark_costs_nothing(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\xef\xbb\xbf" + (GOOD + "\n").encode())
    out = tmp_path / "out.jsonl"
    judge_file(source, out, MockEngine("1"), JudgeConfig())
    assert [r["status"] for r in _strict_read(out)] == ["ok"]


def test_truncated_gzip_keeps_the_readable_part_and_says_so(tmp_path, capsys):
    full = gzip.compress("".join(json.dumps(_pair(i)) + "\n" for i in range(400)).encode())
    source = tmp_path / "in.jsonl.gz"
    source.write_bytes(full[: len(full) // 2])
    out = tmp_path / "out.jsonl"
    judge_file(source, out, MockEngine("1"), JudgeConfig())
    records = _strict_read(out)
    assert records[0]["status"] == "ok" and len(records) > 10
    assert records[-1]["status"] == "bad_input" and "gzip data ends early" in records[-1]["error"]
    assert all(r["status"] == "ok" for r in records[:-1])
    # a plain file named .gz: one clear line, no traceback
    plain = tmp_path / "plain.jsonl.gz"
    plain.write_text(GOOD + "\n")
    assert main(["judge", str(plain), "-o", str(tmp_path / "o2.jsonl"), "--engine", "mock"]) == 1
    assert "not gzip-compressed" in capsys.readouterr().err


def test_a_forced_pair_template_fails_only_the_single_answer_records(tmp_path):
    single = {"question_id": "s", "question_body": "Rate it.", "answer_body": "x"}
    source = _write_lines(tmp_path / "in.jsonl", [GOOD, json.dumps(single), json.dumps(_pair(2))])
    out = tmp_path / "out.jsonl"
    judge_file(source, out, MockEngine("2"), JudgeConfig(template="judgeforge-pair"))
    records = _strict_read(out)
    assert [r["status"] for r in records] == ["ok", "bad_input", "ok"]
    assert records[1]["failure"] == "not_judgeable" and "not 'single'" in records[1]["error"]


def test_output_fields_belong_to_the_output_record(tmp_path):
    owned = {"pred_label": 2, "pred_score": [1, 9], "status": "ok", "error": "old", "input_line": 99}
    source = _write_lines(
        tmp_path / "in.jsonl", [json.dumps(_pair(1, **owned)), json.dumps({"question_id": "q2", **owned})]
    )
    out = tmp_path / "out.jsonl"
    judge_file(source, out, MockEngine("1"), JudgeConfig())
    ok, bad = _strict_read(out)
    assert ok["status"] == "ok" and ok["pred_label"] == 1 and "error" not in ok and ok["input_line"] == 1
    assert bad["status"] == "bad_input" and "pred_label" not in bad and "pred_score" not in bad
    assert "question_body" in bad["error"] and bad["input_line"] == 2
    for rec in (ok, bad):  # the input's own values are kept, renamed
        assert rec["input_pred_label"] == 2 and rec["input_error"] == "old" and rec["input_input_line"] == 99
    JudgeOutput.model_validate(bad)
    gold = _write_lines(tmp_path / "gold.jsonl", [json.dumps({"question_id": q, "label": 2}) for q in ("q1", "q2")])
    report = evaluate_files(gold, out)
    assert report.metrics["agreement"] == 0.0  # the input's pred_label 2 is not the judge's prediction


@pytest.mark.parametrize(
    "content,problem",
    [
        (json.dumps([_pair(1), _pair(2)], indent=2), "a JSON array, not JSON Lines"),
        (json.dumps([_pair(1), _pair(2)]), "a JSON array, not JSON Lines"),
        ("question_id,question_body,answer1_body\nq1,Which?,a\n", "CSV"),
        (json.dumps(_pair(1), indent=2), "several lines"),
        ("", "empty"),
    ],
    ids=["alpaca_eval-array", "one-line-array", "csv", "pretty-object", "empty"],
)
def test_a_file_that_is_not_json_lines_stops_before_the_model_loads(tmp_path, capsys, content, problem):
    source = tmp_path / "model_outputs.json"
    source.write_text(content)
    out = tmp_path / "out.jsonl"
    # a model that does not exist: the format error must come first
    argv = ["judge", str(source), "-o", str(out), "--engine", "hf", "--model", str(tmp_path / "no-model")]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert problem in err and "loading engine" not in err
    assert problem == "empty" or "prepare --format" in err.replace("\n", " ")
    assert not out.exists()


def test_eval_refuses_a_prediction_file_that_is_not_json_lines(tmp_path, capsys):
    gold = _write_lines(tmp_path / "gold.jsonl", [json.dumps({"question_id": "q0", "label": 1})])
    pred = tmp_path / "pred.json"
    pred.write_text(json.dumps([{"question_id": "q0", "pred_label": 1}], indent=2))
    assert main(["eval", "--gold", str(gold), "--pred", str(pred)]) == 1
    assert "a JSON array, not JSON Lines" in capsys.readouterr().err


def test_unwritable_outputs_fail_before_the_model_loads(tmp_path, capsys):
    a_file = _write_lines(tmp_path / "file.txt", ["x"])
    source = _write_lines(tmp_path / "in.jsonl", [GOOD])
    for output, message in [
        (a_file / "out.jsonl", "is a file"),
        (tmp_path, "is a folder"),
        (tmp_path / "o.jsonl.gz", ".jsonl"),
    ]:
        argv = ["judge", str(source), "-o", str(output), "--engine", "hf", "--model", str(tmp_path / "no-model")]
        assert main(argv) == 1
        err = capsys.readouterr().err.replace("\n", " ")
        assert message in err and "loading engine" not in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders")
def test_a_read_only_folder_fails_before_the_model_loads(tmp_path, capsys):
    source = _write_lines(tmp_path / "in.jsonl", [GOOD])
    locked = tmp_path / "ro"
    locked.mkdir(mode=0o555)
    assert main(["judge", str(source), "-o", str(locked / "o.jsonl"), "--engine", "hf", "--model", "x"]) == 1
    assert "not writable" in capsys.readouterr().err


# --- resume identity, locking, retries -------------------------------------------------------


def _job(tmp_path: Path, n: int = 6) -> tuple[Path, Path]:
    source = _write_lines(tmp_path / "in.jsonl", [json.dumps(_pair(i)) for i in range(n)])
    out = tmp_path / "out.jsonl"
    judge_file(source, out, MockEngine("1"), JudgeConfig(chunk_size=2), limit=3)  # an unfinished job
    return source, out


@pytest.mark.parametrize(
    "change,message",
    [
        ("edit", "line 2 differs"),
        ("insert", "line 1 differs"),
        ("delete", "line 6 differs"),
        ("other-file", "differs"),
        ("settings", "swap: False then, True now"),
        ("no-meta", "is missing"),
    ],
)
def test_resume_refuses_another_input_or_other_settings_and_leaves_the_output_alone(tmp_path, change, message):
    source, out = _job(tmp_path)
    before = out.read_bytes()
    lines = source.read_text().splitlines()
    config = JudgeConfig(chunk_size=2)
    if change == "edit":
        lines[1] = json.dumps(_pair(1, answer1_body="changed"))
    elif change == "insert":
        lines.insert(0, json.dumps(_pair(99)))
    elif change == "delete":
        del lines[-1]
    elif change == "other-file":
        source = tmp_path / "other.jsonl"
        lines = [json.dumps(_pair(i, question_body="Other?")) for i in range(6)]
    elif change == "settings":
        config = JudgeConfig(chunk_size=2, swap=True)
    elif change == "no-meta":
        out.with_name(out.name + ".meta.json").unlink()
    _write_lines(source, lines)
    with pytest.raises(ConfigError, match=message):
        judge_file(source, out, MockEngine("1"), config, resume=True)
    assert out.read_bytes() == before


def test_resume_finishes_a_verified_job_with_other_chunking(tmp_path):
    source, out = _job(tmp_path)
    summary = judge_file(source, out, MockEngine("2"), JudgeConfig(chunk_size=5), resume=True)
    records = _strict_read(out)
    assert summary.skipped_done == 3 and [r["input_line"] for r in records] == [1, 2, 3, 4, 5, 6]
    assert [r["pred_label"] for r in records] == [1, 1, 1, 2, 2, 2]


def test_resume_retries_engine_errors_and_with_retry_failed_parse_failures(tmp_path):
    source = _write_lines(tmp_path / "in.jsonl", [json.dumps(_pair(i)) for i in range(4)])
    out = tmp_path / "out.jsonl"

    def down(prompt):
        raise ConnectionError("server down")

    first = judge_file(source, out, MockEngine(down), JudgeConfig())
    assert (
        first.statuses == {"engine_error": 4} and first.failure_problem() == "every record failed ({'engine_error': 4})"
    )
    assert all(r["failure"] == "engine" for r in _strict_read(out))
    second = judge_file(source, out, MockEngine(["1", "no idea"]), JudgeConfig(), resume=True)
    assert second.retried == 4 and second.statuses == {"ok": 2, "parse_failed": 2}
    assert judge_file(source, out, MockEngine("2"), JudgeConfig(), resume=True).retried == 0
    third = judge_file(source, out, MockEngine("2"), JudgeConfig(), resume=True, retry_failed=True)
    assert third.retried == 2 and third.statuses == {"ok": 4}
    assert [r["pred_label"] for r in _strict_read(out)] == [1, 2, 1, 2]


SLOW_JOB = """
import sys, time
from judgeforge.engines.mock import MockEngine
from judgeforge.judging.job import judge_file
from judgeforge.judging.run import JudgeConfig

def slow(prompt):
    time.sleep(0.02)
    return "1"

judge_file(sys.argv[1], sys.argv[2], MockEngine(slow), JudgeConfig(chunk_size=4))
"""


def _wait_for_lines(out: Path, n: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not out.exists() or out.read_bytes().count(b"\n") < n):
        time.sleep(0.02)


def test_a_second_writer_is_refused_while_the_first_runs(tmp_path):
    source = _write_lines(tmp_path / "in.jsonl", [json.dumps(_pair(i)) for i in range(60)])
    out = tmp_path / "out.jsonl"
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.Popen([sys.executable, "-c", SLOW_JOB, str(source), str(out)], env=env)
    _wait_for_lines(out, 4)
    with pytest.raises(ConfigError, match="another judgeforge process"):
        judge_file(source, out, MockEngine("1"), JudgeConfig(), resume=True)
    assert proc.wait(timeout=60) == 0
    assert [r["input_line"] for r in _strict_read(out)] == list(range(1, 61))
    with FileLock(str(out) + ".lock", timeout=0):  # released at the end of the first run
        pass


KILLABLE_CLI = """
import signal, sys, time
# a process started in the background by a non-interactive shell inherits SIGINT as ignored, and
# Python then installs no handler: restore Ctrl-C as a terminal gives it, which is what we test
signal.signal(signal.SIGINT, signal.default_int_handler)
from judgeforge.engines import mock
from judgeforge.cli.main import main

original = mock.MockEngine.generate

def slow(self, prompts, params):
    time.sleep(0.5)  # slow enough that the signal lands mid-run
    return original(self, prompts, params)

mock.MockEngine.generate = slow
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_run_exits_non_zero_and_resumes(tmp_path, sig, code):
    source = _write_lines(tmp_path / "in.jsonl", [json.dumps(_pair(i)) for i in range(200)])
    out = tmp_path / "out.jsonl"
    argv = [
        str(source),
        "-o",
        str(out),
        "--engine",
        "mock",
        "--template",
        "judgeforge-pair-scores",
        "--batch-size",
        "1",
    ]
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.Popen([sys.executable, "-c", KILLABLE_CLI, "judge", *argv], env=env, stderr=subprocess.PIPE)
    _wait_for_lines(out, 16)
    proc.send_signal(sig)
    assert proc.wait(timeout=30) == code
    assert "--resume" in proc.stderr.read().decode()
    partial = len(_strict_read(out))
    assert 16 <= partial < 200
    assert main(["judge", *argv, "--resume"]) == 0
    assert [r["input_line"] for r in _strict_read(out)] == list(range(1, 201))


def test_exit_codes_tell_whether_the_records_were_judged(tmp_path, capsys):
    lines = [json.dumps(_pair(i)) for i in range(4)] + ["{broken"]
    source = _write_lines(tmp_path / "in.jsonl", lines)
    scores = ["--engine", "mock", "--template", "judgeforge-pair-scores"]
    assert main(["judge", str(source), "-o", str(tmp_path / "a.jsonl"), *scores]) == 0  # 1 of 5 failed: fine
    argv = ["judge", str(source), "-o", str(tmp_path / "b.jsonl"), *scores, "--max-failure-rate", "0.1"]
    assert main(argv) == 1
    assert "1 of 5 records failed (20.0%)" in capsys.readouterr().err
    # "5 5" is no verdict under the default template: every record fails
    assert main(["judge", str(source), "-o", str(tmp_path / "c.jsonl"), "--engine", "mock", "-M", "outputs=5 5"]) == 1
    assert "every record failed" in capsys.readouterr().err


# --- eval ----------------------------------------------------------------------------------


def _eval_files(tmp_path: Path, gold: list[dict], pred: list[dict]) -> tuple[Path, Path]:
    g = _write_lines(tmp_path / "gold.jsonl", [json.dumps(r) for r in gold])
    p = _write_lines(tmp_path / "pred.jsonl", [json.dumps(r) for r in pred])
    return g, p


def test_eval_refuses_unmatched_predictions_and_reports_them_with_allow_partial(tmp_path, capsys):
    gold = [{"question_id": i, "label": 1} for i in range(30)]
    g, p = _eval_files(tmp_path, gold, [{"question_id": i, "pred_label": 1} for i in range(10)])
    assert main(["eval", "--gold", str(g), "--pred", str(p), "--json"]) == 1
    err = capsys.readouterr().err.replace("\n", " ")
    assert "20 unmatched" in err and "--allow-partial" in err
    assert main(["eval", "--gold", str(g), "--pred", str(p), "--json", "--allow-partial"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 10 and report["n_unmatched"] == 20 and report["n_duplicate"] == 0 and report["n_invalid"] == 0
    assert main(["eval", "--gold", str(g), "--pred", str(p), "--allow-partial"]) == 0
    assert "20 / 0 / 0" in capsys.readouterr().out  # the table shows what was left out


def test_eval_counts_duplicates_instead_of_letting_the_last_win(tmp_path):
    gold = [{"question_id": i, "label": 1} for i in range(10)] + [{"question_id": 3, "label": 2}]
    preds = [{"question_id": i, "pred_label": 1} for i in range(10)] + [{"question_id": 5, "pred_label": 2}]
    g, p = _eval_files(tmp_path, gold, preds)
    with pytest.raises(DataError, match="2 duplicate"):
        evaluate_files(g, p)
    report = evaluate_files(g, p, allow_partial=True)
    assert report.n == 10 and report.n_duplicate == 2 and report.metrics["agreement"] == 1.0  # the first counts


def test_eval_of_an_unfinished_output_takes_the_retry_of_a_line(tmp_path):
    source = _write_lines(tmp_path / "in.jsonl", [json.dumps(_pair(i, label=2)) for i in range(3)])
    out = tmp_path / "out.jsonl"

    def down(prompt):
        raise ConnectionError("server down")

    judge_file(source, out, MockEngine(down), JudgeConfig())
    with open(out, "a") as f:  # what a resume appends before it is killed: a retry of line 1
        f.write(json.dumps({**_pair(0, label=2), "input_line": 1, "status": "ok", "pred_label": 2}) + "\n")
    report = evaluate_files(source, out)
    assert report.n == 3 and report.n_duplicate == 0 and report.n_parse_failed == 2
    assert report.metrics["agreement"] == pytest.approx(1 / 3)


INVALID_LABELS = [3, -1, "1", 1.0, True, 1.5, [1], "banana", {"x": 1}]
INVALID_SCORES = [["x", 1], [True, 1], [[1], 1], [None, 1], [1, 2, 3], "banana", 7]
CASES = [(f, v) for f in ("pred_label", "label") for v in INVALID_LABELS]
CASES += [(f, v) for f in ("pred_score", "score") for v in INVALID_SCORES]


@pytest.mark.parametrize("field,value", CASES, ids=[f"{f}={v!r}" for f, v in CASES])
def test_eval_rejects_verdicts_that_are_not_0_1_or_2(tmp_path, field, value):
    gold = [{"question_id": i, "label": 1} for i in range(4)]
    preds = [{"question_id": i, "pred_label": 1} for i in range(4)]
    rows = gold if field in ("label", "score") else preds
    rows[0].pop("pred_label" if field == "pred_score" else "label", None)
    rows[0][field] = value
    g, p = _eval_files(tmp_path, gold, preds)
    with pytest.raises(DataError, match=f"1 invalid.*field '{field}'"):
        evaluate_files(g, p, on_parse_failure="skip")
    report = evaluate_files(g, p, on_parse_failure="skip", allow_partial=True)
    assert report.n == 3 and report.n_invalid == 1 and report.labels == [1]


def test_input_keys_that_shadow_python_or_pydantic_names_are_kept_verbatim(tmp_path):
    keys = {"model_config": 1, "__class__": 2, "": 3, "__pydantic_extra__": 4, "to_json_line": 5, "input_input_line": 6}
    source = _write_lines(tmp_path / "in.jsonl", [json.dumps(_pair(1, **keys))])
    out = tmp_path / "out.jsonl"
    judge_file(source, out, MockEngine("1"), JudgeConfig())
    [record] = _strict_read(out)
    assert record["status"] == "ok" and all(record[k] == v for k, v in keys.items())
    assert judge_file(source, out, MockEngine("1"), JudgeConfig(), resume=True).skipped_done == 1


def test_the_cli_checks_a_resume_before_loading_the_model(tmp_path, capsys):
    source = _write_lines(tmp_path / "in.jsonl", [json.dumps(_pair(i)) for i in range(4)])
    out = tmp_path / "out.jsonl"
    scores = ["--template", "judgeforge-pair-scores"]
    assert main(["judge", str(source), "-o", str(out), "--engine", "mock", *scores, "--limit", "2"]) == 0
    before = out.read_bytes()
    capsys.readouterr()
    argv = ["judge", str(source), "-o", str(out), "--engine", "hf", "--model", str(tmp_path / "none"), *scores]
    assert main([*argv, "--resume"]) == 1
    err = capsys.readouterr().err.replace("\n", " ")
    assert "settings differ" in err and "engine.engine: 'mock' then, 'hf' now" in err and "loading engine" not in err
    assert out.read_bytes() == before
    assert main(["judge", str(source), "-o", str(out), "--engine", "mock", *scores, "--resume"]) == 0
    assert len(_strict_read(out)) == 4


def test_resume_refuses_another_sampling_seed_but_ignores_the_seed_when_greedy(tmp_path):
    source, out = _job(tmp_path)
    # greedy decoding: the seed does not change the results, so the job resumes
    judge_file(source, out, MockEngine("1"), JudgeConfig(chunk_size=2, seed=7), resume=True, limit=4)
    with pytest.raises(ConfigError, match="temperature"):
        judge_file(source, out, MockEngine("1"), JudgeConfig(chunk_size=2, temperature=0.7), resume=True)
