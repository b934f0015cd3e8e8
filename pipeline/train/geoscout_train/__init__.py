"""geoscout training package: a small CLIP for satellite chips, trained and exported to ONNX.

Importing the package pins threading before numpy/torch load:
- OPENBLAS_NUM_THREADS=1: OpenBLAS's own pool fights torch's intra-op pool on small
  machines (a tiny CLIP step went from 0.75 s to 0.09 s).
- OMP_WAIT_POLICY=PASSIVE: with another process busy on one of the 2 cores, spinning
  OpenMP threads made a 2-thread mini step 4-5x slower (12-17 img/s) than 1 thread
  (70 img/s); passive waiting keeps 2 threads at 67-75 img/s.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__all__ = ["set_threads"]


def set_threads(local_world_size: int = 1) -> int:
    """Give torch's intra-op pool the machine's cores split across local processes.

    GEOSCOUT_TORCH_THREADS overrides. Returns the thread count used.
    """
    import torch

    env = os.environ.get("GEOSCOUT_TORCH_THREADS")
    n = int(env) if env else max(1, (os.cpu_count() or 1) // max(1, local_world_size))
    torch.set_num_threads(n)
    return n
