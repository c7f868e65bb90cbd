"""An engine for any OpenAI-compatible server: vLLM, SGLang, llama.cpp, or a hosted API.

Requests run concurrently (bounded), failed ones are retried with exponential backoff, answers are
cached on disk (keyed by model, prompt and parameters, so a rerun costs nothing), and tokens and
cost are counted. Chat prompts go to ``/chat/completions``; raw completion prompts (templates with
``use_chat_template: false``, such as JudgeLM's) go to ``/completions``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from judgeforge.defaults import base_dir
from judgeforge.engines.base import GenerationParams, cut_at_stop
from judgeforge.records import Generation, Prompt

logger = logging.getLogger(__name__)
_RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}


@dataclass
class Usage:
    """What the engine has spent so far."""

    requests: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    """In the currency of the prices given to the engine."""


class OpenAIEngine:
    """Judge through an OpenAI-compatible HTTP API.

    Args:
        model: the model name the server knows.
        base_url: the API root, e.g. ``http://localhost:8000/v1``; default ``$OPENAI_BASE_URL``.
        api_key: default ``$OPENAI_API_KEY`` (``EMPTY`` for local servers that need none).
        concurrency: requests in flight at once.
        max_retries: retries of a request after a connection error or a 408/409/429/5xx answer.
        timeout_s: per-request timeout.
        cache_dir: on-disk answer cache; ``None`` for ``$JUDGEFORGE_HOME/cache/openai``, ``""`` to disable.
        max_prompt_tokens: context limit used for truncation (tokens estimated as characters / 4).
        input_price_per_1k: price of 1,000 prompt tokens, for cost accounting.
        output_price_per_1k: price of 1,000 completion tokens.
        retry_delay_s: the first backoff delay; it doubles with each retry, up to 30 s.
    """

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        concurrency: int = 8,
        max_retries: int = 4,
        timeout_s: float = 120.0,
        cache_dir: str | None = None,
        max_prompt_tokens: int = 32_000,
        input_price_per_1k: float = 0.0,
        output_price_per_1k: float = 0.0,
        retry_delay_s: float = 1.0,
    ) -> None:
        self.model = model
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or "http://localhost:8000/v1").rstrip("/")
        self.api_key = api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY"
        self.concurrency = concurrency
        self.max_retries = max_retries
        self.timeout_s = timeout_s
        self.cache = None if cache_dir == "" else Path(cache_dir or base_dir() / "cache" / "openai")
        self.max_prompt_tokens = max_prompt_tokens
        self.prices = (input_price_per_1k, output_price_per_1k)
        self.retry_delay_s = retry_delay_s
        self.usage = Usage()

    def count_tokens(self, prompts: Sequence[Prompt]) -> list[int]:
        # no tokenizer for a remote model: about four characters per token in English
        return [sum(len(m.content) for m in p.messages) // 4 + 8 for p in prompts]

    def _request(self, prompt: Prompt, params: GenerationParams) -> tuple[str, dict[str, Any]]:
        body: dict[str, Any] = {
            "model": self.model,
            "max_tokens": params.max_new_tokens,
            "temperature": params.temperature,
            "seed": params.seed,
        }
        if params.stop:
            body["stop"] = list(params.stop)
        if prompt.use_chat_template:
            body["messages"] = [m.model_dump() for m in prompt.messages]
            if params.top_logprobs:
                body |= {"logprobs": True, "top_logprobs": params.top_logprobs}
            return "/chat/completions", body
        body["prompt"] = "\n".join(m.content for m in prompt.messages)
        if params.top_logprobs:
            body["logprobs"] = params.top_logprobs
        return "/completions", body

    def _cache_path(self, path: str, body: dict[str, Any]) -> Path | None:
        if self.cache is None:
            return None
        key = hashlib.sha256(json.dumps([self.base_url, path, body], sort_keys=True).encode()).hexdigest()
        return self.cache / key[:2] / f"{key}.json"

    async def _post(self, client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
        delay = self.retry_delay_s
        for attempt in range(self.max_retries + 1):
            try:
                response = await client.post(self.base_url + path, json=body)
                if response.status_code not in _RETRY_STATUS:
                    response.raise_for_status()
                    return response.json()
                error = f"HTTP {response.status_code}: {response.text[:200]}"
            except httpx.TransportError as e:
                error = f"{type(e).__name__}: {e}"
            if attempt < self.max_retries:
                logger.info("request failed (%s); retry %d in %.1fs", error, attempt + 1, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
        raise httpx.HTTPError(f"gave up after {self.max_retries + 1} attempts: {error}")

    async def _one(
        self, client: httpx.AsyncClient, gate: asyncio.Semaphore, prompt: Prompt, params: GenerationParams
    ) -> Generation:
        path, body = self._request(prompt, params)
        cached = self._cache_path(path, body)
        t0 = time.perf_counter()
        if cached is not None and cached.is_file():
            data = json.loads(cached.read_text(encoding="utf-8"))
            self.usage.cache_hits += 1
        else:
            async with gate:
                try:
                    data = await self._post(client, path, body)
                except httpx.HTTPError as e:
                    return Generation(sample_id=prompt.sample_id, text="", finish_reason="error", error=str(e))
            self.usage.requests += 1
            usage = data.get("usage") or {}
            self.usage.prompt_tokens += usage.get("prompt_tokens", 0)
            self.usage.completion_tokens += usage.get("completion_tokens", 0)
            self.usage.cost += (
                usage.get("prompt_tokens", 0) * self.prices[0] + usage.get("completion_tokens", 0) * self.prices[1]
            ) / 1000
            if cached is not None:
                cached.parent.mkdir(parents=True, exist_ok=True)
                tmp = cached.with_suffix(".tmp")
                tmp.write_text(json.dumps(data), encoding="utf-8")
                tmp.replace(cached)
        return _to_generation(prompt.sample_id, data, params, time.perf_counter() - t0)

    async def _all(self, prompts: Sequence[Prompt], params: GenerationParams) -> list[Generation]:
        gate = asyncio.Semaphore(self.concurrency)
        headers = {"Authorization": f"Bearer {self.api_key}"}
        async with httpx.AsyncClient(headers=headers, timeout=self.timeout_s) as client:
            return list(await asyncio.gather(*(self._one(client, gate, p, params) for p in prompts)))

    def generate(self, prompts: Sequence[Prompt], params: GenerationParams) -> list[Generation]:
        """Send every prompt (at most ``concurrency`` at a time); results come back in input order."""
        return asyncio.run(self._all(prompts, params))

    def close(self) -> None:
        pass


def _to_generation(sample_id: str, data: dict[str, Any], params: GenerationParams, latency: float) -> Generation:
    choice = data["choices"][0]
    text = choice["message"]["content"] if "message" in choice else choice.get("text", "")
    text, _ = cut_at_stop(text or "", params.stop)  # servers that ignore "stop" still get cut
    logprobs = None
    lp = choice.get("logprobs")
    if lp and lp.get("content"):  # chat format
        logprobs = {t["token"]: t["logprob"] for t in lp["content"][0].get("top_logprobs", [])}
    elif lp and lp.get("top_logprobs"):  # completions format
        logprobs = dict(lp["top_logprobs"][0])
    usage = data.get("usage") or {}
    return Generation(
        sample_id=sample_id,
        text=text,
        finish_reason="length" if choice.get("finish_reason") == "length" else "stop",
        num_prompt_tokens=usage.get("prompt_tokens", 0),
        num_tokens=usage.get("completion_tokens", 0),
        latency_s=latency,
        first_token_logprobs=logprobs,
    )
