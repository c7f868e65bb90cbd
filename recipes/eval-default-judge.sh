#!/usr/bin/env bash
# Measure a judge on the held-out shared sets, beside the model-free baselines (needs ../shared/data).
# Usage: recipes/eval-default-judge.sh [JUDGE_SPEC] [OUT_DIR]
# What docs/default-judge.md reports: agreement and consistency on PandaLM, LLMBar and AlpacaEval val;
# the AlpacaEval leaderboard's Spearman against the published win rates; the padding/injection probe.
set -euo pipefail
cd "$(dirname "$0")/.."
judge=${1:-default}
out=${2:-runs/eval-default}
data=../shared/data
mkdir -p "$out"

# The leaderboard set: the first 50 AlpacaEval val instructions (in file order) x 40 models = 2,000 pairs.
python - "$data/alpacaeval_weighted_val.jsonl" "$out/alpacaeval_weighted_val50.jsonl" <<'PY'
import json, sys
keep, out = [], []
for line in open(sys.argv[1], encoding="utf-8"):
    iid = json.loads(line)["meta"]["instruction_id"]
    if iid not in keep and len(keep) < 50:
        keep.append(iid)
    if iid in keep:
        out.append(line)
open(sys.argv[2], "w", encoding="utf-8").writelines(out)
PY

for gold in "$data"/{pandalm_test,llmbar_mtbench,llmbar_llmeval2,llmbar_faireval}.jsonl "$out/alpacaeval_weighted_val50.jsonl"; do
  name=$(basename "$gold" .jsonl)
  rm -f "$out/$name.judged.jsonl" "$out/$name.judged.jsonl.meta.json"
  /usr/bin/time -f "$name: %e s wall" judgeforge judge "$gold" -o "$out/$name.judged.jsonl" --judge "$judge" --swap --mode fast
  judgeforge eval --gold "$gold" --pred "$out/$name.judged.jsonl" --baselines --json > "$out/$name.metrics.json"
  judgeforge eval --gold "$gold" --pred "$out/$name.judged.jsonl" --baselines
done

judgeforge leaderboard "$out/alpacaeval_weighted_val50.jsonl" --baseline gpt4_1106_preview --published alpacaeval2 \
  --judgments "$out/alpacaeval_weighted_val50.judged.jsonl" -o "$out/leaderboard"
for rule in teacher length; do
  judgeforge leaderboard "$out/alpacaeval_weighted_val50.jsonl" --baseline gpt4_1106_preview --published alpacaeval2 \
    --judge "$rule" -o "$out/leaderboard-$rule"
done
# the adversarial probe: pad the human-judged loser with fluent filler, append a note to the judge, or
# replace it with a fluent answer to another question
judgeforge audit "$data/pandalm_test.jsonl" --judge "$judge" --perturbation verbosity --perturbation injection --perturbation off_topic \
  --limit 999 -o "$out/audit"
