import pytest

from judgeforge.judging.parse import label_from_scores, parse_scores, parse_verdict


@pytest.mark.parametrize(
    ("text", "n", "expected"),
    [
        ("8 6", 2, [8.0, 6.0]),
        ("8, 6", 2, [8.0, 6.0]),
        ("8.5 6", 2, [8.5, 6.0]),
        ("  8   6  \nAssistant 1 was better.", 2, [8.0, 6.0]),
        ("\n\n7 7\nexplanation", 2, [7.0, 7.0]),
        ("Scores: 9 3", 2, [9.0, 3.0]),
        ("10 1", 2, [10.0, 1.0]),
        ("7 8 9", 3, [7.0, 8.0, 9.0]),
        ("6", 1, [6.0]),
        # hostile or malformed outputs: never a silent tie
        ("", 2, None),
        ("   \n  ", 2, None),
        ("8", 2, None),
        ("8 6 7", 2, None),
        ("8/10 6/10", 2, None),
        ("Assistant 1: 8, Assistant 2: 6", 2, None),
        ("-1 -1", 2, None),
        ("11 3", 2, None),
        ("100 3", 2, None),
        ("8 six", 2, None),
        ("The first answer is better.\n8 6", 2, None),
        ("nan 5", 2, None),
        ("1e1 5", 2, None),
        ("8 6" + "9" * 1000, 2, None),
    ],
)
def test_parse_scores(text, n, expected):
    assert parse_scores(text, n) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("2\nAssistant 2 explains more.", 2),
        ("tie", 0),
        ("Tie.", 0),
        ("Assistant 2", 2),
        ("Output (a)", 1),
        ("After comparing both... my verdict: [[B]]", 2),
        ("[[C]]", 0),
        ("[[A]] or maybe [[B]]", None),
        ("3", None),
        ("", None),
        ("1. Reduce your energy consumption", None),
        ("Both are good", None),
    ],
)
def test_parse_verdict(text, expected):
    assert parse_verdict(text) == expected


@pytest.mark.parametrize(
    ("scores", "label"), [([8, 6], 1), ([6, 8], 2), ([7, 7], 0), ([5], 1), ([3, 9, 9], 0), ([3, 9, 4], 2)]
)
def test_label_from_scores(scores, label):
    assert label_from_scores(scores) == label
