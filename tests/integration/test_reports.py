"""bench, leaderboard, audit and eval --baselines end to end: real files, mock judges where results are asserted."""

import json

import pytest
from PIL import Image

from judgeforge.cli.main import main
from judgeforge.engines.mock import MockEngine
from judgeforge.judging.judge import Judge
from judgeforge.reports.audit import run_audit
from judgeforge.reports.bench import read_bench, write_bench
from judgeforge.reports.runner import judge_cached

from ..conftest import DATA

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _check_pngs(paths):
    assert paths, "no plots were written"
    for p in paths:
        assert p.read_bytes()[:8] == PNG_MAGIC, p
        with Image.open(p) as im:
            im.verify()
            assert im.size[0] > 100 and im.size[1] > 100


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def gold_and_two_judges(tmp_path):
    gold = [1, 2, 1, 2, 1, 2, 1, 2]
    records = [
        {
            "question_id": f"q{i}",
            "question_body": f"question {i}",
            "answer1_body": "long answer " * (3 if i % 3 else 1),
            "answer2_body": "short",
            "label": g,
            "meta": {"category": "math" if i < 4 else "code"},
        }
        for i, g in enumerate(gold)
    ]
    a = [1, 2, 1, 2, 1, 2, 2, 1]  # 6 of 8 right
    b = [1, 2, 2, 2, None, 2, 1, 1]  # 5 of 8 right, one failure
    return (
        _write(tmp_path / "gold.jsonl", records),
        _write(tmp_path / "a.jsonl", [{"question_id": f"q{i}", "label": v} for i, v in enumerate(a)]),
        _write(tmp_path / "b.jsonl", [{"question_id": f"q{i}", "label": v} for i, v in enumerate(b)]),
    )


def test_bench_of_two_verdict_files_with_jury_cascade_and_plots(tmp_path, gold_and_two_judges, capsys):
    gold, a, b = gold_and_two_judges
    out = tmp_path / "report"
    argv = [
        "bench",
        str(gold),
        "-o",
        str(out),
        "--judgments",
        f"A={a}",
        "--judgments",
        f"B={b}",
        "--escalate-to",
        "teacher",
        "--escalate-below",
        "0.9",
    ]
    assert main(argv) == 0
    folder = out / "gold"
    report = json.loads((folder / "report.json").read_text())
    rows = {r["name"]: r for r in report["rows"]}
    assert rows["A"]["metrics"]["agreement"] == pytest.approx(6 / 8)
    assert rows["B"]["metrics"]["agreement"] == pytest.approx(5 / 8)
    assert {"jury: majority vote", "jury: mean probability", "majority class", "longer answer wins", "random"} <= set(
        rows
    )
    assert rows["longer answer wins"]["metrics"]["agreement"] == pytest.approx(4 / 8)
    assert set(rows["A"]["by_group"]) == {"math", "code"}
    assert report["agreement_between_judges"]["fleiss_kappa"] is not None
    # the mean-probability jury is sure where A and B agree and escalates the rest to the teacher
    curve = report["cascades"]["jury: mean probability"]
    assert curve[0]["escalated"] == 0.0 and curve[-1]["agreement"] == 1.0
    md = (folder / "report.md").read_text()
    assert "JudgeBench" in md and "Auto-J strict" in md and "Krippendorff" in md
    _check_pngs([folder / p for p in report["plots"]])
    assert {"cascade.png", "categories.png", "length.png"} <= set(report["plots"])
    assert (out / "summary.md").exists() and "gold.jsonl" in capsys.readouterr().out


def test_bench_with_a_position_biased_mock_judge(tmp_path):
    """A judge that always names the answer shown first: never consistent, always prefers first."""
    judge = Judge.from_spec("mock", mode="fast", swap=True)  # the mock spec always says "1"
    judged = tmp_path / "judged.jsonl"
    judge_cached(judge, DATA / "pairs.jsonl", judged)
    judge_cached(judge, DATA / "pairs.jsonl", judged)  # a rerun reuses the cached judgments
    assert len(judged.read_text().splitlines()) == 4
    report = read_bench(DATA / "pairs.jsonl", {"first-wins": judged})
    m = report.rows[0].report.metrics
    assert m["consistency"] == 0.0 and m["prefer_first"] == 1.0 and m["judgebench_score"] == 0.0
    written = write_bench(report, tmp_path / "out")
    _check_pngs([p for p in written if p.suffix == ".png"])


def test_bench_cli_runs_the_judge_on_a_shared_file(tmp_path, shared_data):
    out = tmp_path / "bench"
    argv = ["bench", str(shared_data / "judgebench_gpt4o.jsonl"), "-o", str(out), "--judge", "mock", "--limit", "6"]
    assert main(argv) == 0
    report = json.loads((out / "judgebench_gpt4o" / "report.json").read_text())
    assert report["n"] == 6 and report["rows"][0]["name"] == "mock"
    assert len((out / "judgebench_gpt4o" / "judgments.jsonl").read_text().splitlines()) == 6


def test_an_interrupted_bench_keeps_its_judgments_and_the_same_command_continues(tmp_path, monkeypatch, capsys):
    from judgeforge.engines.mock import MockEngine

    rows = [{"question_id": f"q{i}", "question_body": f"Q{i}?", "answer1_body": "a", "answer2_body": "b", "label": 1}
            for i in range(40)]  # fmt: skip
    gold = _write(tmp_path / "gold.jsonl", rows)
    original, calls = MockEngine.generate, []

    def interrupted_on_the_second_chunk(self, prompts, params):
        calls.append(len(prompts))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self, prompts, params)

    monkeypatch.setattr(MockEngine, "generate", interrupted_on_the_second_chunk)
    argv = ["bench", str(gold), "-o", str(tmp_path / "bench"), "--judge", "mock", "--batch-size", "1"]
    assert main(argv) == 130
    err = " ".join(capsys.readouterr().err.split())  # unwrapped
    assert "the same command continues" in err and "--resume" not in err  # bench has no --resume flag
    judged = tmp_path / "bench" / "gold" / "judgments.jsonl"
    assert 0 < len(judged.read_text().splitlines()) < 40
    monkeypatch.setattr(MockEngine, "generate", original)
    assert main(argv) == 0
    assert [json.loads(ln)["input_line"] for ln in judged.read_text().splitlines()] == list(range(1, 41))


def test_bench_rejects_judgments_for_several_files(tmp_path, gold_and_two_judges):
    gold, a, _ = gold_and_two_judges
    assert main(["bench", str(gold), str(gold), "-o", str(tmp_path), "--judgments", str(a)]) == 2


def test_leaderboard_of_teacher_labels_matches_alpacaeval(tmp_path, shared_data):
    """The teacher's own preferences rank the 40 models as AlpacaEval 2.0 does (Spearman 0.96 on
    the 100 val instructions); mean answer length alone gets 0.59."""
    out = tmp_path / "lb"
    argv = [
        "leaderboard",
        str(shared_data / "alpacaeval_weighted_val.jsonl"),
        "-o",
        str(out),
        "--baseline",
        "gpt4_1106_preview",
        "--judge",
        "teacher",
        "--published",
        "alpacaeval2",
        "--n-boot",
        "20",
    ]
    assert main(argv) == 0
    board = json.loads((out / "leaderboard.json").read_text())
    assert len(board["rows"]) == 40 and board["n_battles"] == 4000
    corr = board["correlations"]
    assert corr["win_rate vs published win_rate"]["spearman"] == pytest.approx(0.961, abs=0.002)
    assert corr["mean_length vs published win_rate"]["spearman"] == pytest.approx(0.592, abs=0.002)
    for row in board["rows"]:
        assert row["rating_low"] <= row["rating"] <= row["rating_high"]
    _check_pngs([out / p for p in board["plots"]])


def test_leaderboard_from_answer_files(tmp_path):
    out = tmp_path / "lb"
    argv = [
        "leaderboard",
        str(DATA / "answers_b.jsonl"),
        str(DATA / "answers_c.jsonl"),
        "-o",
        str(out),
        "--baseline-answers",
        str(DATA / "answers_a.jsonl"),
        "--judge",
        "length",
        "--n-boot",
        "10",
        "--no-plots",
    ]
    assert main(argv) == 0
    board = json.loads((out / "leaderboard.json").read_text())
    assert board["baseline"] == "a" and {r["model"] for r in board["rows"]} == {"b", "c"}
    pairs = (out / "pairs.jsonl").read_text().splitlines()
    assert all(json.loads(p)["answer1_model_id"] == "a" for p in pairs)


def test_leaderboard_from_a_named_judgments_file(tmp_path):
    first = tmp_path / "first"
    common = ["--baseline", "a", "--n-boot", "10", "--no-plots"]
    answers = [
        str(DATA / "answers_b.jsonl"),
        str(DATA / "answers_c.jsonl"),
        "--baseline-answers",
        str(DATA / "answers_a.jsonl"),
    ]
    assert main(["leaderboard", *answers, "-o", str(first), "--judge", "mock", *common[2:]]) == 0
    again = tmp_path / "again"
    argv = [
        "leaderboard",
        str(first / "pairs.jsonl"),
        "-o",
        str(again),
        "--judgments",
        f"mine={first / 'judgments.jsonl'}",
    ]
    assert main([*argv, *common]) == 0
    board = json.loads((again / "leaderboard.json").read_text())
    assert board["judge"] == "mine" and "judge mine" in (again / "leaderboard.md").read_text()
    assert board["rows"] == json.loads((first / "leaderboard.json").read_text())["rows"]  # the same battles


def test_audit_flip_rates_of_a_position_biased_mock_judge(tmp_path):
    from judgeforge.data.load import load_samples
    from judgeforge.data.perturb import PERTURBATIONS

    judge = Judge.from_spec("mock", mode="fast")  # the mock spec always says "1"
    rows = run_audit(load_samples(DATA / "pairs.jsonl"), judge, list(PERTURBATIONS.values()))
    assert rows["position"]["flip_rate"] == 1.0
    for name in ("verbosity", "injection", "format"):
        assert rows[name]["flip_rate"] == 0.0 and rows[name]["n"] == 4
    # one of the four pairs has a reference; this judge ignores it
    assert rows["reference"]["n_applicable"] == 1 and rows["reference"]["flip_rate"] == 0.0


class _SeededEngine(MockEngine):
    """Says "1" when greedy; when sampling, the verdict depends on the seed (seed 0 and 2: "1", others "2")."""

    def generate(self, prompts, params):
        self.seen.append((params.temperature, params.seed))
        self.verdict = "2" if params.temperature > 0 and params.seed % 2 else "1"
        return super().generate(prompts, params)


def test_self_consistency_re_judges_with_sampling_when_verdicts_have_no_probabilities():
    from judgeforge.data.load import load_samples
    from judgeforge.reports.audit import SELF_CONSISTENCY, Sampling

    engine = _SeededEngine(verdict="1")
    engine.seen = []
    judge = Judge.from_spec("mock", mode="fast", engine_instance=engine)
    rows = run_audit(load_samples(DATA / "pairs.jsonl"), judge, [], Sampling(draws=4, temperature=0.7, seed=10))
    row = rows[SELF_CONSISTENCY]
    # seeds 10..13: verdicts 1, 2, 1, 2 against a greedy 1 on every pair
    assert row["flip_rate"] == 0.5 and row["n"] == 4 and row["n_draws"] == 16
    assert row["method"].startswith("judged again")
    assert engine.seen == [(0.0, 0), (0.7, 10), (0.7, 11), (0.7, 12), (0.7, 13)]


def test_self_consistency_draws_from_verdict_probabilities():
    from judgeforge.records import JudgeSample, Verdict
    from judgeforge.reports.audit import SELF_CONSISTENCY, Sampling

    class ProbJudge:  # a judge sure of half the pairs and unsure (60/40) of the others
        def judge(self, samples):
            probs = [{1: 1.0, 0: 0.0, 2: 0.0}, {1: 0.6, 0: 0.0, 2: 0.4}]
            return [Verdict(sample_id=s.id, judgments=[], label=1, probs=probs[i % 2]) for i, s in enumerate(samples)]

    pairs = [JudgeSample(id=f"p{i}", question="q", answers=["a", "b"]) for i in range(40)]
    warm = run_audit(pairs, ProbJudge(), [], Sampling(draws=500))[SELF_CONSISTENCY]
    assert warm["method"].startswith("drawn from")
    assert warm["flip_rate"] == pytest.approx(0.2, abs=0.02)  # half the pairs flip 40% of the time
    assert warm["ci_low"] < warm["flip_rate"] < warm["ci_high"]
    cold = run_audit(pairs, ProbJudge(), [], Sampling(draws=500, temperature=0.05))[SELF_CONSISTENCY]
    assert cold["flip_rate"] < 0.001  # (0.4/0.6)^20: sampling near temperature 0 is greedy


def test_a_reward_judge_refuses_a_temperature():
    from judgeforge.errors import ConfigError

    with pytest.raises(ConfigError, match="does not sample"):
        Judge.from_spec("default", temperature=0.5)


def test_audit_cli_with_a_user_perturbation(tmp_path):
    from judgeforge.data.perturb import PERTURBATIONS

    out = tmp_path / "audit"
    argv = [
        "audit",
        str(DATA / "pairs.jsonl"),
        "-o",
        str(out),
        "--engine",
        "mock",
        "--perturbation",
        "position",
        "--perturbation",
        "judgeforge.data.perturb:verbosity",
    ]
    assert main(argv) == 0
    rows = json.loads((out / "audit.json").read_text())
    assert set(rows) == {"position", "verbosity"}
    _check_pngs([out / "flip-rates.png"])
    assert main(["audit", str(DATA / "pairs.jsonl"), "-o", str(out), "--judge", "mock", "--perturbation", "nope"]) == 1
    # by default: every built-in perturbation and self-consistency
    assert main(["audit", str(DATA / "pairs.jsonl"), "-o", str(out), "--engine", "mock", "--draws", "2"]) == 0
    rows = json.loads((out / "audit.json").read_text())
    assert list(rows) == [*PERTURBATIONS, "self_consistency"] and rows["self_consistency"]["n_draws"] == 8
    assert "Self-consistency" in (out / "audit.md").read_text()


def test_eval_prints_baselines(tmp_path, gold_and_two_judges, capsys):
    gold, a, _ = gold_and_two_judges
    assert main(["eval", "--gold", str(gold), "--pred", str(a), "--json", "--baselines"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["baselines"]["longer answer wins"]["agreement"] == pytest.approx(4 / 8)
    assert main(["eval", "--gold", str(gold), "--pred", str(a), "--baselines"]) == 0
    assert "majority class" in capsys.readouterr().out


def test_leaderboard_round_robin_pairs_models_with_each_other(tmp_path):
    from judgeforge.reports.leaderboard import pairs_from_answer_files

    files = [DATA / "answers_b.jsonl", DATA / "answers_c.jsonl"]
    out = pairs_from_answer_files(DATA / "answers_a.jsonl", files, tmp_path / "rr.jsonl", round_robin=3, seed=1)
    pairs = [json.loads(line) for line in out.read_text().splitlines()]
    met = {frozenset((p["answer1_model_id"], p["answer2_model_id"])) for p in pairs}
    assert met == {frozenset("ab"), frozenset("ac"), frozenset("bc")}  # 3 pairs of 3 models per question
    assert pairs == [
        json.loads(line)
        for line in pairs_from_answer_files(
            DATA / "answers_a.jsonl", files, tmp_path / "again.jsonl", round_robin=3, seed=1
        )
        .read_text()
        .splitlines()
    ]


def test_bench_of_graded_single_answers_reports_correlations_beside_answer_length(tmp_path, capsys):
    from scipy.stats import pearsonr

    gold_grades = [1, 2, 3, 4, 5, 2, 4]
    records = [
        {"question_id": f"s{i}", "question_body": f"q{i}", "answer_body": "word " * (1 + (i * 3) % 7), "score": g}
        for i, g in enumerate(gold_grades)
    ]
    gold = _write(tmp_path / "graded.jsonl", records)
    close = [1.5, 2.0, 2.5, 4.0, 4.5, 3.0, 3.5]
    wrong_way = [5, 4, 3, 2, 1, 4, 2]
    a = _write(tmp_path / "a.jsonl", [{"question_id": f"s{i}", "pred_score": [v]} for i, v in enumerate(close)])
    fails = [{"question_id": f"s{i}", "pred_score": [v], "status": "ok"} for i, v in enumerate(wrong_way)]
    fails[0] = {"question_id": "s0", "status": "parse_failed", "pred_score": None}
    b = _write(tmp_path / "b.jsonl", fails)
    out = tmp_path / "report"
    assert main(["bench", str(gold), "-o", str(out), "--judgments", f"A={a}", "--judgments", f"B={b}"]) == 0
    report = json.loads((out / "graded" / "report.json").read_text())
    assert report["task"] == "single"
    rows = {r["name"]: r for r in report["rows"]}
    assert rows["A"]["metrics"]["pearson"] == pytest.approx(pearsonr(gold_grades, close).statistic)
    assert rows["B"]["n_failed"] == 1 and rows["B"]["metrics"]["pearson"] < 0
    lengths = [len(r["answer_body"]) for r in records]
    assert rows["answer length"]["kind"] == "baseline"
    assert rows["answer length"]["metrics"]["pearson"] == pytest.approx(pearsonr(gold_grades, lengths).statistic)
    _check_pngs([out / "graded" / "grades-A.png", out / "graded" / "grades-B.png"])
    summary = (out / "summary.md").read_text()
    assert "## Graded and ranked files" in summary and "| graded.jsonl | single | 7 |" in summary


def test_bench_runs_a_judge_on_pairs_graded_answers_and_rankings_together(tmp_path, shared_data):
    ranking = tmp_path / "vicuna_ranking.jsonl"
    assert (
        main(["prepare", str(shared_data / "prometheus_vicuna_single.jsonl"), "--format", "graded", "-o", str(ranking)])
        == 0
    )
    files = [shared_data / "llmbar_faireval.jsonl", shared_data / "prometheus_vicuna_single.jsonl", ranking]
    out = tmp_path / "bench"
    assert (
        main(["bench", *map(str, files), "-o", str(out), "--judge", "mock", "--limit", "5", "--escalate-to", "teacher"])
        == 0
    )
    single = json.loads((out / "prometheus_vicuna_single" / "report.json").read_text())
    multi = json.loads((out / "vicuna_ranking" / "report.json").read_text())
    assert single["task"] == "single" and multi["task"] == "multi"
    assert [r["n"] for r in single["rows"]] == [5, 5] and [r["n"] for r in multi["rows"]] == [5, 5]
    assert {"kendall", "pairwise_agreement", "top1_accuracy"} <= set(multi["rows"][0]["metrics"])
    assert len((out / "vicuna_ranking" / "judgments.jsonl").read_text().splitlines()) == 5
    assert json.loads((out / "llmbar_faireval" / "report.json").read_text())["n"] == 5
    summary = (out / "summary.md").read_text()
    assert "| llmbar_faireval.jsonl | 5 |" in summary and "| vicuna_ranking.jsonl | multi | 5 |" in summary
