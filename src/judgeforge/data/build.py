"""Training examples: a sample, rendered by the same renderer as judging, plus the judgment to learn.

Targets are never invented: a scores template needs real scores (or a JudgeLM judgment), a verdict
template needs a gold label. Sources that name their answers differently (AlpacaEval's teacher
calls them "model m" and "model M") are brought to "Assistant 1"/"Assistant 2" first, so swap
augmentation can swap the names.
"""

from __future__ import annotations

import re

from judgeforge.prompts.render import PromptTemplate
from judgeforge.records import JudgeSample

_ALIAS = re.compile(r"""\b(?:[Mm]odel|[Oo]utput)\s*['"(]?([mM])['")]?(?=\W)""")
_VERDICT_WORD = {0: "tie", 1: "1", 2: "2"}


def normalize_explanation(sample: JudgeSample) -> JudgeSample:
    """Rename AlpacaEval-style answer aliases ("Model 'm'", "model M") to "Assistant 1"/"Assistant 2".

    Uses ``metadata["explanation_aliases"]`` (``{"m": "answer1", "M": "answer2"}``); samples
    without it are returned unchanged.
    """
    aliases = sample.metadata.get("explanation_aliases")
    if not aliases or not sample.explanation:
        return sample
    names = {alias: f"Assistant {target[-1]}" for alias, target in aliases.items()}
    text = _ALIAS.sub(lambda m: names.get(m.group(1), m.group(0)), sample.explanation)
    return sample.model_copy(update={"explanation": text})


def _format_score(s: float) -> str:
    return str(int(s)) if float(s).is_integer() else f"{s:g}"


def build_target(sample: JudgeSample, template: PromptTemplate) -> str | None:
    """The judgment a judge should produce for a sample under a template, or ``None`` if the
    sample lacks what that needs.

    - ``verdict`` templates: ``"1"``, ``"2"`` or ``"tie"`` from the gold label, then the
      explanation on the next lines when there is one;
    - ``scores`` templates: the JudgeLM judgment (``text``) if present, else the gold scores
      on the first line and the explanation after.
    """
    if template.output == "verdict":
        if sample.label is None:
            return None
        head = _VERDICT_WORD[sample.label]
        return f"{head}\n{sample.explanation.strip()}" if sample.explanation else head
    if sample.judgment:
        return sample.judgment.strip()
    if sample.scores is None:
        return None
    head = " ".join(_format_score(s) for s in sample.scores)
    return f"{head}\n{sample.explanation.strip()}" if sample.explanation else head
