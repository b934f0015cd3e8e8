"""ONNX export and the onnxruntime-vs-torch parity gate shared by both exporters."""
from __future__ import annotations

import os

import numpy as np
import torch

MIN_COSINE = 0.999
OPSET = 17  # LayerNormalization is a single op from 17; onnxruntime(-node) ≥ 1.14 runs it


def export(module: torch.nn.Module, example: torch.Tensor, path: str, input_name: str,
           output_names: list[str], opset: int = OPSET) -> None:
    """Trace `module(example)` to `path` with a dynamic batch axis on every tensor."""
    module.eval()
    axes = {input_name: {0: "batch"}, **{n: {0: "batch"} for n in output_names}}
    with torch.no_grad():
        torch.onnx.export(module, (example,), path, input_names=[input_name], output_names=output_names,
                          dynamic_axes=axes, opset_version=opset, do_constant_folding=True)
    import onnx

    onnx.checker.check_model(onnx.load(path))


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine over the last axis, flattened over leading axes."""
    a = a.reshape(-1, a.shape[-1]).astype(np.float64)
    b = b.reshape(-1, b.shape[-1]).astype(np.float64)
    return (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1) + 1e-12)


def session(path: str):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = max(1, min(2, os.cpu_count() or 1))
    return ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])


def check_parity(module: torch.nn.Module, path: str, example: torch.Tensor, input_name: str,
                 output_names: list[str]) -> dict:
    """Run torch and onnxruntime on `example`; raise unless every output row has cosine > 0.999.

    Returns {output: min cosine}. Uses a batch size different from the export example so a
    batch dimension accidentally frozen into the graph fails here.
    """
    with torch.no_grad():
        ref = module(example)
    ref = ref if isinstance(ref, (tuple, list)) else (ref,)
    got = session(path).run(output_names, {input_name: example.numpy()})
    result = {}
    for name, r, g in zip(output_names, ref, got):
        if tuple(r.shape) != tuple(g.shape):
            raise RuntimeError(f"parity: {path} output {name} shape {g.shape} != torch {tuple(r.shape)}")
        c = float(cosines(r.numpy(), g).min())
        result[name] = c
        if not c > MIN_COSINE:
            raise RuntimeError(f"parity FAILED: {path} output {name} min cosine {c:.6f} <= {MIN_COSINE}")
    return result
