#!/usr/bin/env bash
# Trains the shipped objectness model models/geoscout-objectness again, in one command:
#   pipeline/train/train-objectness.sh
# Steps: Python set-up → training patches from synthetic scenes (two shards in parallel,
# seeds 50000–50017 and 50100–50117, GSD 0.3–1.0 m, wind turbines masked out) → training for a
# wall-clock budget → ONNX export with onnxruntime parity check + manifest.
# Env: MINUTES (training budget, default 26), GEOSCOUT_TRAIN_DIR (work folder, default
#      .geoscout/train), MODEL_VERSION (default 1.0.0), OUT (default models/geoscout-objectness),
#      GEOSCOUT_TORCH_THREADS (default 1: fastest on a shared 2-core machine).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
WORK="${GEOSCOUT_TRAIN_DIR:-$REPO/.geoscout/train}"
OUT="${OUT:-$REPO/models/geoscout-objectness}"
PY="$REPO/.venv-train/bin/python"
export OPENBLAS_NUM_THREADS=1 GEOSCOUT_TORCH_THREADS="${GEOSCOUT_TORCH_THREADS:-1}"
cd "$REPO"

bash "$HERE/setup.sh"
make_shard() {  # seed base, validation scenes
  local dir="$WORK/objectness-data-$1"
  [ -s "$dir/meta.json" ] && return 0
  node --import tsx pipeline/detect/train/make-objectness-data.ts --out "$dir" --scenes 18 --per-scene 45 \
    --seed-base "$1" --val-scenes "$2"
}
make_shard 50000 0 & a=$!
make_shard 50100 3 & b=$!
wait $a && wait $b
DATA=("$WORK/objectness-data-50000" "$WORK/objectness-data-50100")
"$PY" -m geoscout_train.objectness_train --data "${DATA[@]}" --out "$WORK/objectness-run" --minutes "${MINUTES:-26}"
rm -rf "$OUT.new" && mkdir -p "$OUT.new"
"$PY" -m geoscout_train.objectness_train --export "$WORK/objectness-run/last.pt" --model-dir "$OUT.new" \
  --data "${DATA[@]}" --version "${MODEL_VERSION:-1.0.0}"
[ -f "$OUT/MODEL_CARD.md" ] && cp "$OUT/MODEL_CARD.md" "$OUT.new/"
rm -rf "$OUT" && mv "$OUT.new" "$OUT"
echo "[objectness] model in $OUT; measure it with: npm run bench:proposals"
