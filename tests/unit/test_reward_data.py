"""Training pairs of the reward judge: length balancing, soft targets, synthetic negatives."""

from __future__ import annotations

import random

import pytest

from judgeforge.data import negatives
from judgeforge.records import JudgeSample
from judgeforge.training.reward import RewardTrainConfig, TrainPair, negative_pairs, teacher_pairs


def _sample(i: int, long_wins: bool, preference: float | None = None) -> JudgeSample:
    long, short = f"A long and detailed answer number {i}. " * 5, f"Short {i}."
    answers = [long, short] if i % 2 else [short, long]
    winner = (1 if i % 2 else 2) if long_wins else (2 if i % 2 else 1)
    meta = {"instruction_id": f"ae{i:03d}"} | ({"preference": preference} if preference is not None else {})
    return JudgeSample(id=str(i), question=f"Question {i}?", answers=answers, label=winner, metadata=meta)


def test_length_balancing_reaches_the_asked_share() -> None:
    samples = [_sample(i, long_wins=i % 10 < 8) for i in range(200)]  # the longer answer wins 80%
    for share in (0.5, 0.25):
        config = RewardTrainConfig(longer_wins_fraction=share)
        pairs = teacher_pairs(samples, config, random.Random(0))
        longer = sum(
            (p.target[1] > p.target[2]) == (len(p.answer_a) > len(p.answer_b)) for p in pairs
        )  # fmt: skip
        assert longer / len(pairs) == pytest.approx(share, abs=0.02)
    natural = teacher_pairs(samples, RewardTrainConfig(longer_wins_fraction=None), random.Random(0))
    assert len(natural) == 200


def test_soft_targets_come_from_the_teachers_probability() -> None:
    s = _sample(1, long_wins=True, preference=1.25)  # P(answer 2 better) = 0.25
    (pair,) = teacher_pairs([s], RewardTrainConfig(longer_wins_fraction=None), random.Random(0))
    assert pair.target == pytest.approx((0.0, 0.75, 0.25))
    tie = s.model_copy(update={"label": 0, "metadata": {}})
    (pair,) = teacher_pairs([tie], RewardTrainConfig(longer_wins_fraction=None), random.Random(0))
    assert pair.target == (1.0, 0.0, 0.0)


def test_negatives_make_the_original_win_and_are_deterministic() -> None:
    base = [
        TrainPair(f"Q{i}?", f"The right answer to Q{i} has words " * 4, f"Wrong {i}.", (0.0, 1.0, 0.0), f"g{i}")
        for i in range(10)
    ]
    first = negative_pairs(base, 5, random.Random(3))
    assert first == negative_pairs(base, 5, random.Random(3))
    assert {p.kind for p in first} >= {"filler", "judge-note", "truncated", "off-topic", "filler-loser"}
    for p in first:
        assert p.target == (0.0, 1.0, 0.0)
        if p.kind == "filler":
            assert p.answer_b.startswith(p.answer_a.rstrip()) and len(p.answer_b) > len(p.answer_a)
        if p.kind == "truncated":
            assert p.answer_a.startswith(p.answer_b) and len(p.answer_b) < len(p.answer_a)


def test_extra_off_topic_pairs_follow_the_others_unchanged() -> None:
    base = [TrainPair(f"Q{i}?", f"Right {i}, at length.", f"Wrong {i}.", (0.0, 1.0, 0.0), f"g{i}") for i in range(10)]
    plain = negative_pairs(base, 5, random.Random(3))
    more = negative_pairs(base, 5, random.Random(3), off_topic=20)
    assert more[: len(plain)] == plain  # the recipe's own negatives are untouched
    extra = more[len(plain) :]
    assert {p.kind for p in extra} == {"off-topic", "off-topic-loser"} and 20 <= len(extra) <= 40
    answers = {p.group: (p.answer_a, p.answer_b) for p in base}
    for p in extra:  # the question's own answer (the winner, or the loser) beats another question's
        own = answers[p.group]
        assert p.answer_a == own[0 if p.kind == "off-topic" else 1] and p.answer_b not in own
        assert p.target == (0.0, 1.0, 0.0)


def test_markdown_pairs_restyle_the_loser_with_its_own_words_and_leave_the_others_unchanged() -> None:
    from judgeforge.data.perturb import markdown_format

    base = [
        TrainPair(f"Q{i}?", f"Right {i}. It is so.", f"Wrong {i}. Quite wrong. Yes.", (0.0, 0.0, 1.0), f"g{i}")
        for i in range(10)
    ]
    plain = negative_pairs(base, 5, random.Random(3), off_topic=4)
    more = negative_pairs(base, 5, random.Random(3), off_topic=4, markdown=12)
    assert more[: len(plain)] == plain
    extra = more[len(plain) :]
    assert len(extra) == 12 and {p.kind for p in extra} == {"markdown-loser"}
    audit_style = markdown_format(JudgeSample(id="s", question="q", answers=["a", "Wrong 1. Quite wrong. Yes."]))
    for p in extra:
        winner, loser = next((b.answer_b, b.answer_a) for b in base if b.group == p.group)  # target: answer 2 won
        assert p.answer_a == winner and p.target == (0.0, 1.0, 0.0)
        assert p.answer_b != loser and [w for w in loser.split() if w not in p.answer_b] == []  # the same words
        assert "## Answer" not in p.answer_b and "\n- " not in p.answer_b  # not the audit's style
    assert "## Answer" in audit_style.answers[1]


def test_training_and_probe_texts_are_disjoint() -> None:
    # the adversarial probe must measure generalisation, not recall of the training filler
    assert not set(negatives.TRAIN_FILLER) & set(negatives.PROBE_FILLER)
    assert not set(negatives.TRAIN_NOTES) & set(negatives.PROBE_NOTES)
    rng = random.Random(0)
    padded = negatives.pad_with_filler("Answer.", rng, n=2)
    assert padded.startswith("Answer.\n\n") and sum(s in padded for s in negatives.TRAIN_FILLER) == 2
