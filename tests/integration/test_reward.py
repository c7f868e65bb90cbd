"""The reward judge on a tiny random model: packing, swap invariance, the tie margin, training."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import torch

from judgeforge.engines.reward_model import (
    FeatureExtractor,
    FeatureSpec,
    Item,
    RewardHead,
    RewardJudgeInfo,
    rao_kupper,
    save_reward_judge,
)
from judgeforge.judging.run import JudgeConfig
from judgeforge.records import JudgeSample

SPEC = FeatureSpec(mean_layers=(1, 2), last_layers=(2,))


@pytest.fixture(scope="module")
def extractor(tiny_model_dir: Path) -> FeatureExtractor:
    return FeatureExtractor(str(tiny_model_dir), SPEC, device="cpu", dtype=torch.float32, max_row_tokens=256)


@pytest.fixture(scope="module")
def judge_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A reward judge with a random head on the tiny model."""
    torch.manual_seed(1)
    head = RewardHead(SPEC.size(32), hidden=8, dropout=0.0)
    with torch.no_grad():
        head.mlp[1].weight.mul_(5)  # rewards far enough apart that verdicts differ between samples
    folder = tmp_path_factory.mktemp("reward-judge")
    save_reward_judge(folder, head, RewardJudgeInfo(base_model=str(tiny_model_dir), spec=SPEC, hidden=8))
    return folder


def _ids(extractor: FeatureExtractor, text: str) -> list[int]:
    return extractor.tokenizer(text, add_special_tokens=False)["input_ids"]


def test_packed_scores_equal_unpacked(extractor: FeatureExtractor) -> None:
    eot = extractor.end_of_turn
    items = [
        Item(_ids(extractor, "What is 2 + 2?"), [_ids(extractor, "4") + eot, _ids(extractor, "It is five.") + eot]),
        Item(_ids(extractor, "Name a colour."), [_ids(extractor, "Red, like a tomato.") + eot]),
        Item(_ids(extractor, "Say hi."), [_ids(extractor, "Hi!") + eot] * 3),
    ]
    packed = extractor.features(items)  # all three items share one row, each answer masked off the others
    alone = extractor.sequence_features(items)  # every prefix + answer as its own causal sequence
    for p, a in zip(packed, alone):
        assert p.shape == a.shape
        torch.testing.assert_close(p, a, rtol=1e-4, atol=1e-4)
    # an answer's features do not depend on the other answers of its item
    solo = extractor.features([Item(items[0].prefix, [items[0].answers[1]])])[0]
    torch.testing.assert_close(packed[0][1], solo[0], rtol=1e-4, atol=1e-4)


def test_rows_batched_with_padding_equal_one_sequence_per_answer(extractor: FeatureExtractor) -> None:
    eot = extractor.end_of_turn
    items = [
        Item(
            _ids(extractor, "Why is the sky blue? " * k),
            [_ids(extractor, "Scattering. " * (4 - k)) + eot, _ids(extractor, "Because of the sea.") + eot],
        )
        for k in (1, 2, 3)
    ]
    extractor.max_row_tokens = 0  # one item a row: rows of three different lengths
    extractor.max_batch_tokens = 10_000  # all three rows in one right-padded batch
    try:
        batched = extractor.features(items)
    finally:
        extractor.max_row_tokens, extractor.max_batch_tokens = 256, 0
    alone = extractor.sequence_features(items)  # every prefix + answer as its own causal sequence
    for b, a in zip(batched, alone):
        assert torch.isfinite(b).all()
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-4)


def test_tie_margin() -> None:
    equal = rao_kupper(torch.tensor(0.3), torch.tensor(0.3), torch.tensor(0.5))
    assert equal[1] == pytest.approx(equal[2].item())
    assert equal.sum() == pytest.approx(1.0)
    wider = rao_kupper(torch.tensor(0.3), torch.tensor(0.3), torch.tensor(2.0))
    assert wider[0] > equal[0]  # a larger margin makes a tie more likely
    no_margin = rao_kupper(torch.tensor(0.3), torch.tensor(0.3), torch.tensor(0.0))
    assert no_margin[0] < 1e-5
    far = rao_kupper(torch.tensor(5.0), torch.tensor(-5.0), torch.tensor(0.5))
    assert far.argmax().item() == 1 and far[1] > 0.99


def test_swap_cannot_change_the_verdict(judge_dir: Path) -> None:
    from judgeforge.judging.reward import load_reward_judge

    judge = load_reward_judge(str(judge_dir), device="cpu")
    samples = [
        JudgeSample(id=f"s{i}", question=f"Question {i}?", answers=[f"Answer one {i} " * (i + 1), f"Other {i}."])
        for i in range(4)
    ]
    swapped = [s.model_copy(update={"answers": s.answers[::-1]}) for s in samples]
    config = JudgeConfig(swap=True, mode="fast")
    for v, w in zip(judge.judge(samples, config), judge.judge(swapped, config)):
        assert not isinstance(v, Exception) and not isinstance(w, Exception)
        assert v.probs is not None and w.probs is not None
        # the same computation in both orders (answers enter the model in a canonical order), so the
        # probabilities are equal to the last bit, not merely within bf16 rounding
        assert (v.probs[0], v.probs[1], v.probs[2]) == (w.probs[0], w.probs[2], w.probs[1])
        assert v.scores == w.scores[::-1]
        assert v.consistent is True and len(v.judgments) == 2
        assert v.confidence == pytest.approx(max(v.probs.values()))
    labels = {v.label for v in judge.judge(samples, config) if not isinstance(v, Exception)}
    assert labels <= {0, 1, 2}


def test_single_and_multi_answer_grades(judge_dir: Path) -> None:
    from judgeforge.judging.reward import load_reward_judge

    judge = load_reward_judge(str(judge_dir), device="cpu")
    pair = JudgeSample(id="p", question="Q?", answers=["alpha beta", "gamma"])
    single = JudgeSample(id="s", question="Q?", answers=["alpha beta"])
    multi = JudgeSample(id="m", question="Q?", answers=["alpha beta", "gamma", "delta epsilon zeta"])
    v_pair, v_single, v_multi = judge.judge([pair, single, multi], JudgeConfig(mode="full"))
    assert not isinstance(v_single, Exception) and not isinstance(v_multi, Exception)
    assert not isinstance(v_pair, Exception)
    # one answer's grade does not depend on which sample it is in
    assert v_single.scores == pytest.approx([v_pair.scores[0]], abs=1e-3)
    assert v_multi.scores[:2] == pytest.approx(v_pair.scores, abs=1e-3)
    assert all(1 <= g <= 10 for g in v_multi.scores)
    assert v_single.label is None
    assert v_multi.label == 1 + max(range(3), key=lambda k: v_multi.scores[k])
    assert "Reward judge" in v_pair.judgments[0].raw


def test_reward_judge_through_the_cli(judge_dir: Path, tmp_path: Path) -> None:
    from judgeforge.cli.main import main

    spec = tmp_path / "reward.yaml"
    spec.write_text(f"name: tiny-reward\nkind: reward\nmodel: {judge_dir}\nengine_options: {{device: cpu}}\n")
    out = tmp_path / "out.jsonl"
    data = Path(__file__).parents[1] / "data" / "pairs.jsonl"
    assert main(["judge", str(data), "-o", str(out), "--judge", str(spec), "--swap", "--mode", "fast"]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == 4
    for r in records:
        assert r["status"] == "ok"
        assert r["consistent"] is True
        assert r["pred_label"] in (0, 1, 2)
        assert sum(r["pred_probs"].values()) == pytest.approx(1.0, abs=1e-4)


def test_reward_options_from_the_command_line_are_typed_and_checked_before_loading(
    judge_dir: Path, tmp_path: Path, capsys
) -> None:
    from judgeforge.cli.main import main

    spec = tmp_path / "reward.yaml"
    spec.write_text(f"name: tiny-reward\nkind: reward\nmodel: {judge_dir}\nengine_options: {{device: cpu}}\n")
    data = Path(__file__).parents[1] / "data" / "pairs.jsonl"
    plain, batched = tmp_path / "plain.jsonl", tmp_path / "batched.jsonl"
    assert main(["judge", str(data), "-o", str(plain), "--judge", str(spec)]) == 0
    # text from -M becomes an int (it was passed on as a string and failed deep inside the model)
    argv = ["judge", str(data), "-o", str(batched), "--judge", str(spec), "-M", "row_batch_tokens=4096"]
    assert main(argv) == 0
    for a, b in zip(*([json.loads(line) for line in p.read_text().splitlines()] for p in (plain, batched))):
        assert a["status"] == b["status"] == "ok"
        assert a["pred_probs"] == pytest.approx(b["pred_probs"], abs=5e-2)  # batching changes bf16 rounding only
    capsys.readouterr()
    bad = tmp_path / "bad.jsonl"
    assert main(["judge", str(data), "-o", str(bad), "--judge", str(spec), "-M", "row_batch_tokens=many"]) == 1
    assert main(["judge", str(data), "-o", str(bad), "--judge", str(spec), "-M", "temperature=1"]) == 1
    err = capsys.readouterr().err
    assert "row_batch_tokens='many' for a reward judge" in err and "has no option 'temperature'" in err
    assert not bad.exists()


def test_resume_refuses_output_of_another_head_in_the_same_folder(judge_dir: Path, tmp_path: Path, capsys) -> None:
    import shutil

    from judgeforge.cli.main import main
    from judgeforge.engines.reward_model import save_grade_head

    folder = tmp_path / "judge"
    shutil.copytree(judge_dir, folder)
    out = tmp_path / "out.jsonl"
    data = Path(__file__).parents[1] / "data" / "pairs.jsonl"
    argv = ["judge", str(data), "-o", str(out), "--judge", "default", "--model", str(folder), "-M", "device=cpu"]
    assert main([*argv, "--limit", "2"]) == 0  # an interrupted run
    save_grade_head(folder, torch.zeros(SPEC.size(32)), 5.0)  # the judge changed in place
    assert main([*argv, "--resume"]) == 1
    assert "model_files_sha256" in " ".join(capsys.readouterr().err.split())
    (folder / "grade_head.safetensors").unlink()  # back as it was: the resume goes on
    assert main([*argv, "--resume"]) == 0
    assert len(out.read_text().splitlines()) == 4


@pytest.mark.parametrize("answer_length", [False, True])
def test_training_moves_the_head(tiny_model_dir: Path, tmp_path: Path, answer_length: bool) -> None:
    from judgeforge.engines.reward_model import load_reward_head
    from judgeforge.training.reward import RewardTrainConfig, train_reward_judge

    rng = random.Random(0)
    rows = []
    for i in range(40):  # the long, on-topic answer wins; the teacher says so with a soft preference
        good = f"The answer to question {i} is {i * 3}, because three times {i} is {i * 3}."
        bad = rng.choice(["No.", "Maybe.", "I do not know."])
        first_good = i % 2 == 0
        rows.append({
            "question_id": f"q{i}", "question_body": f"What is three times {i}?",
            "answer1_body": good if first_good else bad, "answer2_body": bad if first_good else good,
            "label": 1 if first_good else 2, "meta": {"preference": 1.1 if first_good else 1.9},
        })  # fmt: skip
    train_file = tmp_path / "toy_train.jsonl"
    train_file.write_text("".join(json.dumps(r) + "\n" for r in rows))
    config = RewardTrainConfig(
        train_files=[str(train_file)], output_dir=str(tmp_path / "run"), base_model=str(tiny_model_dir),
        mean_layers=[1, 2], last_layers=[2], longer_wins_fraction=None, negatives_per_kind=5,
        dev_fraction=0.2, epochs=30, head_hidden=8, chunk_size=16, answer_length=answer_length,
    )  # fmt: skip
    final = train_reward_judge(config)
    head, info = load_reward_head(final)
    assert info.spec.answer_length is answer_length
    spec = FeatureSpec(mean_layers=(1, 2), last_layers=(2,), answer_length=answer_length)
    assert head.feature_mean.numel() == spec.size(32)
    torch.manual_seed(config.seed)
    untrained = RewardHead(spec.size(32), hidden=8, dropout=config.dropout)
    assert not torch.equal(head.mlp[1].weight, untrained.mlp[1].weight)
    stats = info.training
    assert stats["dev"]["dev_agreement"] >= 0.75  # separable by construction
    assert stats["pairs_train"] + stats["pairs_dev"] >= 40
    assert len(list((tmp_path / "run" / "features").glob("chunk-*.pt"))) >= 2
    # a rerun reuses every cached feature
    again = train_reward_judge(config)
    assert json.loads((again / "reward_judge.json").read_text())["training"]["sequences_extracted"] == 0


def test_length_feature_counts_the_answer_before_truncation(tiny_model_dir: Path, tmp_path: Path) -> None:
    """A head that reads only the length feature ranks answers by their full token count, even
    when both are cut to the same ``max_answer_tokens``."""
    from judgeforge.judging.reward import load_reward_judge

    spec = FeatureSpec(mean_layers=(1, 2), last_layers=(2,), answer_length=True)
    head = RewardHead(spec.size(32), hidden=1, dropout=0.0)
    with torch.no_grad():
        head.mlp[1].weight.zero_()
        head.mlp[1].weight[0, -1] = 1.0  # log(1 + tokens) > 0, where GELU is increasing
        head.mlp[1].bias.zero_()
        head.mlp[4].weight.fill_(1.0)
        head.mlp[4].bias.zero_()
    folder = tmp_path / "length-judge"
    save_reward_judge(
        folder, head, RewardJudgeInfo(base_model=str(tiny_model_dir), spec=spec, hidden=1, max_answer_tokens=16)
    )
    judge = load_reward_judge(str(folder), device="cpu")
    answers = ["Yes.", "Yes, " * 10, "Yes, " * 40, "Yes, " * 80]  # the last two are both cut to 16 tokens
    rewards = judge.rewards([JudgeSample(id="q", question="Well?", answers=answers)])[0]
    assert rewards == sorted(rewards) and len(set(rewards)) == 4
    verdict = judge.judge([JudgeSample(id="p", question="Well?", answers=answers[2:])], JudgeConfig())[0]
    assert verdict.label == 2 and verdict.truncated  # type: ignore[union-attr]


def test_train_config_refuses_test_files() -> None:
    from judgeforge.errors import ConfigError
    from judgeforge.training.reward import RewardTrainConfig

    with pytest.raises(ConfigError, match="never on val, test"):
        RewardTrainConfig(train_files=["../shared/data/pandalm_test.jsonl"])


def test_train_command_dispatches_reward_configs(tmp_path: Path) -> None:
    from judgeforge.cli.main import main

    config = tmp_path / "reward.yaml"
    config.write_text("kind: reward\ntrain_files: [a_train.jsonl]\nhead_hidden: abc\n")
    assert main(["train", "--config", str(config)]) == 1  # head_hidden is an int: refused before any work
    config.write_text("kind: reward\ntrain_files: [missing_train.jsonl]\n")
    assert main(["train", "--config", str(config), "--set", "epochs=2"]) == 1  # no such file: a DataError
    repo = Path(__file__).parents[2]
    from judgeforge.training.reward import RewardTrainConfig

    shipped = RewardTrainConfig.from_yaml(repo / "configs" / "train" / "reward-judge.yaml")
    assert all("_train" in f for f in shipped.train_files)


def test_grade_head_learns_absolute_grades_and_leaves_pair_verdicts_alone(tiny_model_dir: Path, tmp_path: Path) -> None:
    """Grades that rise with the answer's length (a feature the judge has): the fitted head grades
    lone answers by them, across questions; pairs are judged by the unchanged pairwise head."""
    import math

    from judgeforge.cli.main import main
    from judgeforge.judging.reward import load_reward_judge

    spec = FeatureSpec(mean_layers=(1, 2), last_layers=(2,), answer_length=True)
    torch.manual_seed(0)
    source = tmp_path / "judge"
    save_reward_judge(source, RewardHead(spec.size(32), hidden=8, dropout=0.0),
                      RewardJudgeInfo(base_model=str(tiny_model_dir), spec=spec, hidden=8))  # fmt: skip
    rng = random.Random(0)
    rows = []
    for i in range(60):
        n = rng.randint(1, 40)
        grade = 1 + 4 * math.log1p(n) / math.log1p(40)  # on 1-5: the head learns it on 1-10
        rows.append({"question_id": f"g{i}", "question_body": f"Question {rng.random():.6f}?",
                     "answer_body": " ".join(["word"] * n), "score": grade, "score_scale": [1, 5]})  # fmt: skip
    rows.append({"question_id": "pair", "question_body": "Q?", "answer1_body": "a", "answer2_body": "b", "label": 1})
    train = tmp_path / "grades_train.jsonl"
    train.write_text("".join(json.dumps(r) + "\n" for r in rows))
    config = tmp_path / "grade.yaml"
    config.write_text(
        f"kind: grade\njudge: {source}\ntrain_files: [{train}]\noutput_dir: {tmp_path / 'run'}\n"
        "folds: 4\nalphas: [0.01, 1.0, 100.0]\n"
    )
    assert main(["train", "--config", str(config), "--set", "batch_size=16"]) == 0
    final = tmp_path / "run" / "final"
    fitted = json.loads((final / "reward_judge.json").read_text())["grade_head"]
    assert fitted["answers"] == 60 and fitted["cv_pearson"] > 0.9  # the pair is not a graded answer
    assert not (source / "grade_head.safetensors").exists()  # the source judge is copied, not changed

    with_head, without = load_reward_judge(str(final), device="cpu"), load_reward_judge(str(source), device="cpu")
    singles = [JudgeSample(id=f"s{n}", question=f"Another question {n}?", answers=["word " * n]) for n in (2, 10, 35)]
    grades = [v.scores[0] for v in with_head.judge(singles, JudgeConfig()) if not isinstance(v, Exception)]
    assert grades == sorted(grades) and grades[-1] - grades[0] > 4 and all(1 <= g <= 10 for g in grades)
    pair = [JudgeSample(id="p", question="Q?", answers=["word word", "word " * 30])]
    [a], [b] = with_head.judge(pair, JudgeConfig()), without.judge(pair, JudgeConfig())
    assert not isinstance(a, Exception) and not isinstance(b, Exception)
    assert a.probs == b.probs and a.scores == b.scores


def test_a_grade_head_of_another_judge_is_refused_on_load(judge_dir: Path, tmp_path: Path) -> None:
    import shutil

    from judgeforge.engines.reward_model import save_grade_head
    from judgeforge.errors import ConfigError
    from judgeforge.judging.reward import load_reward_judge

    folder = tmp_path / "judge"
    shutil.copytree(judge_dir, folder)
    save_grade_head(folder, torch.zeros(7), 5.0)  # fitted on 7 features; this judge reads SPEC.size(32)
    with pytest.raises(ConfigError, match=f"has 7 weights but the judge reads {SPEC.size(32)} features"):
        load_reward_judge(str(folder), device="cpu")


def test_a_grade_head_is_never_fitted_over_its_own_judge(judge_dir: Path, tmp_path: Path) -> None:
    """output_dir/final is rewritten: fitting into it from the judge that is there would delete the judge."""
    import shutil

    from judgeforge.errors import ConfigError
    from judgeforge.training.grade import GradeTrainConfig, train_grade_head

    final = tmp_path / "run" / "final"
    shutil.copytree(judge_dir, final)
    config = GradeTrainConfig(judge=str(final), train_files=["x_train.jsonl"], output_dir=str(final.parent))
    with pytest.raises(ConfigError, match="which is rewritten"):
        train_grade_head(config)
    assert (final / "head.safetensors").is_file()


@pytest.mark.parametrize("max_batch_tokens", [64, 4096])  # many small batches, or one
def test_both_ways_of_running_the_backbone_give_the_same_verdicts(judge_dir: Path, max_batch_tokens: int) -> None:
    from judgeforge.judging.reward import load_reward_judge

    samples = [
        JudgeSample(id=f"s{i}", question="Why? " * (i + 1), answers=["Because. " * (3 - i), f"No reason {i}.", "Hm."])
        for i in range(3)
    ]
    config = JudgeConfig(mode="fast")
    packed = load_reward_judge(str(judge_dir), device="cpu", packed=True)
    causal = load_reward_judge(str(judge_dir), device="cpu", packed=False, max_batch_tokens=max_batch_tokens)
    a, b = packed.rewards(samples), causal.rewards(samples)
    for ra, rb in zip(a, b):
        assert ra == pytest.approx(rb, abs=0.01 * max(1.0, max(abs(r) for r in ra)))  # bf16 backbone
    for v, w in zip(packed.judge(samples, config), causal.judge(samples, config)):
        assert not isinstance(v, Exception) and not isinstance(w, Exception)
        assert v.label == w.label


@pytest.fixture(scope="module")
def tiny_gemma_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised 3-layer Gemma 3 (sliding and full attention layers, one rotary
    embedding per layer type) with the tiny Llama's tokenizer."""
    from transformers import AutoTokenizer, Gemma3ForCausalLM, Gemma3TextConfig

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    torch.manual_seed(0)
    config = Gemma3TextConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=3,
        num_attention_heads=4, num_key_value_heads=2, head_dim=8, sliding_window=512,
        layer_types=["sliding_attention", "sliding_attention", "full_attention"],
        max_position_embeddings=1024, pad_token_id=tokenizer.pad_token_id,
    )  # fmt: skip
    path = tmp_path_factory.mktemp("tiny-gemma")
    Gemma3ForCausalLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def test_gemma_features_are_its_own_hidden_states(tiny_gemma_dir: Path) -> None:
    """The layer-by-layer loop reproduces the model's own forward pass on a Gemma 3 (scaled
    embeddings, per-layer-type rotary embeddings), packed or not."""
    spec = FeatureSpec(mean_layers=(1, 3), last_layers=(2,))
    extractor = FeatureExtractor(str(tiny_gemma_dir), spec, device="cpu", dtype=torch.float32)
    ids = _ids(extractor, "Why is the sky blue? Because sunlight scatters off the air, blue most of all.")
    with torch.inference_mode():
        states = extractor._states(torch.tensor([ids]), torch.arange(len(ids))[None], None)
        own = extractor.backbone(input_ids=torch.tensor([ids]), output_hidden_states=True).hidden_states
    for n in (1, 2):
        torch.testing.assert_close(states[n], own[n])
    torch.testing.assert_close(states[3], own[3])  # the last layer: after the final norm, as HF gives it
    items = [Item(ids[:6], [ids[6:], ids[6:12]]), Item(ids[:3], [ids[3:9]])]
    packed, unpacked = extractor.features(items), extractor.sequence_features(items)
    for a, b in zip(packed, unpacked):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)
    with pytest.raises(ValueError, match="sliding window"):  # beyond it, causal attention would differ
        extractor.sequence_features([Item(ids[:6], [ids[6:] * 60])])


def test_gemma_chat_template_for_base_model_ggufs() -> None:
    from jinja2 import Template

    from judgeforge.engines.hf import GEMMA_CHAT_TEMPLATE

    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": " Why? "},
        {"role": "assistant", "content": "Because."},
    ]
    text = Template(GEMMA_CHAT_TEMPLATE).render(messages=messages, bos_token="<bos>", add_generation_prompt=False)
    assert text == (
        "<bos><start_of_turn>user\nBe brief.\n\nWhy?<end_of_turn>\n<start_of_turn>model\nBecause.<end_of_turn>\n"
    )
    opened = Template(GEMMA_CHAT_TEMPLATE).render(messages=messages[1:2], bos_token="<bos>", add_generation_prompt=True)
    assert opened == "<bos><start_of_turn>user\nWhy?<end_of_turn>\n<start_of_turn>model\n"
