#!/usr/bin/env bash
# The learning curve and ablations of docs/ablations.md (needs ../shared/data; ~95 min of training and
# ~35 min of evaluation on 2 CPU cores).
#   recipes/experiments.sh train   # the three fixed-budget training runs
#   recipes/experiments.sh eval    # every measurement (both answer orders, fast mode)
set -euo pipefail
cd "$(dirname "$0")/.."
data=../shared/data
exp=runs/exp

# quick_eval MODEL NAME N_PANDALM N_ALPACAEVAL [judge flags...]: PandaLM test and AlpacaEval CoT val heads
quick_eval() {
  local model=$1 name=$2 n_panda=$3 n_alpaca=$4; shift 4
  local out=$exp/eval/$name
  mkdir -p "$out"
  for set in pandalm_test:$n_panda alpacaeval_cot_val:$n_alpaca; do
    local file=${set%%:*} n=${set##*:}
    [ "$n" -gt 0 ] || continue
    rm -f "$out/$file.jsonl"
    /usr/bin/time -f "$name $file: %e s wall" judgeforge judge "$data/$file.jsonl" -o "$out/$file.jsonl" \
      --model "$model" --mode fast --batch-size 16 --limit "$n" "$@"
    judgeforge eval --gold "$data/$file.jsonl" --pred "$out/$file.jsonl" --json > "$out/$file.metrics.json"
  done
}

case ${1:-all} in
  train)
    judgeforge train --config configs/train/experiments/pair-balanced-both.yaml
    judgeforge train --config configs/train/experiments/pair-balanced-noswap.yaml
    judgeforge train --config configs/train/experiments/pointwise-autoj.yaml
    ;;
  eval)
    quick_eval src/judgeforge/resources/judge shipped 200 96 --swap
    quick_eval $exp/pair-balanced-both/final both-final 200 96 --swap
    quick_eval $exp/pair-balanced-noswap/final noswap-final 200 96 --swap
    quick_eval $exp/pointwise-autoj/final pointwise-final 200 96 --pointwise
    quick_eval $exp/pair-balanced-both/checkpoint-60 both-checkpoint-60 200 96 --swap  # same step as noswap
    for step in 15 30 90; do  # the learning curve (the shipped run stopped at 113)
      quick_eval $exp/pair-balanced-both/checkpoint-$step both-checkpoint-$step 200 0 --swap
    done
    ;;
  *) echo "usage: $0 train|eval" >&2; exit 2 ;;
esac
