#!/usr/bin/env bash
# Benchmark report, AlpacaEval leaderboard and bias audit of a judge (default: the shipped one),
# then copy the reports (not the judgments) into docs/benchmark-report/. Needs ../shared/data.
# Usage: recipes/bench-default-judge.sh [JUDGE_SPEC] [WORK_DIR] [-- EXTRA_BENCH_FLAGS...]
# Judgments are cached in WORK_DIR: a rerun only judges what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
judge=${1:-default}
work=${2:-runs/bench-default-judge}
shift $(( $# < 2 ? $# : 2 ))
[ "${1:-}" = "--" ] && shift
data=../shared/data
docs=docs/benchmark-report
# every held-out pairwise file (the *_train files are the judge's training data)
files=(pandalm_test judgebench_gpt4o judgebench_claude llmbar_mtbench llmbar_faireval llmbar_llmeval2
       prometheus_vicuna_pairs alpacaeval_cot_val alpacaeval_weighted_val)
paths=("${files[@]/#/$data/}")
judgeforge bench "${paths[@]/%/.jsonl}" --judge "$judge" --mode fast --batch-size 16 -o "$work/bench" \
  --escalate-to teacher --escalate-below 0.7 "$@"
# the leaderboard reuses the both-orders judgments of alpacaeval_weighted_val from the bench run
judgeforge leaderboard "$data/alpacaeval_weighted_val.jsonl" --baseline gpt4_1106_preview --published alpacaeval2 \
  --judgments "$work/bench/alpacaeval_weighted_val/judgments.jsonl" -o "$work/leaderboard"
# prometheus_vicuna_pairs has reference answers, so all five perturbations apply
judgeforge audit "$data/prometheus_vicuna_pairs.jsonl" --judge "$judge" --mode fast --batch-size 16 --limit 200 \
  -o "$work/audit"
mkdir -p "$docs/default-judge"
cp "$work/bench/summary.md" "$docs/default-judge/"
for name in "${files[@]}"; do
  mkdir -p "$docs/default-judge/$name"
  cp "$work/bench/$name"/report.{md,json} "$work/bench/$name"/*.png "$docs/default-judge/$name/"
done
mkdir -p "$docs/leaderboard-default-judge" "$docs/audit-default-judge"
cp "$work/leaderboard"/leaderboard.{md,json} "$work/leaderboard"/*.png "$docs/leaderboard-default-judge/"
cp "$work/audit"/audit.{md,json} "$work/audit"/*.png "$docs/audit-default-judge/"
