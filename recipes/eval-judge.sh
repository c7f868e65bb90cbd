#!/usr/bin/env bash
# Measure a judge in both answer orders on held-out sets (needs ../shared/data).
# Usage: recipes/eval-judge.sh [MODEL] [OUT_DIR] [LIMIT_ALPACAEVAL]
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-src/judgeforge/resources/judge}
out=${2:-runs/eval}
limit=${3:-192}
data=../shared/data
mkdir -p "$out"
for set in pandalm_test:999 alpacaeval_cot_val:$limit llmbar_llmeval2:200; do
  name=${set%%:*}; n=${set##*:}
  rm -f "$out/$name.jsonl"
  /usr/bin/time -f "$name: %e s wall" judgeforge judge "$data/$name.jsonl" -o "$out/$name.jsonl" \
    --model "$model" --swap --mode fast --batch-size 16 --limit "$n"
  judgeforge eval --gold "$data/$name.jsonl" --pred "$out/$name.jsonl" --json > "$out/$name.metrics.json"
  judgeforge eval --gold "$data/$name.jsonl" --pred "$out/$name.jsonl"
done
