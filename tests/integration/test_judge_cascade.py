"""The live confidence cascade: a first judge whose confidences the test sets, a second judge that
says "2", through the Python API and ``judgeforge judge --escalate-below P --escalate-to SPEC``."""

import json
import math
import re
from typing import Any

import pytest

from judgeforge import Cascade, Judge, JudgeSample
from judgeforge.cli.main import main
from judgeforge.engines import mock
from judgeforge.errors import ConfigError
from judgeforge.records import Generation, Prompt, Verdict

_CONFIDENCE = re.compile(r"c=([01]\.[0-9]+|fail)")


class ConfidentMock(mock.MockEngine):
    """The mock engine with a first-token distribution: the confidence of its verdict is written in the
    prompt (``c=0.4`` in an answer; above 1/3); with ``unsure``, ``c=fail`` gets an answer that is no verdict."""

    def __init__(self, verdict: str = "1", unsure: bool = True, **kw: Any) -> None:
        super().__init__(verdict=verdict, **kw)
        self.unsure = unsure
        self.judged: list[str] = []
        """The prompts' confidence markers, in the order judged (which samples reached this engine)."""

    def _marker(self, prompt: Prompt) -> str:
        match = _CONFIDENCE.search(prompt.messages[-1].content)
        return match.group(1) if match else "0.99"

    def _text(self, prompt: Prompt) -> str:
        return "unsure" if self.unsure and self._marker(prompt) == "fail" else super()._text(prompt)

    def generate(self, prompts, params) -> list[Generation]:
        out = []
        for prompt, gen in zip(prompts, super().generate(prompts, params)):
            marker = self._marker(prompt)
            self.judged.append(marker)
            token = gen.text.split()[0] if gen.text else ""
            if token in ("1", "2") and marker != "fail":
                c = float(marker)
                # the rest spread over the two other verdicts, so ``c`` (> 1/3) stays the most likely
                logprobs = {t: math.log(c if t == token else (1 - c) / 2) for t in ("1", "2", "tie")}
                gen = gen.model_copy(update={"first_token_logprobs": logprobs})
            out.append(gen)
        return out


MARKERS = ["0.9", "0.4", "0.6", "0.75", "fail", "0.99"]


def _pairs(markers=MARKERS):
    return [
        JudgeSample(id=f"q{i}", question=f"Question {i}?", answers=[f"A c={m}.", "B."]) for i, m in enumerate(markers)
    ]


def _lines(markers=MARKERS):
    """The pairs of :func:`_pairs` as JSONL lines of the canonical schema."""
    return [
        json.dumps({"question_id": s.id, "question_body": s.question, "answer1_body": a, "answer2_body": b})
        for s in _pairs(markers)
        for a, b in [s.answers]
    ]


def _cascade(below, second_engine=None):
    first = Judge.from_spec("mock", mode="fast", engine_instance=ConfidentMock())
    second = Judge.from_spec(
        "mock", mode="fast", engine_instance=second_engine or ConfidentMock(verdict="2", unsure=False)
    )
    return first.cascade(second, below=below)


@pytest.mark.parametrize(
    "below, escalated",
    [
        (0.0, set()),  # nothing, not even the failure
        (0.3, {"fail"}),  # a failure has no confidence: it counts as 0
        (0.7, {"0.4", "0.6", "fail"}),
        (0.75, {"0.4", "0.6", "fail"}),  # below, not at: 0.75 stays
        (0.95, {"0.4", "0.6", "0.75", "fail", "0.9"}),
        (1.0, set(MARKERS)),
    ],
)
def test_escalates_exactly_the_verdicts_below_the_threshold(below, escalated):
    second = ConfidentMock(verdict="2", unsure=False)
    verdicts = _cascade(below, second).judge(_pairs())
    assert sorted(second.judged) == sorted(escalated)  # the second judge saw those and only those
    for marker, v in zip(MARKERS, verdicts):
        assert isinstance(v, Verdict) and v.escalated is (marker in escalated)
        assert v.label == (2 if marker in escalated else None if marker == "fail" else 1)
        # what the first judge said is kept beside the final verdict
        assert v.first_judge_label == (None if marker == "fail" else 1)
        assert v.first_judge_confidence == (None if marker == "fail" else pytest.approx(float(marker)))
    [failed] = [v for m, v in zip(MARKERS, verdicts) if m == "fail"]
    assert (failed.first_judge_error is not None) is (below > 0)


def test_a_file_gets_one_record_per_input_line_with_both_verdicts(tmp_path):
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    lines = _lines()
    source.write_text("\n".join([*lines[:2], "{not json", *lines[2:]]) + "\n")
    with _cascade(0.7) as cascade:
        summary = cascade.judge_file(source, out)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["input_line"] for r in records] == [1, 2, 3, 4, 5, 6, 7]
    assert summary.escalated == 3 and dict(summary.statuses) == {"ok": 6, "bad_input": 1}
    bad = records[2]
    assert bad["status"] == "bad_input" and "escalated" not in bad
    by_id = {r["question_id"]: r for r in records if r["status"] == "ok"}
    assert by_id["q1"]["pred_label"] == 2 and by_id["q1"]["escalated"] is True
    assert by_id["q1"]["first_judge_label"] == 1 and by_id["q1"]["first_judge_confidence"] == 0.4
    assert by_id["q4"]["first_judge_label"] is None and "not a verdict" in by_id["q4"]["first_judge_error"]
    assert by_id["q0"]["pred_label"] == 1 and by_id["q0"]["escalated"] is False
    assert by_id["q0"]["pred_confidence"] == by_id["q0"]["first_judge_confidence"] == 0.9


def test_the_summary_counts_the_cache_hits_of_both_judges(tmp_path):
    from judgeforge.engines.openai_http import Usage

    class Cached(ConfidentMock):
        """Stands for an API engine whose every answer comes from its cache."""

        def __init__(self, **kw: Any) -> None:
            super().__init__(**kw)
            self.usage = Usage()

        def generate(self, prompts, params) -> list[Generation]:
            self.usage.cache_hits += len(prompts)
            return super().generate(prompts, params)

    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("\n".join(_lines()) + "\n")
    first = Judge.from_spec("mock", mode="fast", engine_instance=Cached())
    second = Judge.from_spec("mock", mode="fast", engine_instance=Cached(verdict="2", unsure=False))
    summary = first.cascade(second, below=0.7).judge_file(source, out)
    assert summary.escalated == 3 and summary.from_cache == 6 + 3


def test_the_second_judge_failing_is_recorded_not_hidden():
    # escalated and the second judge's output is no verdict: its failure is the record, the first verdict beside it
    second = ConfidentMock(verdict="maybe")
    [v] = _cascade(0.7, second).judge(_pairs(["0.4"]))
    assert v.status == "parse_failed" and v.label is None and v.escalated is True and v.first_judge_label == 1


def test_a_sample_the_second_judge_cannot_take_keeps_the_first_verdict():
    tiny = ConfidentMock(verdict="2", unsure=False)
    tiny.max_prompt_tokens = 5  # the instructions alone do not fit: the second judge cannot take any sample
    [v] = _cascade(0.7, tiny).judge(_pairs(["0.4"]))
    assert isinstance(v, Verdict) and v.label == 1 and v.escalated is False
    assert "second judge cannot judge this sample" in v.warnings[-1]


def test_threshold_outside_0_1_is_refused():
    judge = Judge.from_spec("mock")
    for below in (-0.1, 1.5, float("nan")):
        with pytest.raises(ConfigError, match=r"\[0, 1\]"):
            Cascade(judge, judge, below)


def test_resume_judges_only_the_rest_with_both_judges(tmp_path):
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(line + "\n" for line in _lines()))
    with _cascade(0.7) as cascade:
        cascade.judge_file(source, out, limit=2)  # an interrupted run: q0 kept, q1 escalated
    first, second = ConfidentMock(), ConfidentMock(verdict="2", unsure=False)
    resumed = Judge.from_spec("mock", mode="fast", engine_instance=first).cascade(
        Judge.from_spec("mock", mode="fast", engine_instance=second), below=0.7
    )
    summary = resumed.judge_file(source, out, resume=True)
    assert summary.skipped_done == 2
    assert first.judged == MARKERS[2:] and sorted(second.judged) == ["0.6", "fail"]
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["escalated"] for r in records] == [False, True, True, False, True, False]


# > the command line


@pytest.fixture
def cli_specs(tmp_path, monkeypatch):
    """``--engine mock`` with confidences; a second judge spec that says 2; one whose model cannot load."""
    monkeypatch.setattr(mock, "MockEngine", ConfidentMock)
    source = tmp_path / "in.jsonl"
    source.write_text("".join(line + "\n" for line in _lines()))
    strong = tmp_path / "strong.yaml"
    strong.write_text("name: strong\nengine: mock\nmode: fast\nengine_options: {verdict: '2', unsure: false}\n")
    unloadable = tmp_path / "unloadable.yaml"
    # a model that does not exist: had its engine been created, the run would fail on it
    unloadable.write_text("name: unloadable\nengine: hf\nmodel: /nonexistent/model\n")
    return source, strong, unloadable


def _judge(source, out, *options):
    return main(["judge", str(source), "-o", str(out), "--judge", "mock", "--mode", "fast", *options])


def test_cli_cascade_writes_the_second_verdicts(tmp_path, cli_specs, capsys):
    source, strong, _ = cli_specs
    out = tmp_path / "out.jsonl"
    assert _judge(source, out, "--escalate-below", "0.7", "--escalate-to", str(strong)) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["pred_label"] for r in records] == [1, 2, 2, 1, 2, 1]
    assert [r["first_judge_label"] for r in records] == [1, 1, 1, 1, None, 1]
    assert records[4]["status"] == "ok" and records[4]["escalated"] is True  # the failure got a verdict
    assert "3 escalated" in capsys.readouterr().err


def test_cli_print_prompt_shows_both_judges_prompts(tmp_path, cli_specs, capsys):
    source, _, _ = cli_specs
    scores = tmp_path / "scores.yaml"  # a second judge with another prompt
    scores.write_text("name: scores\nengine: mock\ntemplate: judgeforge-pair-scores\n")
    argv = ["--escalate-below", "0.7", "--escalate-to", str(scores), "--print-prompt"]
    assert _judge(source, tmp_path / "never.jsonl", *argv) == 0
    printed = capsys.readouterr().out
    headings = re.findall(r"^===== (.*) =====$", printed, flags=re.M)
    blocks = re.split(r"^===== .* =====$", printed, flags=re.M)[1:]
    assert [h.split(", ", 1)[1] for h in headings] == [
        "first judge, prompt 1 of 1",
        "second judge, when escalated, prompt 1 of 1",
    ]
    assert blocks[0] != blocks[1] and "score" in blocks[1].lower()
    assert not (tmp_path / "never.jsonl").exists()


def test_cli_print_prompt_of_a_cascade_from_the_reward_judge_shows_the_second_judges(tmp_path, cli_specs, capsys):
    source, strong, _ = cli_specs
    argv = ["judge", str(source), "--escalate-below", "0.7", "--escalate-to", str(strong), "--print-prompt"]
    assert main(argv) == 0  # the default judge: a reward model, which reads no prompt
    printed = capsys.readouterr()
    assert "first judge: 'default' is a reward model; it reads no prompt" in " ".join(printed.err.split())
    assert re.findall(r"^===== .*, (second judge, when escalated), prompt 1 of 1 =====$", printed.out, flags=re.M)


def test_cli_threshold_0_never_loads_the_second_judge(tmp_path, cli_specs):
    source, _, unloadable = cli_specs
    out = tmp_path / "out.jsonl"
    assert _judge(source, out, "--escalate-below", "0", "--escalate-to", str(unloadable)) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert all(r["escalated"] is False for r in records if r["status"] == "ok")
    assert [r["status"] for r in records].count("parse_failed") == 1  # not escalated: its failure stands


@pytest.mark.parametrize(
    "change",
    [
        ["--escalate-below", "0.5", "--escalate-to", "STRONG"],  # another threshold
        ["--escalate-below", "0.7", "--escalate-to", "mock"],  # another second judge
        [],  # no cascade
    ],
)
def test_cli_resume_refuses_other_escalation_settings(tmp_path, cli_specs, capsys, change):
    source, strong, _ = cli_specs
    out = tmp_path / "out.jsonl"
    cascade = ["--escalate-below", "0.7", "--escalate-to", str(strong)]
    assert _judge(source, out, *cascade, "--limit", "2") == 0
    before = out.read_text()
    capsys.readouterr()
    change = [str(strong) if c == "STRONG" else c for c in change]
    assert _judge(source, out, *change, "--resume") == 1
    assert "escalation" in capsys.readouterr().err and out.read_text() == before
    assert _judge(source, out, *cascade, "--resume") == 0  # the same settings finish it
    assert len(out.read_text().splitlines()) == len(MARKERS)


def test_cli_resume_of_a_plain_run_refuses_a_cascade(tmp_path, cli_specs, capsys):
    source, strong, _ = cli_specs
    out = tmp_path / "out.jsonl"
    assert _judge(source, out, "--limit", "2") == 0
    assert _judge(source, out, "--escalate-below", "0.7", "--escalate-to", str(strong), "--resume") == 1
    assert "escalation" in capsys.readouterr().err


@pytest.mark.parametrize(
    "options, message",
    [
        (["--escalate-below", "0.5"], "needs --escalate-to"),
        (["--escalate-to", "mock"], "needs --escalate-below"),
        (["--escalate-below", "1.5", "--escalate-to", "mock"], "less than or equal to 1"),
        (["--escalate-below", "-0.1", "--escalate-to", "mock"], "greater than or equal to 0"),
        (["--escalate-below", "0.5", "--escalate-to", "no-such-judge"], "unknown judge 'no-such-judge'"),
    ],
)
def test_cli_escalation_options_are_checked_before_any_model_loads(tmp_path, cli_specs, capsys, options, message):
    source, _, unloadable = cli_specs
    out = tmp_path / "out.jsonl"
    # the first judge cannot load either: each error below comes before any model would
    code = main(["judge", str(source), "-o", str(out), "--judge", str(unloadable), *options])
    assert code in (1, 2) and message in capsys.readouterr().err
    assert not out.exists()


def test_a_first_judge_without_confidences_escalates_everything_and_says_so(caplog):
    first = Judge.from_spec("mock", mode="fast", engine_instance=mock.MockEngine())  # no first-token distribution
    second = ConfidentMock(verdict="2", unsure=False)
    cascade = first.cascade(Judge.from_spec("mock", mode="fast", engine_instance=second), below=0.5)
    verdicts = cascade.judge(_pairs(["0.9", "0.99"]))
    assert [v.escalated for v in verdicts if isinstance(v, Verdict)] == [True, True]
    assert "without a confidence" in caplog.text
