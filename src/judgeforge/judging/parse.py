"""Pure parsers for judge output. No I/O, no models: ``str`` in, value or ``None`` out."""

from __future__ import annotations

import re

_SCORE_LINE_PREFIX = re.compile(r"^\s*(?:scores?\s*[:=]\s*)?", re.IGNORECASE)
_NUMBER = re.compile(
    r"""
    ^\d{1,2}          # one or two integer digits (scores are 1-10)
    (?:\.\d+)?$       # an optional decimal part, as in "8.5"
    """,
    re.VERBOSE,
)
_SEPARATOR = re.compile(r"\s*,\s*|\s+")  # JudgeLM's scores are separated by spaces; "8, 6" is common too
_VERDICT = re.compile(
    r"""
    \[\[\s*([ABC])\s*\]\]                     # MT-Bench style: [[A]], [[B]], [[C]] (tie)
    | ^\s*(?:output|answer|assistant|response)?\s*\(?\s*([12ab])\s*\)?\s*\.?\s*$   # "1", "Output (a)", "Assistant 2"
    | ^\s*(tie)\s*\.?\s*$                     # "Tie"
    """,
    re.IGNORECASE | re.VERBOSE,
)


def first_line(text: str) -> str:
    """The first non-blank line of a text, stripped ("" if none)."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def parse_scores(text: str, n: int, low: float = 0.0, high: float = 10.0) -> list[float] | None:
    """Read JudgeLM's score line: the first non-blank line holds exactly ``n`` numbers.

    Accepts ``"8 6"``, ``"8, 6"``, ``"8.5 6"`` and an optional ``"Scores:"`` prefix. Anything else on
    the line (``"8/10 6/10"``, ``"Assistant 1: 8"``, a third number) makes the line unreadable.

    Args:
        text: the judge's output.
        n: how many scores are expected (one per answer).
        low: smallest valid score.
        high: largest valid score.

    Returns:
        The scores in answer order, or ``None`` if the first line is not exactly ``n`` valid scores.
    """
    line = _SCORE_LINE_PREFIX.sub("", first_line(text)).rstrip(".")
    tokens = [t for t in _SEPARATOR.split(line) if t]
    if len(tokens) != n or not all(_NUMBER.match(t) for t in tokens):
        return None
    scores = [float(t) for t in tokens]
    return scores if all(low <= s <= high for s in scores) else None


def parse_verdict(text: str) -> int | None:
    """Read a winner verdict: ``[[A]]``/``[[B]]``/``[[C]]``, ``1``/``2``, ``Output (a)``, ``Tie``.

    Only the first non-blank line is read, except for the bracketed ``[[X]]`` form, which is
    searched for anywhere (MT-Bench-style judges put it at the end).

    Returns:
        1 or 2 for the winning answer, 0 for a tie, ``None`` if no verdict is found.
    """
    bracketed = re.findall(r"\[\[\s*([ABC])\s*\]\]", text)
    if len(set(bracketed)) == 1:
        return {"A": 1, "B": 2, "C": 0}[bracketed[0]]
    m = _VERDICT.match(first_line(text))
    if not m or m.group(1):
        return None
    if m.group(3):
        return 0
    return {"1": 1, "a": 1, "2": 2, "b": 2}[m.group(2).lower()]


def label_from_scores(scores: list[float]) -> int:
    """The verdict scores imply: the 1-based index of the single best answer, or 0 for a tie at the top."""
    best = max(scores)
    winners = [i for i, s in enumerate(scores, start=1) if s == best]
    return winners[0] if len(winners) == 1 else 0


def flip_label(label: int | None) -> int | None:
    """The same verdict seen with the two answers swapped: 1 <-> 2; ties and ``None`` stay."""
    return 3 - label if label in (1, 2) else label
