#!/usr/bin/env bash
# Measure a judge on held-out sets in fast mode (needs ../shared/data).
# Usage: recipes/eval-judge.sh [MODEL] [OUT_DIR] [N_ALPACAEVAL] [N_PANDALM] [N_LLMBAR] [-- JUDGE_FLAGS...]
# Sets with N = 0 are skipped; JUDGE_FLAGS default to --swap (both answer orders).
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-src/judgeforge/resources/judge}
out=${2:-runs/eval}
n_alpaca=${3:-192}
n_panda=${4:-999}
n_llmbar=${5:-200}
shift $(( $# < 5 ? $# : 5 ))
[ "${1:-}" = "--" ] && shift
flags=("$@")
[ ${#flags[@]} -gt 0 ] || flags=(--swap)
data=../shared/data
mkdir -p "$out"
for set in pandalm_test:$n_panda alpacaeval_cot_val:$n_alpaca llmbar_llmeval2:$n_llmbar; do
  name=${set%%:*}; n=${set##*:}
  [ "$n" -gt 0 ] || continue
  rm -f "$out/$name.jsonl"
  /usr/bin/time -f "$name: %e s wall" judgeforge judge "$data/$name.jsonl" -o "$out/$name.jsonl" \
    --model "$model" --mode fast --batch-size 16 --limit "$n" "${flags[@]}"
  judgeforge eval --gold "$data/$name.jsonl" --pred "$out/$name.jsonl" --json > "$out/$name.metrics.json"
  judgeforge eval --gold "$data/$name.jsonl" --pred "$out/$name.jsonl"
done
