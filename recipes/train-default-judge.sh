#!/usr/bin/env bash
# Train the default judge (needs ../shared/data, the training splits only) and copy it into the package.
# About 50 minutes on a 2-core CPU; see docs/default-judge.md for the measured run.
set -euo pipefail
cd "$(dirname "$0")/.."
judgeforge train --config configs/train/default-judge.yaml "$@"
rm -rf src/judgeforge/resources/judge
mkdir -p src/judgeforge/resources/judge
cp runs/default-judge/final/{adapter_config.json,adapter_model.safetensors,judgeforge_train.json} src/judgeforge/resources/judge/
