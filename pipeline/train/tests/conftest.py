"""Shared fixtures: a generated chip data set, a trained tokenizer, and a short tiny run."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TRAIN_DIR = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(TRAIN_DIR))
sys.path.insert(0, TRAIN_DIR)
sys.path.insert(0, HERE)

import geoscout_train  # noqa: E402,F401  (pins BLAS threads before torch loads)


def run_module(module: str, *args: str, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run `python -m geoscout_train.<module>` as the CLI user would; raise with its output on failure."""
    e = {**os.environ, "PYTHONPATH": TRAIN_DIR + os.pathsep + os.environ.get("PYTHONPATH", ""), **(env or {})}
    p = subprocess.run([sys.executable, "-m", f"geoscout_train.{module}", *args], capture_output=True, text=True,
                       env=e, timeout=timeout, cwd=REPO)
    if p.returncode != 0:
        raise AssertionError(f"{module} {' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p


def node_available(*packages: str) -> bool:
    """node on PATH and the given npm packages installed in the repo."""
    return shutil.which("node") is not None and all(
        os.path.isdir(os.path.join(REPO, "node_modules", *p.split("/"))) for p in packages)


def run_node(script: str, *args: str) -> object:
    p = subprocess.run(["node", os.path.join(HERE, "js", script), *args], capture_output=True, text=True,
                       cwd=REPO, timeout=120)
    if p.returncode != 0:
        raise AssertionError(f"node {script} failed:\n{p.stderr}")
    return json.loads(p.stdout)


@pytest.fixture(scope="session")
def dataset(tmp_path_factory) -> str:
    """96 generated 40-px chips with captions and a `class`; returns the manifest path."""
    from geoscout_train.synthetic import make_dataset

    return make_dataset(str(tmp_path_factory.mktemp("chips")), n=96, size=40, seed=0)


@pytest.fixture(scope="session")
def tokenizer_file(dataset, tmp_path_factory) -> str:
    """A BPE tokenizer trained on the data set's captions (shared so runs are comparable)."""
    from geoscout_train.data import captions_of, read_manifest
    from geoscout_train.tokenizer import train_tokenizer

    tok = train_tokenizer([c for r in read_manifest(dataset) for c in captions_of(r)], vocab_size=1024)
    path = str(tmp_path_factory.mktemp("tok") / "tokenizer.json")
    tok.save(path)
    return path


# LR 2e-3 with a 10-step warm-up: a 2-step warm-up at 3e-3 collapses the tiny model.
TINY_ARGS = ["--config", "tiny", "--batch-size", "16", "--lr", "2e-3", "--warmup-steps", "10", "--log-every", "1000"]


@pytest.fixture(scope="session")
def tiny_run(dataset, tokenizer_file, tmp_path_factory) -> str:
    """A tiny model trained 12 epochs (~5 steps each); returns the run directory."""
    out = str(tmp_path_factory.mktemp("run"))
    run_module("train", "--manifest", dataset, "--out", out, "--epochs", "12", "--tokenizer", tokenizer_file, *TINY_ARGS)
    return out
