"""Judge two answer pairs with the default judge, in both orders, and print the verdicts.

Run: python examples/judge_pairs.py   (after `make setup`)
"""

from judgeforge import JudgeConfig, JudgeSample, create_engine, judge_samples
from judgeforge.defaults import default_model

samples = [
    JudgeSample(
        id="capital",
        question="What is the capital of France?",
        answers=["Paris is the capital of France.", "I think it might be Lyon."],
    ),
    JudgeSample(
        id="haiku",
        question="Write a haiku about rain.",
        answers=["Rain.", "Soft rain on the roof\nwhispers to the sleeping town\npuddles hold the sky"],
    ),
]
engine = create_engine("hf", model=default_model())
for verdict in judge_samples(samples, engine, JudgeConfig(swap=True, mode="fast")):
    print(
        verdict.sample_id,
        "-> answer",
        verdict.label,
        f"(confidence {verdict.confidence:.2f}, consistent: {verdict.consistent})",
    )
