"""PyTorch side of `npm run bench:encode`: the same image tower, the same input tensor.

Reads the preprocessed chips the Node bench wrote ([n,3,S,S] float32, little-endian),
times the image tower (eval, no_grad) at the given batch sizes and thread counts, and
measures this CPU's fp32 GEMM rate (1024³ matmul) per thread count for the FLOP bound.
Prints one JSON object on stdout.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from geoscout_train.checkpoint import load_model


def rate(fn, items: int, min_s: float = 1.5) -> float:
    fn()  # warm-up
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        n += items
        dt = time.perf_counter() - t0
        if dt >= min_s:
            return n / dt


def write_matmul(path: str, n: int = 1024) -> None:
    """Y = A @ B with A an input and B a constant: the GEMM ONNX Runtime's MLAS runs."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    b = numpy_helper.from_array(np.random.default_rng(0).standard_normal((n, n), dtype=np.float32), "B")
    graph = helper.make_graph([helper.make_node("MatMul", ["A", "B"], ["Y"])], "gemm",
                              [helper.make_tensor_value_info("A", TensorProto.FLOAT, [n, n])],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [n, n])], [b])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]), path)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", required=True)
    ap.add_argument("--pixels", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--batches", default="1,8,32")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--write-matmul", help="also write a 1024³ MatMul ONNX model here (ORT's GEMM rate)")
    a = ap.parse_args()
    if a.write_matmul:
        write_matmul(a.write_matmul)
    model, _, _ = load_model(a.weights)
    px = torch.from_numpy(np.fromfile(a.pixels, dtype="<f4").reshape(a.count, 3, a.size, a.size))
    out: dict = {"torch": torch.__version__, "images_per_s": {}, "gemm_gflops": {}}
    a_mat, b_mat = torch.randn(1024, 1024), torch.randn(1024, 1024)
    for th in [int(t) for t in a.threads.split(",")]:
        torch.set_num_threads(th)
        out["gemm_gflops"][th] = rate(lambda: a_mat @ b_mat, 1) * 2 * 1024 ** 3 / 1e9
        for b in [int(x) for x in a.batches.split(",")]:
            def run(b=b):
                with torch.no_grad():
                    for s in range(0, a.count - b + 1, b):
                        model.encode_image(px[s:s + b], with_patches=True)
            out["images_per_s"][f"{b}x{th}"] = rate(run, (a.count // b) * b)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
