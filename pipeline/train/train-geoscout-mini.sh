#!/usr/bin/env bash
# Trains the shipped model models/geoscout-mini again, from scratch, in one command:
#   pipeline/train/train-geoscout-mini.sh
# Steps: Python set-up → synthetic chip dataset (48 training seeds, 8 held-out seeds,
# GSD 0.3–1.0 m, wind turbines left out of training) → CLIP training (resumable: run it
# again after an interruption) → fine-tune on that set plus 48 more seeds with 4 ships on
# land and 4 aircraft on roads each → fine-tune again with 1,536 more chips of ships on land
# (1.1.0; in 1.0.0 the ~90 out-of-context ship chips were too few, and fishing vessels on
# grass read as houses) → held-out evaluation → ONNX export with parity check.
# Env: EPOCHS (default 16), ODD_EPOCHS (each fine-tune, default 6), GEOSCOUT_TRAIN_DIR (work folder,
#      default .geoscout/train), MODEL_VERSION (default 1.1.0), OUT (default models/geoscout-mini).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
WORK="${GEOSCOUT_TRAIN_DIR:-$REPO/.geoscout/train}"
EPOCHS="${EPOCHS:-16}"
ODD_EPOCHS="${ODD_EPOCHS:-6}"
VERSION="${MODEL_VERSION:-1.1.0}"
OUT="${OUT:-$REPO/models/geoscout-mini}"
PY="$REPO/.venv-train/bin/python"
cd "$REPO"

# merge_manifest BASE EXTRA OUT [CLASS]: BASE's rows plus EXTRA's (only its out-of-context
# CLASS rows when CLASS is given); image paths stay relative to OUT's folder.
merge_manifest() {
  "$PY" - "$@" <<'PY'
import json, os, sys
base, extra, out = sys.argv[1:4]
cls = sys.argv[4] if len(sys.argv) > 4 else None
rel = os.path.relpath(os.path.dirname(extra), os.path.dirname(out))
with open(out, "w", encoding="utf-8") as f:
    f.writelines(open(base, encoding="utf-8"))
    for line in open(extra, encoding="utf-8"):
        row = json.loads(line)
        if cls is None or (row.get("out_of_context") and row["class"] == cls):
            row["image"] = os.path.join(rel, row["image"])
            f.write(json.dumps(row) + "\n")
PY
}

bash "$HERE/setup.sh"
if [ ! -s "$WORK/mini-data/val.jsonl" ]; then
  node bin/geoscout.js synth dataset --out "$WORK/mini-data" --train-seeds 1000-1047 --val-seeds 9000-9007 \
    --gsd 0.3,1.0 --chips 96,192 --max-per-type 6 --exclude wind_turbine
fi
resume=()
[ -f "$WORK/mini-run/last.pt" ] && resume=(--resume)
"$PY" -m geoscout_train.train --manifest "$WORK/mini-data/train.jsonl" --val-manifest "$WORK/mini-data/val.jsonl" \
  --config mini --out "$WORK/mini-run" --epochs "$EPOCHS" --batch-size 128 --lr 5e-4 "${resume[@]}"
if [ ! -s "$WORK/odd-data/train.jsonl" ]; then
  node bin/geoscout.js synth dataset --out "$WORK/odd-data" --train-seeds 1100-1147 --val-seeds 9000-9000 \
    --gsd 0.3,1.0 --chips 96,192 --max-per-type 6 --exclude wind_turbine --out-of-context 4
fi
merge_manifest "$WORK/mini-data/train.jsonl" "$WORK/odd-data/train.jsonl" "$WORK/mini-data/train-odd.jsonl"
resume=()
[ -f "$WORK/odd-run1/last.pt" ] && resume=(--resume)
"$PY" -m geoscout_train.train --manifest "$WORK/mini-data/train-odd.jsonl" --val-manifest "$WORK/mini-data/val.jsonl" \
  --config mini --out "$WORK/odd-run1" --epochs "$ODD_EPOCHS" --batch-size 128 --lr 1e-4 \
  --init-from "$WORK/mini-run/last.pt" "${resume[@]}"
# Stage 3: more ships on land only (more aircraft on roads made buses read as aircraft).
if [ ! -s "$WORK/odd8-data/train.jsonl" ]; then
  node bin/geoscout.js synth dataset --out "$WORK/odd8-data" --train-seeds 1200-1295 --val-seeds 9000-9000 \
    --gsd 0.3,1.0 --chips 96,192 --max-per-type 6 --exclude wind_turbine --out-of-context 8
fi
merge_manifest "$WORK/mini-data/train-odd.jsonl" "$WORK/odd8-data/train.jsonl" "$WORK/mini-data/train-odd8s.jsonl" ship
resume=()
[ -f "$WORK/odd-run3/last.pt" ] && resume=(--resume)
"$PY" -m geoscout_train.train --manifest "$WORK/mini-data/train-odd8s.jsonl" --val-manifest "$WORK/mini-data/val.jsonl" \
  --config mini --out "$WORK/odd-run3" --epochs "$ODD_EPOCHS" --batch-size 128 --lr 1e-4 \
  --init-from "$WORK/odd-run1/last.pt" "${resume[@]}"
"$PY" -m geoscout_train.evaluate --checkpoint "$WORK/odd-run3/last.pt" --manifest "$WORK/mini-data/val.jsonl" \
  --subset all --out "$WORK/mini-eval.json" | tee "$WORK/mini-eval.md"
rm -rf "$OUT.new" && mkdir -p "$OUT.new"
"$PY" -m geoscout_train.export_onnx --checkpoint "$WORK/odd-run3/last.pt" --out "$OUT.new" --id geoscout-mini \
  --version "$VERSION" --eval-json "$WORK/mini-eval.json"
{ printf '\n## Held-out evaluation (seeds 9000–9007, never trained on)\n\n'; cat "$WORK/mini-eval.md"; cat "$HERE/geoscout-mini-card.md"; } >> "$OUT.new/MODEL_CARD.md"
# Lineage and card name repo-relative paths, not this machine's.
sed -i "s#$REPO/##g" "$OUT.new/geoscout-model.json" "$OUT.new/MODEL_CARD.md"
# Slim PyTorch weights (no optimiser state) so `npm run bench:encode` can run the same
# model in plain PyTorch; loadable with geoscout_train.checkpoint.load_model.
"$PY" - "$WORK/odd-run3/last.pt" "$OUT.new/weights.pt" <<'PY'
import sys, torch
ck = torch.load(sys.argv[1], map_location="cpu")
torch.save({k: ck[k] for k in ("format", "config", "model", "tokenizer_json")}, sys.argv[2])
PY
rm -rf "$OUT" && mv "$OUT.new" "$OUT"
echo "exported $OUT"
