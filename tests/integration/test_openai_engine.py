"""The OpenAI-compatible engine against a small local server that speaks the protocol."""

import socket
import threading
import time

import pytest

fastapi = pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")

from judgeforge.engines import GenerationParams, create_engine  # noqa: E402
from judgeforge.judging.run import JudgeConfig, judge_samples  # noqa: E402
from judgeforge.records import JudgeSample  # noqa: E402


def _stub_app(state: dict) -> "fastapi.FastAPI":
    app = fastapi.FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(body: dict):
        state["requests"] += 1
        if state["requests"] <= state["fail_first"]:
            return fastapi.responses.JSONResponse({"error": "overloaded"}, status_code=503)
        user = body["messages"][-1]["content"]
        verdict = "1" if "Assistant 1's Answer]\nlong" in user else "2"
        top = [{"token": verdict, "logprob": -0.1}, {"token": "tie", "logprob": -3.0}]
        return {
            "choices": [
                {
                    "message": {"role": "assistant", "content": verdict + "\nreason\nmore"},
                    "finish_reason": "stop",
                    "logprobs": {"content": [{"token": verdict, "top_logprobs": top}]},
                }
            ],
            "usage": {"prompt_tokens": 100, "completion_tokens": 5},
        }

    @app.post("/v1/completions")
    async def completions(body: dict):
        state["requests"] += 1
        return {
            "choices": [{"text": "8 6\nfine", "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 50, "completion_tokens": 3},
        }

    return app


@pytest.fixture
def server():
    state = {"requests": 0, "fail_first": 0}
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    srv = uvicorn.Server(uvicorn.Config(_stub_app(state), host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}/v1", state
    srv.should_exit = True
    thread.join(timeout=5)


SAMPLES = [
    JudgeSample(id=str(i), question="q", answers=["long answer", "short"] if i % 2 else ["short", "long answer"])
    for i in range(6)
]


def test_judges_through_the_protocol_with_cache_and_accounting(server, tmp_path):
    url, state = server
    engine = create_engine(
        "openai/judge-model",
        base_url=url,
        cache_dir=str(tmp_path / "cache"),
        input_price_per_1k=1.0,
        output_price_per_1k=2.0,
        concurrency=3,
    )
    verdicts = judge_samples(SAMPLES, engine, JudgeConfig(swap=True))
    assert [v.label for v in verdicts] == [2, 1, 2, 1, 2, 1]
    assert all(v.consistent and v.confidence > 0.9 for v in verdicts)
    assert state["requests"] == 12 and engine.usage.requests == 12
    assert engine.usage.prompt_tokens == 1200 and engine.usage.cost == pytest.approx(1.2 + 0.12)
    assert verdicts[0].judgments[0].raw == "2\nreason\nmore"
    # a rerun is served from the cache
    judge_samples(SAMPLES, engine, JudgeConfig(swap=True))
    assert state["requests"] == 12 and engine.usage.cache_hits == 12


def test_retries_then_succeeds_and_reports_final_failures(server, tmp_path):
    url, state = server
    state["fail_first"] = 2
    engine = create_engine(
        "openai", model="m", base_url=url, cache_dir="", concurrency=1, max_retries=3, retry_delay_s=0.01
    )
    engine_params = GenerationParams(max_new_tokens=8, stop=("\n",))
    [gen] = engine.generate([judge_prompt()], engine_params)
    assert gen.text == "1" and state["requests"] == 3  # two 503s, then an answer cut at the stop string
    state["fail_first"] = 100
    broken = create_engine("openai", model="m", base_url=url, cache_dir="", max_retries=1, retry_delay_s=0.01)
    broken_gen = broken.generate([judge_prompt()], engine_params)[0]
    assert broken_gen.finish_reason == "error" and "503" in broken_gen.error


def test_raw_prompts_use_the_completions_endpoint(server):
    url, _ = server
    engine = create_engine("openai", model="m", base_url=url, cache_dir="")
    [verdict] = judge_samples(SAMPLES[:1], engine, JudgeConfig(template_family="judgelm"))
    assert verdict.scores == [8.0, 6.0] and verdict.label == 1


def judge_prompt():
    from judgeforge.prompts import get_template, render_prompt

    return render_prompt(SAMPLES[1], get_template("judgeforge-pair"))
