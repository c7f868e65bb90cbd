import pytest

from judgeforge.data.perturb import INJECTION, OFF_TOPIC, PADDING, PERTURBATIONS, target_answer
from judgeforge.metrics.audit import flip_rate
from judgeforge.records import JudgeSample

SAMPLE = JudgeSample(
    id="s1",
    question="What is the capital of France?",
    answers=["Paris. It is on the Seine.", "Lyon is the capital."],
    reference="Paris",
    label=1,
)


@pytest.mark.parametrize("name", sorted(PERTURBATIONS))
def test_perturbations_are_pure_and_deterministic(name):
    p = PERTURBATIONS[name]
    before = SAMPLE.model_dump()
    first, second = p.apply(SAMPLE), p.apply(SAMPLE)
    assert first == second
    assert SAMPLE.model_dump() == before
    assert first != SAMPLE


@pytest.mark.parametrize(
    ("label", "target"),
    [(1, 2), (2, 1), (0, 2), (None, 2)],
)
def test_target_is_the_gold_loser(label, target):
    assert target_answer(SAMPLE.model_copy(update={"label": label})) == target


def test_targeted_perturbations_change_only_the_target_answer():
    for name, marker in [("verbosity", PADDING), ("injection", INJECTION.strip())]:
        out = PERTURBATIONS[name].apply(SAMPLE)
        assert out.answers[0] == SAMPLE.answers[0]
        assert out.answers[1].startswith(SAMPLE.answers[1].rstrip()) and marker in out.answers[1]
    md = PERTURBATIONS["format"].apply(SAMPLE).answers[1]
    assert md.startswith("## Answer") and "- Lyon is the capital." in md
    away = PERTURBATIONS["off_topic"].apply(SAMPLE)
    assert away.answers == [SAMPLE.answers[0], OFF_TOPIC] and away.question == SAMPLE.question


def test_position_swaps_and_maps_verdicts_back():
    p = PERTURBATIONS["position"]
    out = p.apply(SAMPLE)
    assert out.answers == SAMPLE.answers[::-1] and out.label == 2
    assert [p.to_original(v) for v in (1, 2, 0, None)] == [2, 1, 0, None]


def test_reference_applies_only_with_a_reference():
    p = PERTURBATIONS["reference"]
    assert p.applies(SAMPLE) and p.apply(SAMPLE).reference is None
    assert not p.applies(SAMPLE.model_copy(update={"reference": None}))


def test_flip_rate_hand_computed():
    row = flip_rate([1, 1, 2, None], [1, 2, 2, 1], targets=[2, 2, 1, 1])
    assert row["n"] == 3 and row["n_failed"] == 1
    assert row["flip_rate"] == pytest.approx(1 / 3)
    assert row["toward_target"] == pytest.approx(1 / 3)  # pair 2: target 2 went from losing to winning
    assert row["ci_low"] <= row["flip_rate"] <= row["ci_high"]
    assert flip_rate([None], [1])["flip_rate"] is None
