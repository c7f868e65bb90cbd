"""The reward judge: every answer scored on its own, verdicts from the reward difference.

A reward judge (``kind: reward`` in a judge spec) reads the question and one answer at a time, in
one packed forward pass per sample (see :mod:`judgeforge.engines.reward_model`), so:

- a pair's verdict cannot depend on the answer order: swap consistency is 1 by construction;
- the same rewards rank any number of answers; a lone answer's 1-10 grade comes from the judge's
  grade head where it has one (``grade_head.safetensors``, :mod:`judgeforge.training.grade`: fitted on
  absolute grades, so comparable across questions), else from its reward;
- probabilities of (tie, 1, 2) come from Rao-Kupper's model with the learned tie margin.

It generates no text: ``pred_text`` holds the grades in JudgeLM's first-line format (``"7.9 6.1"``)
and, in full mode, a one-line account of the rewards and probabilities.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from judgeforge.defaults import reward_judge_folder
from judgeforge.errors import ConfigError, DataError
from judgeforge.judging.parse import label_from_scores
from judgeforge.judging.run import JudgeConfig
from judgeforge.prompts.truncate import TRUNCATION_MARK
from judgeforge.records import JudgeSample, Judgment, Verdict

logger = logging.getLogger(__name__)


def head_tail(ids: list[int], limit: int, marker: list[int]) -> list[int]:
    """``ids`` cut to ``limit`` tokens: the first 3/4 and the last 1/4 around ``marker``."""
    if len(ids) <= limit:
        return ids
    keep = limit - len(marker)
    head = keep * 3 // 4
    return ids[:head] + marker + ids[len(ids) - (keep - head) :]


class RewardTokenizer:
    """Token ids a reward judge scores, built the same way in training and judging: the question
    through the ``judgeforge-reward`` template and the tokenizer's chat template (the prefix),
    then each answer as the assistant's turn followed by the end-of-turn token."""

    def __init__(self, tokenizer: Any, end_of_turn: list[int], max_question_tokens: int, max_answer_tokens: int):
        from judgeforge.prompts.render import get_template

        self.tokenizer = tokenizer
        self.end_of_turn = end_of_turn
        self.max_question_tokens = max_question_tokens
        self.max_answer_tokens = max_answer_tokens
        self.marker = self._ids(TRUNCATION_MARK)
        self.template = get_template("judgeforge-reward")

    def _ids(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def prefix(self, sample: JudgeSample) -> tuple[list[int], bool]:
        """The prompt's token ids up to where an answer starts, and whether the question was cut."""
        from judgeforge.prompts.render import prompt_text, render_prompt

        q = self._ids(sample.question)
        cut = len(q) > self.max_question_tokens
        if cut:
            short = self.tokenizer.decode(head_tail(q, self.max_question_tokens, self.marker))
            sample = sample.model_copy(update={"question": short})
        return self._ids(prompt_text(render_prompt(sample, self.template), self.tokenizer)), cut

    def answer(self, text: str) -> tuple[list[int], int]:
        """An answer's token ids (head and tail kept when too long) and its token count before the
        cut (more than ``max_answer_tokens``: it was cut)."""
        ids = self._ids(text)
        return head_tail(ids, self.max_answer_tokens, self.marker) + self.end_of_turn, len(ids)


class RewardJudge:
    """A trained reward judge (``head.safetensors`` + ``reward_judge.json``) on its frozen base LM.

    Args:
        model: the judge's folder; default: the one shipped in the package.
        device: ``cpu``, ``cuda`` or ``auto``.
        threads: CPU threads; default ``OMP_NUM_THREADS``, else all cores.
        max_row_tokens: tokens per packed forward pass (several short samples share one); 0: one
            sample per row, the fastest on CPU (measured in docs/benchmarks.md, round 3: no attention
            is computed across samples).
        packed: how the backbone runs; the features are the same either way (up to float
            rounding), only the speed differs. True: each sample's question and answers packed
            into rows with a block attention mask, the question computed once
            (:meth:`FeatureExtractor.features`); False: every question + answer as its own causal
            sequence in length-sorted batches (:meth:`FeatureExtractor.sequence_features`).
        max_batch_tokens: padded tokens per batch when ``packed`` is False.
        row_batch_tokens: padded tokens per forward pass of packed rows (rows of similar length
            batched); 0 (default): one sample per pass, so a verdict is the same bits whatever else
            is judged with it (a file, a resumed file, a server's micro-batch); 1024 is 1.4x faster on
            2 AMX cores, but bf16 rounding then depends on the batch-mates: 6 of PandaLM's 999 verdicts
            differed from the unbatched ones (docs/benchmarks.md, round 4).
    """

    def __init__(
        self, model: str | Path | None = None, device: str = "auto", threads: int | None = None,
        max_row_tokens: int = 0, packed: bool = True, max_batch_tokens: int = 4096, row_batch_tokens: int = 0,
    ) -> None:  # fmt: skip
        from judgeforge.engines.reward_model import FeatureExtractor, load_grade_head, load_reward_head

        folder = reward_judge_folder(model)
        if not (folder / "reward_judge.json").is_file():
            raise ConfigError(f"{folder} is not a reward judge (no reward_judge.json); train one with judgeforge train")
        self.head, self.info = load_reward_head(folder)
        self.grade_head = load_grade_head(folder)
        if self.grade_head is not None and self.grade_head[0].numel() != self.head.feature_mean.numel():
            raise ConfigError(
                f"{folder}/grade_head.safetensors has {self.grade_head[0].numel()} weights but the judge reads "
                f"{self.head.feature_mean.numel()} features: refit it with judgeforge train (kind: grade)"
            )
        self.packed = packed
        self.max_batch_tokens = max_batch_tokens
        self.extractor = FeatureExtractor(
            self.info.base_model, self.info.spec, device, max_row_tokens=max_row_tokens, threads=threads,
            max_batch_tokens=row_batch_tokens,
        )  # fmt: skip
        self.tokens = RewardTokenizer(
            self.extractor.tokenizer,
            self.extractor.end_of_turn,
            self.info.max_question_tokens,
            self.info.max_answer_tokens,
        )

    def rewards(self, samples: Sequence[JudgeSample]) -> list[list[float]]:
        """The raw reward of every answer of every sample."""
        with torch.no_grad():
            return [self.head(f).tolist() for f in self.features(samples)[0]]

    def features(self, samples: Sequence[JudgeSample]) -> tuple[list[torch.Tensor], list[bool]]:
        """Every sample's answer features (answers x features; what the heads read), and whether its
        question or an answer was cut (one tokenization)."""
        from judgeforge.engines.reward_model import Item, with_answer_length

        items, cuts, lengths, places = [], [], [], []
        for s in samples:
            prefix, question_cut = self.tokens.prefix(s)
            answers = [self.tokens.answer(a) for a in s.answers]
            # the answers go into the model in a canonical order (by token ids), so a sample and its
            # swapped copy are the same computation, rounding included: verdicts cannot move with the order
            order = sorted(range(len(answers)), key=lambda k: answers[k][0])
            items.append(Item(prefix, [answers[k][0] for k in order]))
            places.append(torch.argsort(torch.tensor(order)))
            lengths.append([n for _, n in answers])
            cuts.append(question_cut or any(n > self.tokens.max_answer_tokens for n in lengths[-1]))
        if self.packed:
            computed = self.extractor.features(items)
        else:
            computed = self.extractor.sequence_features(items, self.max_batch_tokens)
        features = [f[place] for f, place in zip(computed, places)]
        if self.info.spec.answer_length:
            features = [with_answer_length(f, n) for f, n in zip(features, lengths)]
        return features, cuts

    def _grades(self, features: torch.Tensor, rewards: list[float]) -> list[float]:
        """1-10 grades of a sample's answers: a lone answer's from the grade head where the judge has
        one (fitted on absolute grades, so comparable across questions), else from the rewards."""
        if self.grade_head is not None and len(rewards) == 1:
            weight, bias = self.grade_head
            return [round(min(max(float(features[0].float() @ weight) + bias, 1.0), 10.0), 3)]
        return [round(self.info.grade(r), 3) for r in rewards]

    def judge(self, samples: Sequence[JudgeSample], config: JudgeConfig) -> list[Verdict | DataError]:
        """Judge samples of any kind; one :class:`Verdict` per sample, in order.

        Args:
            samples: pairs, single answers or multi-answer samples (history is part of the prompt).
            config: judging settings; ``swap`` adds the swapped order's judgment (equal by
                construction), ``with_reference`` is not used (this judge was trained without
                references), ``mode`` ``full`` adds the rewards to ``pred_text``.

        Returns:
            Verdicts; a sample's rewards are independent of the other samples and of answer order.
        """
        from judgeforge.engines.reward_model import rao_kupper

        if config.with_reference and any(s.reference for s in samples):
            logger.info("the reward judge does not read reference answers; judging without them")
        all_features, cuts = self.features(samples)
        out: list[Verdict | DataError] = []
        for sample, features, truncated in zip(samples, all_features, cuts):
            with torch.no_grad():
                rewards = self.head(features).tolist()
            grades = self._grades(features, rewards)
            probs = None
            if len(rewards) == 2:
                p = rao_kupper(torch.tensor(rewards[0]), torch.tensor(rewards[1]), self.head.tau).tolist()
                probs = {0: p[0], 1: p[1], 2: p[2]}
                label: int | None = max(probs, key=probs.__getitem__)
            else:
                label = label_from_scores(grades) if len(grades) > 1 else None
            raw = " ".join(f"{g:.1f}" for g in grades)
            if config.mode == "full":
                detail = ", ".join(f"answer {k}: reward {r:+.3f}" for k, r in enumerate(rewards, start=1))
                raw += f"\nReward judge (each answer scored on its own): {detail}."
                if self.grade_head is not None and len(rewards) == 1:
                    raw += " The grade is the grade head's (fitted on absolute 1-10 grades of single answers)."
                if probs:
                    raw += (
                        f" P(answer 1 better) = {probs[1]:.2f}, P(tie) = {probs[0]:.2f},"
                        f" P(answer 2 better) = {probs[2]:.2f}."
                    )
            first = Judgment(sample_id=sample.id, scores=grades, label=label, probs=probs, raw=raw)
            judgments = [first]
            if config.swap and len(rewards) == 2:
                judgments.append(first.model_copy(update={"swapped": True}))
            out.append(
                Verdict(
                    sample_id=sample.id,
                    judgments=judgments,
                    scores=grades,
                    label=label,
                    probs=probs,
                    confidence=probs[label] if probs and label is not None else None,
                    consistent=True if len(judgments) == 2 else None,
                    truncated=truncated,
                )
            )
        return out

    def close(self) -> None:
        del self.extractor


def load_reward_judge(model: str | None = None, **options: Any) -> RewardJudge:
    """Load a reward judge (the entry point :class:`judgeforge.judging.judge.Judge` uses).

    Args:
        model: its folder; ``None`` or ``"default"``: the shipped one.
        **options: :class:`RewardJudge`'s keyword arguments (``device``, ``threads``, ``max_row_tokens``,
            ``packed``, ``max_batch_tokens``, ``row_batch_tokens``).
    """
    return RewardJudge(model, **options)
