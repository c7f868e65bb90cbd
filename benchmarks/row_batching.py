"""Row batching in the reward judge's feature pass: one sample per forward pass vs rows batched.

Times :meth:`FeatureExtractor.features` of the shipped judge on the first N pairs of a file, one row
(one sample) per pass and with rows of similar length batched up to each ``--sizes`` padded tokens
(medians of ``--repeats``, interleaved). docs/benchmarks.md, round 4::

    python benchmarks/row_batching.py ../shared/data/pandalm_test.jsonl --n 40 --threads 2

Whether batching moves verdicts is measured on whole files with the CLI::

    judgeforge judge FILE -o a.jsonl --mode fast
    judgeforge judge FILE -o b.jsonl --mode fast -M row_batch_tokens=1024
"""

from __future__ import annotations

import argparse
import statistics
import time

from judgeforge.data.load import load_samples
from judgeforge.engines.reward_model import Item
from judgeforge.judging.reward import RewardJudge


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input")
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--sizes", default="0,512,1024,2048,4096", help="padded tokens per pass; 0: one row a pass")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    judge = RewardJudge(None, threads=args.threads)
    ext, tok = judge.extractor, judge.tokens
    samples = [s for s in load_samples(args.input) if s.kind == "pair"][: args.n]
    items = [Item(tok.prefix(s)[0], [tok.answer(a)[0] for a in s.answers]) for s in samples]
    ext.features(items[:4])  # warm up
    times: dict[int, list[float]] = {}
    for _ in range(args.repeats):
        for size in map(int, args.sizes.split(",")):
            ext.max_batch_tokens = size
            t0 = time.perf_counter()
            ext.features(items)
            times.setdefault(size, []).append(time.perf_counter() - t0)
    one = statistics.median(times[0]) if 0 in times else None
    for size, ts in times.items():
        speedup = f"{one / statistics.median(ts):.2f}x" if one else ""
        print(f"{size:>6} tokens/pass: median {statistics.median(ts):.2f} s {speedup}")


if __name__ == "__main__":
    main()
