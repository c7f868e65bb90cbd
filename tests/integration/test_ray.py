"""Scale-out on a local 2-worker Ray cluster (CPU): same output as a local job, resumable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from judgeforge.engines import create_engine
from judgeforge.engines.base import GenerationParams
from judgeforge.judging.job import judge_file
from judgeforge.judging.run import JudgeConfig
from judgeforge.records import Message, Prompt
from tests.conftest import DATA

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def ray_cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _prompt(i: int) -> Prompt:
    return Prompt(
        sample_id=str(i), messages=[Message(role="user", content=f"question {i} " + "word " * i)], template_id="t"
    )


def test_pool_splits_work_and_keeps_order(ray_cluster):
    # each worker answers with its own process id: both must have served, results in input order
    def echo(prompt: Prompt) -> str:
        import os

        return f"{prompt.sample_id}:{os.getpid()}"

    pool = create_engine("ray", engine="mock", workers=2, outputs=echo)
    try:
        prompts = [_prompt(i) for i in range(7)]
        gens = pool.generate(prompts, GenerationParams(max_new_tokens=8))
        assert [g.text.split(":")[0] for g in gens] == [str(i) for i in range(7)]
        assert len({g.text.split(":")[1] for g in gens}) == 2
        assert pool.count_tokens(prompts) == [2 + i for i in range(7)]
    finally:
        pool.close()


def test_ray_job_matches_local_job_and_resumes(ray_cluster, tiny_model_dir, tmp_path):
    config = JudgeConfig(mode="fast", swap=True, chunk_size=6)
    local = create_engine("hf", model=str(tiny_model_dir), batch_size=4, max_prompt_tokens=512)
    judge_file(DATA / "pairs.jsonl", tmp_path / "local.jsonl", local, config)
    local.close()

    pool = create_engine("ray", engine="hf", workers=2, model=str(tiny_model_dir), batch_size=4, max_prompt_tokens=512)
    try:
        out = tmp_path / "ray.jsonl"
        judge_file(DATA / "pairs.jsonl", out, pool, config, limit=2)  # an interrupted job ...
        assert len(_records(out)) == 2
        judge_file(DATA / "pairs.jsonl", out, pool, config, resume=True)  # ... resumed
    finally:
        pool.close()
    ray_records, local_records = _records(out), _records(tmp_path / "local.jsonl")
    assert [r["input_line"] for r in ray_records] == [r["input_line"] for r in local_records]
    assert [r["status"] for r in ray_records] == [r["status"] for r in local_records]
    assert [r.get("pred_label") for r in ray_records] == [r.get("pred_label") for r in local_records]
    for a, b in zip(ray_records, local_records):
        if a.get("pred_probs"):
            assert a["pred_probs"] == pytest.approx(b["pred_probs"], abs=2e-2)  # bf16 batches differ slightly


def test_ray_rejects_nested_pools():
    from judgeforge.errors import ConfigError

    with pytest.raises(ConfigError, match="Ray pool"):
        create_engine("ray", engine="ray")


def test_a_dying_worker_costs_its_shard_not_the_job(ray_cluster):
    def crash_on_request(prompt: Prompt) -> str:
        if "crash" in prompt.messages[0].content:
            import os

            os._exit(1)  # the worker process dies mid-call
        return "1"

    pool = create_engine("ray", engine="mock", workers=2, outputs=crash_on_request)
    try:
        prompts = [
            _prompt(0),
            _prompt(1),
            _prompt(2).model_copy(update={"messages": [Message(role="user", content="crash")]}),
        ]
        prompts += [_prompt(3)]
        gens = pool.generate(prompts, GenerationParams(max_new_tokens=4))
        assert [g.finish_reason for g in gens] == ["stop", "stop", "error", "error"]  # second shard lost
        assert "Ray worker failed" in gens[2].error
        again = pool.generate([_prompt(5), _prompt(6)], GenerationParams(max_new_tokens=4))
        assert [g.text for g in again] == ["1", "1"]  # the worker was restarted
    finally:
        pool.close()
