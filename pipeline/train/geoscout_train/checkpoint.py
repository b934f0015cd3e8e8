"""Checkpoint files: self-contained (config + tokenizer + weights + training state)."""
from __future__ import annotations

import os
import random

import numpy as np
import torch
from tokenizers import Tokenizer

from .model import CLIPConfig, GeoCLIP
from .tokenizer import TextEncoder

FORMAT = "geoscout-train-ckpt/1"


def save_atomic(obj: dict, path: str) -> None:
    """Write to a temp file then rename, so a kill mid-save never leaves a torn last.pt."""
    tmp = f"{path}.tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def rng_state() -> dict:
    return {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None}


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    if state.get("cuda") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def load_checkpoint(path: str) -> dict:
    ckpt = torch.load(path, map_location="cpu")
    if ckpt.get("format") != FORMAT:
        raise ValueError(f"{path}: not a geoscout training checkpoint (format {ckpt.get('format')!r})")
    return ckpt


def load_model(path: str):
    """(GeoCLIP in eval mode, TextEncoder, checkpoint dict) from a checkpoint file."""
    ckpt = load_checkpoint(path)
    cfg = CLIPConfig.from_dict(ckpt["config"])
    model = GeoCLIP(cfg)
    model.load_state_dict(ckpt["model"])
    model.eval()
    encoder = TextEncoder(Tokenizer.from_str(ckpt["tokenizer_json"]), cfg.context_length)
    return model, encoder, ckpt
