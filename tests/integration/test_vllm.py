"""vLLM engine: the model export runs anywhere; generation needs vLLM and a GPU (marked ``gpu``)."""

from __future__ import annotations

import pytest
import torch

from judgeforge.engines.base import GenerationParams
from judgeforge.prompts import get_template, render_prompt
from judgeforge.records import JudgeSample

SAMPLES = [JudgeSample(id=str(i), question=f"Question {i}?", answers=[f"yes {i}", "no"]) for i in range(6)]


@pytest.fixture
def adapter_dir(tiny_model_dir, tmp_path):
    """A LoRA adapter with non-zero weights on the tiny model."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    model = get_peft_model(base, LoraConfig(r=4, target_modules="all-linear", init_lora_weights=False))
    model.peft_config["default"].base_model_name_or_path = str(tiny_model_dir)
    model.save_pretrained(tmp_path / "adapter")
    return tmp_path / "adapter"


def test_adapters_are_exported_merged_for_vllm(adapter_dir, tiny_model_dir, tmp_path, monkeypatch):
    from transformers import AutoModelForCausalLM

    from judgeforge.engines.hf import load_model
    from judgeforge.engines.vllm import hf_folder

    monkeypatch.setenv("JUDGEFORGE_HOME", str(tmp_path / "home"))
    assert hf_folder(str(tiny_model_dir)) == str(tiny_model_dir)  # plain HF folders are used as they are
    exported = hf_folder(str(adapter_dir))
    assert hf_folder(str(adapter_dir)) == exported  # cached
    merged, tokenizer = load_model(str(adapter_dir), dtype=torch.float32)
    reloaded = AutoModelForCausalLM.from_pretrained(exported, dtype=torch.float32)
    ids = tokenizer("Which answer is better?", return_tensors="pt").input_ids
    with torch.no_grad():
        expected, got = merged(ids).logits, reloaded(ids).logits
    assert torch.allclose(expected, got, atol=5e-2 * expected.abs().max().item())  # bf16 export
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    with torch.no_grad():
        assert not torch.allclose(base(ids).logits, got, atol=1e-3)  # the adapter is in the export


@pytest.mark.gpu
def test_vllm_matches_the_hf_engine_on_gpu(tiny_model_dir):
    pytest.importorskip("vllm")
    from judgeforge.engines.hf import HFEngine
    from judgeforge.engines.vllm import VLLMEngine

    prompts = [render_prompt(s, get_template("judgeforge-pair")) for s in SAMPLES]
    params = GenerationParams(max_new_tokens=6, top_logprobs=5)
    vllm_gens = VLLMEngine(str(tiny_model_dir), gpu_memory_utilization=0.3, dtype="float32").generate(prompts, params)
    hf_gens = HFEngine(str(tiny_model_dir), dtype="float32").generate(prompts, params)
    assert [g.sample_id for g in vllm_gens] == [s.id for s in SAMPLES]
    for v, h in zip(vllm_gens, hf_gens):
        assert v.num_prompt_tokens == h.num_prompt_tokens
        top_v = max(v.first_token_logprobs, key=v.first_token_logprobs.get)
        top_h = max(h.first_token_logprobs, key=h.first_token_logprobs.get)
        assert top_v == top_h
