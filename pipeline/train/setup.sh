#!/usr/bin/env bash
# Set up the Python training environment for pipeline/train (idempotent).
#
# Base: Debian's CPU build of PyTorch 1.13 (apt) — PyPI's `torch` wheel would pull
# several GB of CUDA libraries, so it must never be installed here. A venv with
# --system-site-packages sees the apt packages; pip adds only what Debian lacks, pinned,
# and open-clip-torch goes in with --no-deps so it cannot drag PyPI torch in.
#
# Usage: pipeline/train/setup.sh        (env: GEOSCOUT_VENV to override the venv path)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="${GEOSCOUT_VENV:-$REPO/.venv-train}"
PY=/usr/bin/python3
start=$(date +%s)
say() { echo "[setup] $*"; }

# --- 1. Debian packages -------------------------------------------------------------
# python3-torchvision only because open_clip imports it (no ffmpeg stack thanks to
# --no-install-recommends); wamerican gives the English word list the BPE trainer mixes
# in so unseen words split into sub-words.
APT_PKGS=(python3-torch python3-torchvision python3-numpy python3-onnx python3-pil
          libopenblas0-pthread python3-venv wamerican)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  say "apt packages missing: ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    say "not root: run 'sudo apt-get install -y --no-install-recommends ${missing[*]}' and re-run"; exit 1
  fi
  say "apt-get update + install (this takes ~1 min the first time)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "apt packages present: ${APT_PKGS[*]}"
fi

# --- 2. venv ------------------------------------------------------------------------
if [[ ! -x "$VENV/bin/python" ]]; then
  say "creating venv $VENV (--system-site-packages, base $PY)"
  "$PY" -m venv --system-site-packages "$VENV"
else
  say "venv exists: $VENV"
fi
# The repo's .gitignore does not list .venv-train: a '*' .gitignore inside keeps it out.
[[ -f "$VENV/.gitignore" ]] || echo '*' > "$VENV/.gitignore"

# --- 3. pip: only what Debian lacks, pinned -----------------------------------------
# onnxruntime 1.23.2: newest that accepts Debian's protobuf 4.21 (1.30+ wants >=4.25.8,
# which would shadow the protobuf python3-onnx 1.12 was built for).
# open-clip-torch 2.32.0: newest that declares torch>=1.9 (3.x requires torch>=2.0).
PIP_PINS=(tokenizers==0.22.1 onnxruntime==1.23.2 pytest==8.4.2 ftfy==6.3.1
          regex==2026.11.15 tqdm==4.70.1 safetensors==0.8.0)
NODEPS_PINS=(open-clip-torch==2.32.0)
want() {  # true when the venv lacks the exact pinned version
  local name="${1%%==*}" ver="${1##*==}"
  [[ "$("$VENV/bin/python" -m pip show "$name" 2>/dev/null | awk '/^Version:/{print $2}')" != "$ver" ]]
}
need=(); for p in "${PIP_PINS[@]}"; do want "$p" && need+=("$p"); done
nodeps=(); for p in "${NODEPS_PINS[@]}"; do want "$p" && nodeps+=("$p"); done
# constraints.txt pins the transitive dependencies (huggingface_hub, httpx, ...) as verified.
PIP=("$VENV/bin/python" -m pip install --disable-pip-version-check -q -c "$HERE/constraints.txt")
if ((${#need[@]})); then say "pip install ${need[*]}"; "${PIP[@]}" "${need[@]}"; fi
if ((${#nodeps[@]})); then say "pip install --no-deps ${nodeps[*]}"; "${PIP[@]}" --no-deps "${nodeps[@]}"; fi
((${#need[@]} + ${#nodeps[@]})) || say "pip packages present: ${PIP_PINS[*]} ${NODEPS_PINS[*]}"

# --- 4. make `python -m geoscout_train.*` importable from anywhere --------------------
SITE="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
echo "$HERE" > "$SITE/geoscout_train.pth"

# --- 5. guard: PyPI torch must not have slipped in ----------------------------------
"$VENV/bin/python" - <<'PY'
import torch, onnxruntime, tokenizers, open_clip
from open_clip import version
assert torch.__file__.startswith("/usr/lib/python3/dist-packages"), f"non-Debian torch: {torch.__file__}"
print(f"[setup] torch {torch.__version__} (Debian), onnxruntime {onnxruntime.__version__}, "
      f"tokenizers {tokenizers.__version__}, open_clip {version.__version__}")
PY
say "done in $(( $(date +%s) - start )) s — use $VENV/bin/python"
