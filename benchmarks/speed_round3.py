"""Speed, round 3: anchors, reward-judge paths, profiles, cold and warm start, in one process each.

Subcommands::

    # model ready, in a fresh process: cold (empty cache) then warm (the cache written by the first)
    JUDGEFORGE_HOME=$(mktemp -d) python benchmarks/speed_round3.py start --model generative
    python benchmarks/speed_round3.py run --input ../shared/data/pandalm_test.jsonl --n 50 --repeats 3

``run`` measures, on the same pairs and the same prompts (``judgeforge-pair``): the JudgeLM-style
per-sample loop, the HF engine's fast mode (one order, both orders), llama.cpp on the SmolLM2 GGUF
file (when ``llama-cpp-python`` is installed), and the reward judge's two feature paths (packed rows
with a block mask, per-answer causal batches) against one causal pass over question + both answers,
the reward judge's own per-answer loop, and the shipped judge end to end (``Judge.from_spec("default")``,
both orders).
Figures are medians of ``--repeats`` runs; ``--profile DIR`` also writes torch profiler tables.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

T_START = time.perf_counter()

import torch  # noqa: E402  (timed from process start)


def cpu_name() -> str:
    out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    return next((line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name")), "?")


def matmul_rate(m: int, k: int, n: int, repeats: int = 5) -> float:
    """bf16 FLOP/s of an (m, k) @ (k, n) matmul, median of ``repeats``."""
    a, b = torch.randn(m, k, dtype=torch.bfloat16), torch.randn(k, n, dtype=torch.bfloat16)
    a @ b
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t0)
    return 2 * m * k * n / statistics.median(times)


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median wall seconds of ``repeats`` calls, and the last call's result."""
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def start(args: argparse.Namespace) -> None:
    """Model ready in this fresh process: import + load, and load alone."""
    t0 = time.perf_counter()
    from judgeforge import Judge

    if args.model == "reward":  # the shipped default judge
        Judge.from_spec("default").load()
    else:
        Judge.from_spec("generative", model=None if args.model == "generative" else args.model).load()
    load = time.perf_counter() - t0
    print(
        json.dumps(
            {"model": args.model, "load_s": round(load, 2), "since_start_s": round(time.perf_counter() - T_START, 2)}
        )
    )


def loop_fast(model: Any, tok: Any, texts: list[str]) -> None:
    """JudgeLM's fast eval: one ``generate`` per sample, stop at the first newline."""
    with torch.inference_mode():
        for text in texts:
            ids = tok(text, return_tensors="pt", add_special_tokens=False).input_ids
            out = model.generate(ids, max_new_tokens=16, do_sample=False, pad_token_id=tok.pad_token_id,
                                 stop_strings=["\n"], tokenizer=tok)  # fmt: skip
            tok.decode(out[0, ids.shape[1] :], skip_special_tokens=True)


def profile_table(fn: Callable[[], Any], path: Path, rows: int = 25) -> float:
    """Run ``fn`` under the torch profiler; write the ops by self CPU time; return the wall seconds."""
    from torch.profiler import ProfilerActivity, profile

    t0 = time.perf_counter()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        fn()
    wall = time.perf_counter() - t0
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=rows, max_name_column_width=60)
    path.write_text(f"wall under the profiler: {wall:.2f} s\n{table}\n")
    return wall


def run(args: argparse.Namespace) -> None:
    from judgeforge import Judge
    from judgeforge.engines.hf import HFEngine, _left_pad
    from judgeforge.judging.run import plan_prompts
    from judgeforge.prompts.render import prompt_text, prompt_token_ids

    if args.threads:
        torch.set_num_threads(args.threads)
    res: dict[str, Any] = {"cpu": cpu_name(), "threads": torch.get_num_threads()}
    res["bf16_peak_2048"] = matmul_rate(2048, 2048, 2048)
    res["bf16_1024x576x1536"] = matmul_rate(1024, 576, 1536)
    prof_dir = Path(args.profile) if args.profile else None
    if prof_dir:
        prof_dir.mkdir(parents=True, exist_ok=True)

    from judgeforge.data.load import load_samples

    samples = [s for s in load_samples(args.input) if s.kind == "pair"][: args.n]
    t0 = time.perf_counter()
    options = {"threads": args.threads} if args.threads else {}
    gen = Judge.from_spec(
        "generative", model=args.model, batch_size=args.batch_size, mode="fast", engine_options=options
    ).load()
    res["hf_load_s"] = time.perf_counter() - t0
    engine = gen.engine
    assert isinstance(engine, HFEngine)
    planned, _ = plan_prompts(samples, engine, gen.config)  # the judge's own prompts (answers cut as it cuts them)
    prompts = [p.prompt for p in planned]
    texts = [prompt_text(p, engine.tokenizer) for p in prompts]
    ids = prompt_token_ids(prompts, engine.tokenizer)
    res |= {"n": len(samples), "mean_prompt_tokens": statistics.mean(len(i) for i in ids)}

    def judge(swap: bool, on: Any = engine) -> Any:
        return Judge.from_spec(gen.spec, engine_instance=on, mode="fast", swap=swap).judge(samples)

    judge(False)  # warm up
    res["ours_fast_s"], hf_verdicts = timed(lambda: judge(False), args.repeats)
    res["ours_fast_swap_s"], _ = timed(lambda: judge(True), args.repeats)
    t0 = time.perf_counter()
    prompt_token_ids(prompts, engine.tokenizer)
    res["tokenize_s"] = time.perf_counter() - t0

    def direct() -> int:  # the engine's batches through one forward each, no generate()
        n = 0
        with torch.inference_mode():
            for idx in engine._batches([len(i) for i in ids]):
                enc = _left_pad([ids[i] for i in idx], engine.tokenizer.pad_token_id, "cpu")
                engine.model(**enc, logits_to_keep=1)
                n += sum(len(ids[i]) for i in idx)
        return n

    res["direct_forward_s"], n_tokens = timed(direct, args.repeats)
    cfg = engine.model.config
    weights = sum(p.numel() for n, p in engine.model.named_parameters() if "embed" not in n and "lm_head" not in n)
    flops = 2 * weights + 4 * cfg.num_hidden_layers * cfg.hidden_size * res["mean_prompt_tokens"] / 2
    res["prefill_tokens_per_s"] = n_tokens / res["direct_forward_s"]
    res["prefill_utilisation"] = res["prefill_tokens_per_s"] * flops / res["bf16_peak_2048"]
    res["loop_fast_s"], _ = timed(lambda: loop_fast(engine.model, engine.tokenizer, texts), args.loop_repeats)
    if prof_dir:
        res["profile_fast_wall_s"] = profile_table(lambda: judge(False), prof_dir / "generative_fast.txt")

    from judgeforge.engines.llama_cpp import LlamaCppEngine, gguf_path
    from judgeforge.errors import EngineError

    t0 = time.perf_counter()
    try:
        if args.skip_llama_cpp:  # a build that crashes (llama.cpp's AMX kernels segfaulted here) takes the process down
            raise EngineError("skipped (--skip-llama-cpp)")
        llama = LlamaCppEngine(str(gguf_path(args.model)), args.threads, max_prompt_tokens=gen.prompt_budget())
    except EngineError as e:  # llama-cpp-python is not installed
        res["llama_cpp"] = f"not available: {e}"
    else:
        res["llama_cpp_load_s"] = time.perf_counter() - t0
        judge(False, llama)  # warm up
        res["llama_cpp_fast_s"], ll_verdicts = timed(lambda: judge(False, llama), args.repeats)
        res["llama_cpp_fast_swap_s"], _ = timed(lambda: judge(True, llama), args.repeats)
        pairs = [(a, b) for a, b in zip(hf_verdicts, ll_verdicts) if a.probs and b.probs]
        res["llama_cpp_same_label"] = sum(a.label == b.label for a, b in pairs) / max(len(pairs), 1)
        diffs = [abs(a.probs[k] - b.probs[k]) for a, b in pairs for k in a.probs]
        res["llama_cpp_max_prob_diff"] = max(diffs, default=0.0)
        res["llama_cpp_speedup_vs_ours"] = res["ours_fast_s"] / res["llama_cpp_fast_s"]
        res["llama_cpp_both_orders_cost"] = res["llama_cpp_fast_swap_s"] / res["llama_cpp_fast_s"]
        llama.close()

    _reward(args, samples, res, prof_dir)
    res["speedup_fast_vs_loop"] = res["loop_fast_s"] / res["ours_fast_s"]
    res["speedup_shipped_vs_loop"] = res["loop_fast_s"] / res["shipped_judge_s"]
    res["speedup_shipped_vs_reward_loop"] = res["reward_loop_s"] / res["shipped_judge_s"]
    res["shipped_vs_one_pass"] = res["shipped_judge_s"] / res["reward_one_pass_s"]
    res["speedup_shipped_rows_batched_vs_loop"] = res["loop_fast_s"] / res["shipped_judge_rows_batched_s"]
    res["shipped_rows_batched_vs_one_pass"] = res["shipped_judge_rows_batched_s"] / res["reward_one_pass_s"]
    res["both_orders_cost"] = res["ours_fast_swap_s"] / res["ours_fast_s"]
    res["generate_overhead"] = res["ours_fast_s"] / res["direct_forward_s"]
    for k, v in res.items():
        print(f"{k:>32}: {v:,.4g}" if isinstance(v, float) else f"{k:>32}: {v}")
    import resource

    print(f"{'peak_rss_gb':>32}: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2, default=str))


def _reward(args: argparse.Namespace, samples: list[Any], res: dict[str, Any], prof_dir: Path | None) -> None:
    """The reward judge's feature paths on the same pairs, and one causal pass as the yardstick."""
    from judgeforge import Judge
    from judgeforge.defaults import reward_judge_folder
    from judgeforge.engines.reward_model import (
        FeatureSpec,
        Item,
        RewardHead,
        RewardJudgeInfo,
        save_reward_judge,
        with_answer_length,
    )
    from judgeforge.judging.reward import RewardJudge

    folder = reward_judge_folder(args.reward_judge)
    if args.reward_base:  # a random head on another base model (speed does not depend on the head)
        folder = Path(tempfile.mkdtemp()) / "random-head"
        info = RewardJudgeInfo(base_model=args.reward_base, spec=FeatureSpec(mean_layers=(1, 2), last_layers=(2,)))
        hidden = int(json.loads((Path(args.reward_base) / "config.json").read_text())["hidden_size"])
        torch.manual_seed(0)
        save_reward_judge(folder, RewardHead(info.spec.size(hidden), info.hidden, dropout=0.0), info)
    judge = RewardJudge(folder, device="cpu", threads=args.threads)
    ext, tok = judge.extractor, judge.tokens
    items = [Item(tok.prefix(s)[0], [tok.answer(a)[0] for a in s.answers]) for s in samples]
    res["reward_prefix_tokens"] = sum(len(i.prefix) for i in items)
    res["reward_answer_tokens"] = sum(len(a) for i in items for a in i.answers)
    ext.features(items[:2])
    for rows in (1, 1024):  # 1: every item in a row of its own
        ext.max_row_tokens = rows
        res[f"reward_packed_{rows}_s"], packed = timed(lambda: ext.features(items), args.repeats)
    for batch in (4096,):
        res[f"reward_sequence_{batch}_s"], seq = timed(lambda b=batch: ext.sequence_features(items, b), args.repeats)
    ext.max_row_tokens = 1024
    res["reward_paths_max_abs_diff"] = max(float((p - s).abs().max()) for p, s in zip(packed, seq))

    def one_pass() -> None:  # question + both answers as one causal sequence, same layers, no pooling
        whole = sorted((i.prefix + i.answers[0] + i.answers[1] for i in items), key=len, reverse=True)
        k = 0
        while k < len(whole):
            width = len(whole[k])
            batch = whole[k : k + max(1, 4096 // width)]
            x = torch.zeros((len(batch), width), dtype=torch.long)
            for r, seq in enumerate(batch):
                x[r, : len(seq)] = torch.tensor(seq)
            ext._states(x, torch.arange(width)[None].expand(len(batch), -1), None)
            k += len(batch)

    res["reward_one_pass_s"], _ = timed(one_pass, args.repeats)

    def answer_loop() -> None:  # JudgeLM's per-sample pattern on the reward judge: one forward per answer
        for item in items:
            for answer in item.answers:
                features = ext.sequence_features([Item(item.prefix, [answer])])[0]
                judge.head(with_answer_length(features, [len(answer)]) if judge.info.spec.answer_length else features)

    res["reward_loop_s"], _ = timed(answer_loop, args.loop_repeats)
    ext.max_row_tokens = 0
    res["reward_packed_0_s"], _ = timed(lambda: ext.features(items), args.repeats)
    top = judge.info.spec.top
    weights = sum(p.numel() for layer in ext.backbone.layers[:top] for p in layer.parameters())
    n_tokens = res["reward_prefix_tokens"] + res["reward_answer_tokens"]
    mean_len = n_tokens / max(2 * len(items), 1)  # attention: an answer sees its question and itself
    flops = 2 * weights + 4 * top * ext.hidden * mean_len / 2
    res["reward_tokens_per_s"] = n_tokens / res["reward_packed_0_s"]
    res["reward_utilisation"] = res["reward_tokens_per_s"] * flops / res["bf16_peak_2048"]
    # the shipped judge as users run it: Judge.from_spec("default"), fast mode, both orders
    options = {"threads": args.threads} if args.threads else {}
    shipped = Judge.from_spec("default", mode="fast", swap=True, engine_options=options).load()
    shipped.judge(samples[:2])
    res["shipped_judge_s"], _ = timed(lambda: shipped.judge(samples), args.repeats)
    shipped.close()
    batched = Judge.from_spec(  # rows of similar length batched (-M row_batch_tokens=1024)
        "default", mode="fast", swap=True, engine_options=options | {"row_batch_tokens": 1024}
    ).load()
    batched.judge(samples[:2])
    res["shipped_judge_rows_batched_s"], _ = timed(lambda: batched.judge(samples), args.repeats)
    batched.close()
    from judgeforge.judging.run import JudgeConfig

    config = JudgeConfig(mode="fast", swap=True)
    for packed_path in (True, False):
        judge.packed = packed_path
        key = "reward_judge_packed_s" if packed_path else "reward_judge_sequence_s"
        res[key], _ = timed(lambda: judge.judge(samples, config), args.repeats)
        res[key[:-2] + "_vs_one_pass"] = res[key] / res["reward_one_pass_s"]
    if prof_dir:
        res["profile_reward_packed_wall_s"] = profile_table(lambda: ext.features(items), prof_dir / "reward_packed.txt")
        res["profile_reward_sequence_wall_s"] = profile_table(
            lambda: ext.sequence_features(items), prof_dir / "reward_sequence.txt"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("start", help="time model ready in this process")
    s.add_argument(
        "--model",
        default="generative",
        help="generative (the shipped LoRA judge), smollm2, reward (its backbone), or a path",
    )
    r = sub.add_parser("run", help="the one-process comparison")
    r.add_argument("--input", required=True)
    r.add_argument("--n", type=int, default=50)
    r.add_argument("--model", default="smollm2", help="the generative judge's model (llama.cpp runs the GGUF)")
    r.add_argument("--batch-size", type=int, default=16)
    r.add_argument("--repeats", type=int, default=3)
    r.add_argument("--loop-repeats", type=int, default=1)
    r.add_argument("--reward-judge", default=None, help="a trained reward judge; default the shipped one")
    r.add_argument("--reward-base", default=None, help="smoke tests: a random head on this small HF model")
    r.add_argument("--profile", default=None, help="write torch profiler tables into this folder")
    r.add_argument("--threads", type=int, default=None, help="CPU threads for every engine; default all cores")
    r.add_argument("--json", default=None)
    r.add_argument("--skip-llama-cpp", action="store_true", help="do not run the llama.cpp anchor")
    args = ap.parse_args()
    start(args) if args.cmd == "start" else run(args)


if __name__ == "__main__":
    main()
