"""The engine protocol: a batch of prompts in, one generation per prompt out, in the same order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from judgeforge.records import Generation, Prompt


@dataclass(frozen=True)
class GenerationParams:
    """Sampling settings; each engine translates them to its own backend."""

    max_new_tokens: int = 256
    """Most tokens to generate per prompt."""
    temperature: float = 0.0
    """0 means greedy decoding (the default: judgments should be reproducible)."""
    stop: tuple[str, ...] = ()
    """Generation ends at the first of these strings, which is not included in the text."""
    top_logprobs: int = 0
    """Also return the log-probabilities of this many most likely *first* tokens (0: none)."""
    seed: int = 0
    """Random seed for sampling when ``temperature > 0``."""

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")


@runtime_checkable
class Engine(Protocol):
    """What the judging runner needs from a backend.

    ``generate`` handles batching, retries and concurrency itself; callers never loop one prompt
    at a time. A prompt that fails gets a :class:`Generation` with ``finish_reason="error"``
    instead of failing the batch.
    """

    max_prompt_tokens: int
    """Longest prompt, in tokens, the engine accepts (context length minus room to generate)."""

    def generate(self, prompts: Sequence[Prompt], params: GenerationParams) -> list[Generation]: ...

    def count_tokens(self, prompts: Sequence[Prompt]) -> list[int]: ...

    def close(self) -> None: ...


def cut_at_stop(text: str, stop: Sequence[str]) -> tuple[str, bool]:
    """Cut a text at the first stop string; also say whether one was found."""
    cuts = [i for i in (text.find(s) for s in stop) if i >= 0]
    return (text[: min(cuts)], True) if cuts else (text, False)
