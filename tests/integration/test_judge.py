"""The Judge object: the CLI and the Python API judge through it and agree record for record."""

import importlib.machinery
import json
import sys
import types

import pytest

from judgeforge import Judge, JudgeSample, JudgeSpec
from judgeforge.cli.main import main
from judgeforge.engines.mock import MockEngine
from judgeforge.errors import ConfigError, DataError
from judgeforge.prompts import get_template, prompt_text, render_prompt
from judgeforge.prompts.truncate import TRUNCATION_MARK
from judgeforge.records import Verdict

from ..conftest import DATA

PAIR = JudgeSample(id="p", question="Best colour?", answers=["Blue.", "Red."])
SINGLE = JudgeSample(id="s", question="Best colour?", answers=["Blue."])


def _records(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("flags", [[], ["--swap", "--mode", "fast"], ["--pointwise"], ["--template-family", "judgelm"]])
def test_cli_and_python_api_write_identical_records(tmp_path, flags):
    spec = tmp_path / "judge.yaml"
    spec.write_text("include: mock\nname: mine\nengine_options: {verdict: '2', score: 6}\n")
    by_cli, by_api = tmp_path / "cli.jsonl", tmp_path / "api.jsonl"
    assert (
        main(["judge", str(DATA / "bad.jsonl"), "-o", str(by_cli), "--judge", str(spec), "-M", "score=9", *flags]) == 0
    )
    overrides = {
        "--swap": {"swap": True},
        "--mode": {"mode": "fast"},
        "--pointwise": {"pointwise": True},
        "--template-family": {"template_family": "judgelm"},
    }
    kwargs = {k: v for flag in flags if flag in overrides for k, v in overrides[flag].items()}
    with Judge.from_spec(spec, engine_options={"score": 9}, **kwargs) as judge:
        judge.judge_file(DATA / "bad.jsonl", by_api)
    cli, api = _records(by_cli), _records(by_api)
    assert cli == api
    ok = [r for r in cli if r["status"] == "ok"]
    assert ok and len(cli) == 9  # every input line has its record, the good ones judged
    if "--pointwise" in flags or "judgelm" in flags:
        assert all(r["pred_score"][0] == 9 for r in ok)  # the -M override reached the engine


def test_options_are_checked_before_any_model_loads(tmp_path, capsys):
    out = tmp_path / "o.jsonl"
    spec = tmp_path / "j.yaml"
    # a model that does not exist: had the engine been created, the error would be about it
    spec.write_text("name: j\nengine: hf\nmodel: /nonexistent/model\n")
    cases = [
        (["--template", "nope"], "unknown template 'nope'"),
        (["-M", "batch_sise=4"], "no option 'batch_sise'"),
        (["-M", "dtype"], "expected key=value"),
        (["--judge", "nope"], "unknown judge 'nope'"),
    ]
    for extra, message in cases:
        argv = ["judge", str(DATA / "pairs.jsonl"), "-o", str(out), "--judge", str(spec), *extra]
        assert main(argv) == 1, extra
        assert message in capsys.readouterr().err
        assert not out.exists()
    assert main(["judge", str(DATA / "pairs.jsonl"), "-o", str(out), "--mode", "slow"]) == 2
    assert "fast" in capsys.readouterr().err and not out.exists()


def test_print_prompt_shows_the_exact_prompt_without_judging(tmp_path, capsys):
    out = tmp_path / "o.jsonl"
    argv = ["judge", str(DATA / "pairs.jsonl"), "-o", str(out), "--judge", "mock", "--print-prompt", "--swap"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert not out.exists()
    assert printed.count("=====") == 4 and "prompt 2 of 2" in printed  # the first record, both orders
    first = json.loads((DATA / "pairs.jsonl").read_text().splitlines()[0])
    assert first["answer1_body"] in printed and "Question 2" not in printed
    argv = ["judge", str(DATA / "pairs.jsonl"), "--judge", "mock", "--dry-run", "--template-family", "judgelm"]
    assert main([*argv, "--limit", "2"]) == 0
    printed = capsys.readouterr().out
    assert "Question 2" in printed and "### Response:" in printed


def test_print_prompt_uses_the_tokenizer_chat_template(tiny_model_dir, capsys):
    argv = ["judge", str(DATA / "pairs.jsonl"), "--engine", "hf", "--model", str(tiny_model_dir)]
    assert main([*argv, "-M", "dtype=float32", "--print-prompt"]) == 0
    printed = capsys.readouterr().out
    sample = JudgeSample(id="q1", question="Question 1: name a primary colour.", answers=["Red.", "Banana."])
    with Judge.from_spec("default", model=str(tiny_model_dir), engine_options={"dtype": "float32"}) as judge:
        expected = prompt_text(render_prompt(sample, get_template("judgeforge-pair")), judge.engine.tokenizer)
    assert expected.startswith("<|im_start|>system") and expected in printed


def test_a_judge_used_outside_its_tasks_warns(tmp_path, caplog):
    judge = Judge.from_spec("generative", engine="mock")
    pair, single = judge.judge([PAIR, SINGLE])
    assert isinstance(pair, Verdict) and pair.warnings == []
    assert isinstance(single, Verdict) and "not 'judgeforge-single'" in single.warnings[0]
    assert "trained for ['judgeforge-pair']" in caplog.text
    for overrides, task in [({"template_family": "judgelm"}, "judgelm"), ({"pointwise": True}, "judgeforge-single")]:
        (verdict,) = Judge.from_spec("generative", engine="mock", **overrides).judge([PAIR])
        assert isinstance(verdict, Verdict) and f"not {task!r}" in verdict.warnings[0]
    out = tmp_path / "o.jsonl"
    assert (
        main(
            ["judge", str(DATA / "pairs.jsonl"), "-o", str(out), "-j", "generative", "--engine", "mock", "--pointwise"]
        )
        == 0
    )
    assert all("judgeforge-single" in r["warnings"][0] for r in _records(out))
    # a judge that makes no claim about its tasks never warns
    (verdict,) = Judge.from_spec("mock").judge([SINGLE])
    assert isinstance(verdict, Verdict) and verdict.warnings == []


def test_prompt_budget_is_decided_in_one_place():
    assert Judge.from_spec("generative", engine="mock").prompt_budget() == 768  # 2 * 128 + 512, as trained
    assert Judge.from_spec("generative", engine="mock", max_prompt_tokens=300).prompt_budget() == 300
    assert Judge.from_spec("generative", engine="mock", max_answer_tokens=100).prompt_budget() == 712
    assert Judge.from_spec("generative", engine="mock", model="smollm2").prompt_budget() is None
    engine = Judge.from_spec("generative", engine="mock").engine
    assert engine.max_prompt_tokens == 768


def test_answers_are_cut_head_and_tail_as_in_training():
    long = " ".join(f"w{i}" for i in range(50))
    judge = Judge.from_spec("mock", max_answer_tokens=6)
    (texts,) = judge.prompts([PAIR.model_copy(update={"answers": [long, "Red."]})])
    assert isinstance(texts, list) and f"w0 w1 w2{TRUNCATION_MARK}w47 w48 w49" in texts[0]
    (verdict,) = judge.judge([PAIR.model_copy(update={"answers": [long, "Red."]})])
    assert isinstance(verdict, Verdict) and verdict.truncated


def test_judge_pair_and_lifecycle():
    engine = MockEngine(verdict="2\nThe second is better.")
    with Judge(JudgeSpec(name="m", engine="mock"), engine=engine) as judge:
        verdict = judge.judge_pair("Best colour?", "Blue.", "Red.", reference="Red.")
        assert verdict.label == 2 and verdict.status == "ok" and engine.calls == [1]
    too_long = Judge(JudgeSpec(name="m", engine="mock"), engine=MockEngine(max_prompt_tokens=5))
    with pytest.raises(DataError, match="instructions alone"):
        too_long.judge_pair("Best colour?", "Blue.", "Red.")


def test_reward_judges_dispatch_to_the_reward_module(monkeypatch):
    calls = []

    class FakeReward:
        def judge(self, samples, config):
            calls.append(config.swap)
            return [Verdict(sample_id=s.id, judgments=[], scores=[1.0, 0.0], label=1) for s in samples]

        def close(self):
            calls.append("closed")

        def __init__(self, model: str | None = None) -> None:
            pass

    module = types.ModuleType("judgeforge.judging.reward")
    module.__spec__ = importlib.machinery.ModuleSpec("judgeforge.judging.reward", None)
    module.load_reward_judge = lambda model, **options: FakeReward()
    module.RewardJudge = FakeReward  # its constructor's signature types -M options (none here)
    monkeypatch.setitem(sys.modules, "judgeforge.judging.reward", module)
    spec = JudgeSpec(name="rm", kind="reward", model="some/reward-model", swap=True, tasks=["pair"])
    with Judge(spec) as judge:
        pair, single = judge.judge([PAIR, SINGLE])
        assert pair.label == 1 and pair.warnings == [] and "not 'single'" in single.warnings[0]
        with pytest.raises(ConfigError, match="reward model"):
            judge.prompts([PAIR])
    assert calls == [True, "closed"]


def test_a_reward_judge_without_the_reward_module_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "judgeforge.judging.reward", None)  # as if it were not installed
    with pytest.raises(ConfigError, match="kind 'reward' needs judgeforge.judging.reward"):
        Judge(JudgeSpec(name="rm", kind="reward", model="m"))


def test_switching_to_a_served_model_drops_the_local_one():
    with pytest.raises(ConfigError, match="openai engine needs a model name"):
        Judge.from_spec("default", engine="openai")
    judge = Judge.from_spec("default", engine="openai", model="gpt-x", engine_options={"concurrency": "4"})
    assert judge.spec.tasks == [] and judge.prompt_budget() is None
    assert judge._engine_arguments() == ("openai", {"model": "gpt-x", "concurrency": 4})
