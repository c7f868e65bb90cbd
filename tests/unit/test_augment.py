import random

import pytest

from judgeforge.data.augment import augment, drop_reference, swap, swap_names
from judgeforge.data.build import build_target, normalize_explanation
from judgeforge.prompts import get_template
from judgeforge.records import JudgeSample


def _sample(**kw):
    base = dict(
        id="s",
        question="q",
        answers=["first", "second"],
        reference="ref",
        label=1,
        scores=[8.0, 6.0],
        judgment="8 6\nAssistant 1 is more precise than Assistant 2.",
        explanation="Assistant 1 is more precise than Assistant 2.",
    )
    return JudgeSample(**(base | kw))


def test_swap_exchanges_answers_scores_label_and_names():
    s = swap(_sample())
    assert s.answers == ["second", "first"]
    assert s.scores == [6.0, 8.0]
    assert s.label == 2
    assert s.judgment == "6 8\nAssistant 2 is more precise than Assistant 1."
    assert s.explanation == "Assistant 2 is more precise than Assistant 1."


@pytest.mark.parametrize("label", [0, 1, 2, None])
def test_swapping_twice_is_identity(label):
    s = _sample(label=label)
    assert swap(swap(s)) == s


def test_swap_does_not_mutate_and_ties_stay_ties():
    s = _sample(label=0)
    before = s.model_dump()
    assert swap(s).label == 0
    assert s.model_dump() == before


def test_swap_needs_a_pair():
    with pytest.raises(ValueError, match="pairwise"):
        swap(_sample(answers=["only"], scores=[5.0], label=None))


def test_swap_names_is_an_involution():
    text = "Answer 1 beats Answer 2; Assistant 2 < Assistant 1. Output 1."
    assert swap_names(swap_names(text)) == text
    assert swap_names(text) == "Answer 2 beats Answer 1; Assistant 1 < Assistant 2. Output 2."


def test_augment_rates_and_reproducibility():
    s = _sample()
    outs = [augment(s, random.Random(i), swap_prob=0.5, ref_drop_prob=0.25) for i in range(400)]
    swapped = sum(o.answers[0] == "second" for o in outs) / 400
    dropped = sum(o.reference is None for o in outs) / 400
    assert 0.4 < swapped < 0.6 and 0.15 < dropped < 0.35
    assert augment(s, random.Random(7), swap_prob=0.5, ref_drop_prob=0.5) == augment(
        s, random.Random(7), swap_prob=0.5, ref_drop_prob=0.5
    )
    assert drop_reference(s).reference is None and s.reference == "ref"


def test_alpacaeval_aliases_become_assistant_names_and_swap_with_the_label():
    s = _sample(
        judgment=None,
        scores=None,
        label=2,
        explanation="Model 'm' is vague, while Model M gives steps. Model m's answer is short.",
        metadata={"explanation_aliases": {"m": "answer1", "M": "answer2"}},
    )
    n = normalize_explanation(s)
    assert n.explanation == "Assistant 1 is vague, while Assistant 2 gives steps. Assistant 1's answer is short."
    pair = get_template("judgeforge-pair")
    assert build_target(n, pair) == "2\n" + n.explanation
    assert (
        build_target(swap(n), pair)
        == "1\nAssistant 2 is vague, while Assistant 1 gives steps. Assistant 2's answer is short."
    )


def test_targets_are_never_invented():
    scores_template = get_template("judgeforge-pair-scores")
    assert build_target(_sample(judgment=None, scores=None), scores_template) is None
    assert build_target(_sample(judgment=None, explanation=None), scores_template) == "8 6"
    assert build_target(_sample(label=None), get_template("judgeforge-pair")) is None
