#!/usr/bin/env bash
# Trains the shipped model models/geoscout-mini again, from scratch, in one command:
#   pipeline/train/train-geoscout-mini.sh
# Steps: Python set-up → synthetic chip dataset (48 training seeds, 8 held-out seeds,
# GSD 0.3–1.0 m, wind turbines left out of training) → CLIP training (resumable: run it
# again after an interruption) → held-out evaluation → ONNX export with parity check.
# Env: EPOCHS (default 16), GEOSCOUT_TRAIN_DIR (work folder, default .geoscout/train),
#      MODEL_VERSION (default 1.0.0), OUT (default models/geoscout-mini).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
WORK="${GEOSCOUT_TRAIN_DIR:-$REPO/.geoscout/train}"
EPOCHS="${EPOCHS:-16}"
VERSION="${MODEL_VERSION:-1.0.0}"
OUT="${OUT:-$REPO/models/geoscout-mini}"
PY="$REPO/.venv-train/bin/python"
cd "$REPO"

bash "$HERE/setup.sh"
if [ ! -s "$WORK/mini-data/val.jsonl" ]; then
  node bin/geoscout.js synth dataset --out "$WORK/mini-data" --train-seeds 1000-1047 --val-seeds 9000-9007 \
    --gsd 0.3,1.0 --chips 96,192 --max-per-type 6 --exclude wind_turbine
fi
resume=()
[ -f "$WORK/mini-run/last.pt" ] && resume=(--resume)
"$PY" -m geoscout_train.train --manifest "$WORK/mini-data/train.jsonl" --val-manifest "$WORK/mini-data/val.jsonl" \
  --config mini --out "$WORK/mini-run" --epochs "$EPOCHS" --batch-size 128 --lr 5e-4 "${resume[@]}"
"$PY" -m geoscout_train.evaluate --checkpoint "$WORK/mini-run/last.pt" --manifest "$WORK/mini-data/val.jsonl" \
  --subset all --out "$WORK/mini-eval.json" | tee "$WORK/mini-eval.md"
rm -rf "$OUT.new" && mkdir -p "$OUT.new"
"$PY" -m geoscout_train.export_onnx --checkpoint "$WORK/mini-run/last.pt" --out "$OUT.new" --id geoscout-mini \
  --version "$VERSION" --eval-json "$WORK/mini-eval.json"
{ printf '\n## Held-out evaluation (seeds 9000–9007, never trained on)\n\n'; cat "$WORK/mini-eval.md"; cat "$HERE/geoscout-mini-card.md"; } >> "$OUT.new/MODEL_CARD.md"
# Lineage and card name repo-relative paths, not this machine's.
sed -i "s#$REPO/##g" "$OUT.new/geoscout-model.json" "$OUT.new/MODEL_CARD.md"
# Slim PyTorch weights (no optimiser state) so `npm run bench:encode` can run the same
# model in plain PyTorch; loadable with geoscout_train.checkpoint.load_model.
"$PY" - "$WORK/mini-run/last.pt" "$OUT.new/weights.pt" <<'PY'
import sys, torch
ck = torch.load(sys.argv[1], map_location="cpu")
torch.save({k: ck[k] for k in ("format", "config", "model", "tokenizer_json")}, sys.argv[2])
PY
rm -rf "$OUT" && mv "$OUT.new" "$OUT"
echo "exported $OUT"
