"""One Markdown table from the ``*.metrics.json`` files that recipes/experiments.sh writes.

Usage::

    python benchmarks/eval_table.py runs/exp/eval/shipped runs/exp/eval/both-final ...
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SETS = {"pandalm_test": "PandaLM", "alpacaeval_cot_val": "AlpacaEval val"}


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.1f}"


def row(folder: Path) -> str:
    cells = [folder.name]
    for stem in SETS:
        path = folder / f"{stem}.metrics.json"
        if not path.is_file():
            cells += ["-"] * 5
            continue
        m = json.loads(path.read_text())
        ci = f"{_pct(m['agreement'])} [{_pct(m['agreement_ci_low'])}-{_pct(m['agreement_ci_high'])}]"
        cells += [f"{m['n']}", ci, _pct(m.get("f1")), _pct(m.get("consistency")), _pct(m.get("ece"))]
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    head = ["judge"]
    for name in SETS.values():
        head += [f"{name} n", f"{name} agreement [95% CI]", "macro F1", "swap consistency", "ECE"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for arg in sys.argv[1:]:
        print(row(Path(arg)))


if __name__ == "__main__":
    main()
