"""The bias audit: judge samples as they are and under each perturbation, and report flip rates."""

from __future__ import annotations

import importlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from judgeforge.data.perturb import PERTURBATIONS, Perturbation, target_answer
from judgeforge.errors import ConfigError, DataError
from judgeforge.metrics.audit import flip_rate, sampled_flip_rate
from judgeforge.records import JudgeSample, Verdict
from judgeforge.reports import plots
from judgeforge.reports.runner import SampleJudge


def resolve_perturbation(name: str) -> Perturbation:
    """A built-in perturbation by name, or a user's ``package.module:attribute``.

    The attribute may be a :class:`Perturbation` or a plain ``JudgeSample -> JudgeSample`` function
    (then it changes the gold loser's answer, and verdicts need no mapping back).

    Raises:
        ConfigError: unknown name, or an import path that does not resolve.
    """
    if name in PERTURBATIONS:
        return PERTURBATIONS[name]
    module_name, sep, attr = name.partition(":")
    if not sep:
        raise ConfigError(f"unknown perturbation {name!r}: choose from {sorted(PERTURBATIONS)} or give module:function")
    try:
        obj = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as e:
        raise ConfigError(f"perturbation {name!r} cannot be loaded: {e}") from None
    if isinstance(obj, Perturbation):
        return obj
    if callable(obj):
        return Perturbation(attr, obj, (obj.__doc__ or "").strip().splitlines()[0] if obj.__doc__ else "")
    raise ConfigError(f"perturbation {name!r} is neither a Perturbation nor a function")


def _labels(results: Sequence[Verdict | DataError]) -> list[int | None]:
    return [r.label if isinstance(r, Verdict) else None for r in results]


SELF_CONSISTENCY = "self_consistency"
"""The audit row that samples instead of perturbing (``--perturbation self_consistency``)."""


@dataclass(frozen=True)
class Sampling:
    """How the self-consistency row samples: ``draws`` verdicts per pair at ``temperature``."""

    draws: int = 5
    temperature: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.draws < 1 or self.temperature <= 0:
            raise ConfigError(
                f"self-consistency needs draws >= 1 and temperature > 0, got {self.draws} and {self.temperature:g}"
            )


def _draw_from_probs(verdicts: Sequence[Verdict | DataError], sampling: Sampling) -> list[list[int | None]]:
    """Verdicts drawn from each verdict's own probabilities, sharpened or flattened by the temperature."""
    rng = np.random.default_rng(sampling.seed)
    out: list[list[int | None]] = []
    for v in verdicts:
        if not isinstance(v, Verdict) or not v.probs:
            out.append([])
            continue
        labels = sorted(v.probs)
        p = np.array([v.probs[k] for k in labels], dtype=float) ** (1 / sampling.temperature)
        out.append([int(k) for k in rng.choice(labels, size=sampling.draws, p=p / p.sum())])
    return out


def self_consistency(
    pairs: Sequence[JudgeSample], greedy: Sequence[Verdict | DataError], judge: SampleJudge, sampling: Sampling
) -> dict[str, Any]:
    """The self-consistency row: sampled verdicts against the greedy ones.

    A judge whose verdicts carry probabilities (a verdict template's first token, a reward judge's
    Bradley-Terry/Rao-Kupper model) is sampled exactly and for free: each draw is a verdict drawn from
    those probabilities at the temperature (what sampling the verdict token does). Any other judge
    (a score template, an API without log-probabilities) is judged again ``draws`` times with
    ``temperature`` and seeds ``seed``, ``seed + 1``... (needs a :class:`~judgeforge.judging.judge.Judge`).

    Returns:
        :func:`~judgeforge.metrics.audit.sampled_flip_rate`'s row plus ``description``, ``method``,
        ``n_applicable``, ``draws`` and ``temperature``; a judge that can neither be sampled nor
        give probabilities gets a row without rates and says why in ``method``.
    """
    from judgeforge.judging.judge import Judge
    from judgeforge.judging.spec import JudgeKind

    labels = _labels(greedy)
    draws: list[list[int | None]]
    if all(v.probs for v in greedy if isinstance(v, Verdict) and v.label is not None):
        method, draws = "drawn from the judge's verdict probabilities", _draw_from_probs(greedy, sampling)
    elif isinstance(judge, Judge) and judge.spec.kind is JudgeKind.generative:
        method, runs = f"judged again {sampling.draws} times", []
        for k in range(sampling.draws):
            spec = judge.spec.with_overrides(temperature=sampling.temperature, seed=sampling.seed + k)
            runs.append(_labels(Judge(spec, engine=judge.engine).judge(pairs)))
        draws = [list(d) for d in zip(*runs)]
    else:
        method = "n/a: this judge gives no verdict probabilities and cannot be re-run with sampling"
        draws = [[] for _ in pairs]
    return {
        "description": f"verdicts sampled at temperature {sampling.temperature:g}, {sampling.draws} per pair",
        "method": method,
        "n_applicable": len(pairs),
        "draws": sampling.draws,
        "temperature": sampling.temperature,
        **sampled_flip_rate(labels, draws),
    }


def run_audit(
    samples: Sequence[JudgeSample],
    judge: SampleJudge,
    perturbations: Sequence[Perturbation],
    sampling: Sampling | None = None,
) -> dict[str, dict[str, Any]]:
    """Judge the samples once as they are and once per perturbation, and compare the verdicts.

    Args:
        samples: pairwise samples.
        judge: the judge (one order per call: position bias is the ``position`` perturbation).
        perturbations: what to apply.
        sampling: also measure self-consistency (:func:`self_consistency`), as the last row.

    Returns:
        Perturbation name to :func:`~judgeforge.metrics.audit.flip_rate`'s row plus ``description``
        and ``n_applicable``.
    """
    pairs = [s for s in samples if s.kind == "pair"]
    if not pairs:
        raise DataError("the audit needs pairwise samples; none were given")
    greedy = judge.judge(pairs)
    base = _labels(greedy)
    out: dict[str, dict[str, Any]] = {}
    for p in perturbations:
        idx = [i for i, s in enumerate(pairs) if p.applies(s)]
        changed = [p.apply(pairs[i]) for i in idx]
        after = [p.to_original(v) for v in _labels(judge.judge(changed))] if changed else []
        targets = [target_answer(pairs[i]) for i in idx] if p.targeted else None
        out[p.name] = {
            "description": p.description,
            "n_applicable": len(idx),
            **flip_rate([base[i] for i in idx], after, targets),
        }
    if sampling is not None:
        out[SELF_CONSISTENCY] = self_consistency(pairs, greedy, judge, sampling)
    return out


def _pct(v: Any) -> str:
    return "n/a" if v is None else f"{100 * v:.1f}"


def to_markdown(rows: dict[str, dict[str, Any]], title: str) -> str:
    """The audit as a Markdown table."""
    lines = [
        f"## Bias audit: {title}",
        "",
        "| perturbation | what changes | pairs | flip rate % [95% CI] | moved towards the changed answer % |",
        "|---|---|---:|---|---:|",
    ]
    for name, r in rows.items():
        flip = (
            f"{_pct(r['flip_rate'])} [{_pct(r['ci_low'])}, {_pct(r['ci_high'])}]"
            if r["flip_rate"] is not None
            else "n/a"
        )
        lines.append(f"| {name} | {r['description']} | {r['n']} | {flip} | {_pct(r.get('toward_target'))} |")
    lines.append(
        "\nPairs: where both the plain and the perturbed verdict parsed. The changed answer is the gold "
        "loser (answer 2 without a gold winner)."
    )
    if SELF_CONSISTENCY in rows:
        r = rows[SELF_CONSISTENCY]
        lines.append(
            f"Self-consistency: the share of sampled verdicts that differ from the greedy one ({r['method']}), "
            "averaged over pairs; its CI is over pairs."
        )
    return "\n".join(lines)


def write_audit(rows: dict[str, dict[str, Any]], out_dir: str | Path, title: str, draw: bool = True) -> list[Path]:
    """Write ``audit.md``, ``audit.json`` and (with ``draw``) ``flip-rates.png``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    made = [plots.plot_flip_rates(rows, f"Flip rates: {title}", out_dir / "flip-rates.png")] if draw else []
    md, js = out_dir / "audit.md", out_dir / "audit.json"
    text = to_markdown(rows, title) + "".join(f"\n\n![{p.stem}]({p.name})" for p in made)
    md.write_text(text + "\n", encoding="utf-8")
    js.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return [md, js, *made]
