#!/usr/bin/env bash
# The learning curve and ablations of docs/ablations.md (needs ../shared/data; ~95 min of training and
# ~35 min of evaluation on 2 CPU cores).
#   recipes/experiments.sh train   # the three fixed-budget training runs
#   recipes/experiments.sh eval    # every measurement (first 200 PandaLM / 96 AlpacaEval val pairs)
set -euo pipefail
cd "$(dirname "$0")/.."
exp=runs/exp

# quick_eval MODEL NAME N_PANDALM N_ALPACAEVAL [judge flags...]
quick_eval() {
  local model=$1 name=$2 n_panda=$3 n_alpaca=$4; shift 4
  recipes/eval-judge.sh "$model" "$exp/eval/$name" "$n_alpaca" "$n_panda" 0 -- "$@"
}

case ${1:-} in
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
