"""The HTTP server on the mock engine: every task type, auth, limits, malformed bodies, concurrency."""

from __future__ import annotations

import asyncio
import json
import math
import re
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from fastapi.testclient import TestClient

from judgeforge.cli.main import main
from judgeforge.defaults import SHIPPED_JUDGE
from judgeforge.engines.base import GenerationParams
from judgeforge.engines.mock import MockEngine
from judgeforge.judging.judge import Judge
from judgeforge.records import Generation, JudgeSample, Prompt
from judgeforge.serve.adapter import ServedJudge, model_name
from judgeforge.serve.app import ServeSettings, create_app

from ..conftest import DATA

PAIR = {"question_body": "Name a primary colour.", "answer1_body": "Red. GOOD", "answer2_body": "Banana."}


def fake_output(prompt: Prompt) -> str:
    """A consistent judge: an answer containing GOOD scores 9, others 3; EXPLODE fails the prompt."""
    text = prompt.messages[-1].content
    if "EXPLODE" in text:
        raise RuntimeError("the backend fell over")
    if "SLOW" in text:
        time.sleep(0.5)
    answers = [a for _, a in re.findall(r"\[Assistant( \d+)?'s Answer\]\n(.*?)\n\n", text, re.S)]
    scores = [9 if "GOOD" in a else 3 for a in answers]
    if prompt.template_id == "judgeforge-pair":
        verdict = "tie" if scores[0] == scores[1] else str(scores.index(max(scores)) + 1)
        return f"{verdict}\nAssistant {verdict} is better: it says GOOD."
    return " ".join(map(str, scores)) + "\nThe answers that say GOOD are better."


class ConfidentMock(MockEngine):
    """The mock engine, plus first-token log-probabilities: 0.8 on the verdict it writes."""

    def generate(self, prompts: list[Prompt], params: GenerationParams) -> list[Generation]:
        out = []
        for g in super().generate(prompts, params):
            first = g.text.split("\n")[0].strip()
            if g.finish_reason != "error" and first in ("1", "2", "tie"):
                lp = {t: math.log(0.8 if t == first else 0.1) for t in ("1", "2", "tie")}
                g = g.model_copy(update={"first_token_logprobs": lp})
            out.append(g)
        return out


def mock_judge(**spec) -> ServedJudge:
    """The shipped ``mock`` spec on the engine above, fast mode by default."""
    return ServedJudge(Judge.from_spec("mock", engine_instance=ConfidentMock(fake_output), **{"mode": "fast", **spec}))


@contextmanager
def serving(settings: ServeSettings | None = None, judge: ServedJudge | None = None) -> Iterator[TestClient]:
    judge = judge or mock_judge()
    with TestClient(create_app(judge, settings)) as client:
        yield client


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with serving() as c:
        yield c


@pytest.mark.parametrize(
    "record, options, expected",
    [
        (PAIR, {}, {"pred_label": 1, "pred_confidence": 0.8, "status": "ok"}),
        ({**PAIR, "answer1_body": "Red.", "answer2_body": "Blue. GOOD"}, {}, {"pred_label": 2}),
        ({**PAIR, "answer2_body": "Blue. GOOD"}, {}, {"pred_label": 0}),
        ({**PAIR, "reference": {"text": "red"}, "question_id": 7}, {}, {"pred_label": 1, "question_id": 7}),
        ({**PAIR, "reference": "red", "history": [{"role": "user", "content": "hi"}]}, {}, {"pred_label": 1}),
        ({"question_body": "Q?", "answer_body": "GOOD"}, {}, {"pred_score": [9.0], "pred_label": 1}),
        (
            {"question_body": "Q?", "answer1_body": "a", "answer2_body": "GOOD", "answer3_body": "c"},
            {},
            {"pred_score": [3.0, 9.0, 3.0], "pred_label": 2, "pred_confidence": None, "pred_ranking": [2, 1, 3]},
        ),
        (
            PAIR,
            {"swap": True},
            {"pred_label_original": 1, "pred_label_swapped": 1, "consistent": True, "pred_probs_swapped": {}},
        ),
        (PAIR, {"mode": "full"}, {"pred_text": "1\nAssistant 1 is better: it says GOOD."}),
        (PAIR, {"mode": "fast"}, {"pred_text": "1", "pred_text_swapped": None}),
    ],
)
def test_every_task_type(client, record, options, expected):
    r = client.post("/v1/judge", json={"record": record, **options})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ok" and body["error"] is None and "input_line" not in body
    for key, value in expected.items():
        if value == {}:  # present, whatever its value
            assert body[key], key
        else:
            assert body[key] == value, key


def test_batch_gives_each_record_its_own_status(client):
    records = [
        PAIR,
        {"question_body": "Q?", "answer1_body": 5, "answer2_body": "b"},
        {"question_id": "x", "question_body": "Q?", "answer1_body": "EXPLODE", "answer2_body": "b"},
        {"answer1_body": "a", "answer2_body": "b"},
        {"question_body": "Q?", "answer_body": ""},
    ]
    r = client.post("/v1/judge/batch", json={"records": records, "mode": "fast"})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["ok", "bad_input", "engine_error", "bad_input", "ok"]
    assert [x["question_id"] for x in results] == ["0", "1", "x", "3", "4"]
    assert "records[1]: field 'answer1_body' must be a string" in results[1]["error"]
    assert "the backend fell over" in results[2]["error"]
    assert results[3]["error"] == "records[3]: field 'question_body' is missing"
    assert results[4]["warnings"] == ["records[4]: field 'answer_body' is empty"]


@pytest.mark.parametrize(
    "body, status, message",
    [
        (b'{"record": {"question_body": "x",', 400, "not valid JSON"),
        (b"", 422, "field 'body' is missing"),
        (b"[1, 2]", 422, "valid dictionary"),
        (b'{"mode": "fast"}', 422, "field 'record' is missing"),
        (json.dumps({"record": PAIR, "mode": "slow"}).encode(), 422, "field 'mode'"),
        (json.dumps({"record": PAIR, "swap": "yes"}).encode(), 422, "field 'swap'"),
        (json.dumps({"record": PAIR, "temperature": 1}).encode(), 422, "unknown field 'temperature'"),
        (json.dumps({"record": "text"}).encode(), 422, "field 'record'"),
        (json.dumps({"record": {**PAIR, "answer2_body": None}}).encode(), 422, "field 'answer2_body' must be a string"),
        (json.dumps({"record": {**PAIR, "question_body": ["a"]}}).encode(), 422, "field 'question_body' must be"),
        (json.dumps({"record": {**PAIR, "reference": 3}}).encode(), 422, "field 'reference'"),
        (json.dumps({"record": {**PAIR, "history": "hi"}}).encode(), 422, "field 'history'"),
        (json.dumps({"record": {"question_body": "q"}}).encode(), 422, "record: no answers"),
        (json.dumps({"records": []}).encode(), 422, "field 'records'"),
    ],
)
def test_malformed_bodies_get_a_4xx_naming_the_field(client, body, status, message):
    path = "/v1/judge/batch" if b"records" in body else "/v1/judge"
    r = client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == status, r.text
    assert message in r.json()["error"]


def test_api_key(monkeypatch):
    with serving(ServeSettings(api_key="s3cret-ключ")) as c:
        assert c.get("/healthz").json() == {"status": "ok", "judge": "mock", "auth_required": True}
        assert c.get("/").status_code == 200  # the page itself is public; its API calls are not
        for headers in ({}, {"X-API-Key": "wrong"}, {"Authorization": "Bearer s3cret"}, {"Authorization": "Basic x"}):
            r = c.post("/v1/judge", json={"record": PAIR}, headers=headers)
            assert r.status_code == 401 and "API key" in r.json()["error"], headers
            assert r.headers["WWW-Authenticate"] == "Bearer"
        assert c.get("/v1/judge/info").status_code == 401
        key = "s3cret-ключ".encode()
        assert c.post("/v1/judge", json={"record": PAIR}, headers={b"X-API-Key": key}).status_code == 200
        assert c.post("/v1/judge", json={"record": PAIR}, headers={b"Authorization": b"Bearer " + key}).json()["status"]


def test_limits():
    settings = ServeSettings(max_body_bytes=2_000, max_text_chars=100, max_batch_records=3)
    with serving(settings) as c:
        r = c.post("/v1/judge", json={"record": {**PAIR, "answer2_body": "x" * 3_000}})
        assert r.status_code == 413 and "2000 bytes" in r.json()["error"]
        # no Content-Length (chunked): counted as it arrives
        r = c.post("/v1/judge", content=iter([b'{"record": {"question_body": "', b"x" * 3_000, b'"}}']))
        assert r.status_code == 413
        r = c.post("/v1/judge", json={"record": {**PAIR, "answer2_body": "x" * 101}})
        assert r.status_code == 422 and "field 'answer2_body' has 101 characters" in r.json()["error"]
        r = c.post("/v1/judge/batch", json={"records": [PAIR] * 4})
        assert r.status_code == 413 and "field 'records' has 4 items" in r.json()["error"]
        r = c.post("/v1/judge/batch", json={"records": [PAIR, {**PAIR, "reference": "r" * 101}]})
        assert [x["status"] for x in r.json()["results"]] == ["ok", "bad_input"]
        info = c.get("/v1/judge/info").json()
        assert info["limits"]["max_text_chars"] == 100 and info["tasks"] == ["single", "pair", "multi"]


def test_records_the_judge_cannot_take_and_odd_ids():
    judge = ServedJudge(Judge.from_spec("mock", engine_instance=MockEngine("1", max_prompt_tokens=60), mode="fast"))
    long_question = {**PAIR, "question_body": "word " * 80}
    with serving(judge=judge) as c:
        r = c.post("/v1/judge", json={"record": long_question})
        assert r.status_code == 422 and "record: the question and instructions alone take" in r.json()["error"]
        records = [long_question, {**PAIR, "question_id": 1.5}, {**PAIR, "question_id": [1]}, PAIR]
        results = c.post("/v1/judge/batch", json={"records": records}).json()["results"]
        assert [x["status"] for x in results] == ["bad_input", "bad_input", "bad_input", "ok"]
        assert results[0]["error"].startswith("records[0]: the question") and results[1]["question_id"] is None
        assert "field 'question_id' must be a string or integer" in results[2]["error"]


def test_a_full_queue_gets_503_not_a_hang():
    app = create_app(mock_judge(), ServeSettings(max_queue=1, max_batch_size=1))

    async def run() -> list[int]:
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
                slow = {"record": {**PAIR, "answer2_body": "SLOW"}}
                return [
                    r.status_code for r in await asyncio.gather(*(c.post("/v1/judge", json=slow) for _ in range(4)))
                ]

    codes = asyncio.run(run())
    assert 200 in codes and 503 in codes and set(codes) <= {200, 503}


def test_timeout_then_the_server_still_works():
    with serving(ServeSettings(timeout_s=0.1)) as c:
        r = c.post("/v1/judge", json={"record": {**PAIR, "answer2_body": "SLOW"}})
        assert r.status_code == 504 and "not judged within 0.1s" in r.json()["error"]
        time.sleep(0.5)  # the slow batch finishes; its result is dropped
        assert c.post("/v1/judge", json={"record": PAIR}).json()["pred_label"] == 1


def test_a_judge_that_raises_fails_only_the_culprit():
    judge = mock_judge()
    real = judge.judge

    def fragile(samples: list[JudgeSample], **kw):
        if any("POISON" in s.question for s in samples):
            raise ValueError("cannot judge poison")
        return real(samples, **kw)

    judge.judge = fragile  # type: ignore[method-assign]
    with serving(ServeSettings(max_wait_ms=50), judge) as c:
        records = [PAIR, {**PAIR, "question_body": "POISON"}, PAIR]
        results = c.post("/v1/judge/batch", json={"records": records}).json()["results"]
        assert [x["status"] for x in results] == ["ok", "engine_error", "ok"]
        assert "ValueError: cannot judge poison" in results[1]["error"]


def test_concurrent_requests_are_batched_and_routed_back():
    n = 40
    settings = ServeSettings(max_wait_ms=20, max_batch_size=16)
    judge = mock_judge()
    engine = judge.base.engine  # the app closes the judge on shutdown, which lets go of its engine
    app = create_app(judge, settings)

    async def run() -> list[httpx.Response]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                return await asyncio.gather(
                    *(
                        c.post(
                            "/v1/judge",
                            json={
                                "record": {
                                    **PAIR,
                                    "question_id": i,
                                    "answer1_body": f"a{i}",
                                    "answer2_body": f"b{i} GOOD" if i % 3 else f"b{i}",
                                }
                            },
                        )
                        for i in range(n)
                    )
                )

    responses = asyncio.run(run())
    assert all(r.status_code == 200 for r in responses)
    for i, r in enumerate(responses):
        assert r.json()["question_id"] == i and r.json()["pred_label"] == (2 if i % 3 else 0)
    calls = engine.calls  # type: ignore[attr-defined]
    assert sum(calls) == n and len(calls) < n / 4 and max(calls) <= 16


def test_info_docs_and_page_work_offline(client):
    info = client.get("/v1/judge/info").json()
    assert info["judge"]["name"] == "mock" and info["judge"]["mode"] == "fast" and not info["auth_required"]
    docs = client.get("/docs").text
    assert "cdn" not in docs.lower() and "/static-offline-docs/swagger-ui-bundle.js" in docs
    assert client.get("/static-offline-docs/swagger-ui-bundle.js").status_code == 200
    assert {"/v1/judge", "/v1/judge/batch", "/healthz", "/v1/judge/info"} <= set(
        client.get("/openapi.json").json()["paths"]
    )
    page = client.get("/")
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    for src in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        assert src.startswith("/static/") and client.get(src).status_code == 200
    assert client.get("/nowhere").json() == {"error": "Not Found"}
    assert client.get("/v1/judge").status_code == 405


def test_cors_is_off_unless_enabled(client):
    preflight = {"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"}
    assert "access-control-allow-origin" not in client.options("/v1/judge", headers=preflight).headers
    with serving(ServeSettings(cors_origins=("https://elsewhere.example",))) as c:
        r = c.options("/v1/judge", headers=preflight)
        assert r.headers["access-control-allow-origin"] == "https://elsewhere.example"


def test_cli_serves_on_localhost_with_the_key_from_the_environment(monkeypatch):
    import uvicorn

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    monkeypatch.setenv("JUDGEFORGE_API_KEY", "k")
    assert main(["serve", "--judge", "mock", "--port", "8123", "--max-batch", "4", "--swap"]) == 0
    assert seen["host"] == "127.0.0.1" and seen["port"] == 8123
    with TestClient(seen["app"]) as c:  # the lifespan loads the judge
        assert c.post("/v1/judge", json={"record": PAIR}).status_code == 401
        r = c.post("/v1/judge", json={"record": PAIR}, headers={"X-API-Key": "k"}).json()
        # the spec's canned verdict is "1" whatever the order: the orders disagree
        assert r["status"] == "ok" and r["pred_label_original"] == 1 and r["consistent"] is False
        info = c.get("/v1/judge/info", headers={"X-API-Key": "k"}).json()
        assert info["limits"]["max_batch_size"] == 4 and info["judge"]["swap"] is True


def _sigterm() -> None:
    signal.raise_signal(signal.SIGTERM)  # what uvicorn does after a graceful shutdown on SIGTERM


def _ctrl_c() -> None:
    raise KeyboardInterrupt


@pytest.mark.parametrize("stop, code, how", [(_sigterm, 143, "terminated"), (_ctrl_c, 130, "interrupted")])
def test_a_stopped_server_says_it_shut_down(monkeypatch, capsys, stop, code, how):
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: stop())
    assert main(["serve", "--judge", "mock"]) == code
    err = capsys.readouterr().err
    assert f"{how}; the server has shut down" in err and "--resume" not in err  # no file job to resume


@pytest.mark.parametrize(
    "model, shown", [(str(SHIPPED_JUDGE), "judgeforge-default-judge"), ("smollm2", "smollm2"), (str(DATA), "data")]
)
def test_clients_see_no_server_paths(model, shown):
    assert model_name(model) == shown


def test_image_paths_are_refused_over_http(client):
    record = {"question_body": "Q?", "answer_body": "a", "image": "/etc/secret.png"}
    r = client.post("/v1/judge", json={"record": record})
    assert r.status_code == 422 and "field 'image': image paths are not accepted over HTTP" in r.json()["error"]
