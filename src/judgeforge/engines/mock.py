"""A real, registered engine that returns canned text: for tests, demos and the server's test mode."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence

from judgeforge.engines.base import GenerationParams, cut_at_stop
from judgeforge.records import Generation, Prompt


class MockEngine:
    """Answers every prompt with canned text.

    Args:
        outputs: a string for every prompt, a list cycled through in call order, or a function of
            the prompt. A function that raises marks that prompt's generation as an error.
        max_prompt_tokens: context limit; tokens are whitespace-separated words here.
    """

    def __init__(
        self, outputs: str | list[str] | Callable[[Prompt], str] = "5 5", max_prompt_tokens: int = 100_000
    ) -> None:
        self.max_prompt_tokens = max_prompt_tokens
        self._cycle: Iterator[str] | None = None
        self._fn: Callable[[Prompt], str] | None = None
        if callable(outputs):
            self._fn = outputs
        else:
            self._cycle = itertools.cycle([outputs] if isinstance(outputs, str) else outputs)
        self.calls: list[int] = []
        """Batch sizes of the calls made so far (tests check that callers batch)."""

    def _text(self, prompt: Prompt) -> str:
        if self._fn is not None:
            return self._fn(prompt)
        assert self._cycle is not None
        return next(self._cycle)

    def generate(self, prompts: Sequence[Prompt], params: GenerationParams) -> list[Generation]:
        self.calls.append(len(prompts))
        out = []
        for p, n in zip(prompts, self.count_tokens(prompts)):
            try:
                text = self._text(p)
            except Exception as e:  # a failing callable stands for a failing backend
                out.append(Generation(sample_id=p.sample_id, text="", finish_reason="error", error=str(e)))
                continue
            text, _ = cut_at_stop(text, params.stop)
            words = text.split()
            finish = "stop"
            if len(words) > params.max_new_tokens:
                text, finish = " ".join(words[: params.max_new_tokens]), "length"
            out.append(
                Generation(
                    sample_id=p.sample_id,
                    text=text,
                    finish_reason=finish,
                    num_prompt_tokens=n,
                    num_tokens=min(len(words), params.max_new_tokens),
                )
            )
        return out

    def count_tokens(self, prompts: Sequence[Prompt]) -> list[int]:
        return [sum(len(m.content.split()) for m in p.messages) for p in prompts]

    def close(self) -> None:
        pass
