"""Distributed plumbing (torchrun env → DDP) and the contrastive loss over a global batch."""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
import torch.nn.functional as F


@dataclass
class DistInfo:
    world_size: int = 1
    rank: int = 0
    local_rank: int = 0
    local_world_size: int = 1
    device: torch.device = torch.device("cpu")

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def init_distributed(device: str | None = None) -> DistInfo:
    """Read torchrun's env (WORLD_SIZE/RANK/LOCAL_RANK) and join the process group.

    NCCL when the process has a GPU, gloo on CPU. Without WORLD_SIZE > 1 nothing is
    initialised and the trainer runs single-process.
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", str(world)))
    use_cuda = torch.cuda.is_available() and device != "cpu"
    if use_cuda:
        torch.cuda.set_device(local)
        dev = torch.device("cuda", local)
    else:
        dev = torch.device(device or "cpu")
    if world > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return DistInfo(world, rank, local, local_world, dev)


def barrier(info: DistInfo) -> None:
    if info.enabled:
        dist.barrier()


def cleanup(info: DistInfo) -> None:
    # All ranks meet before tearing down: with gloo on torch 1.13, a rank that destroys
    # the group while its peer is still writing files left that peer hanging in a futex
    # at exit (seen in CI: rank 0 stuck after writing metrics.json).
    if info.enabled and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


class _GatherWithGrad(torch.autograd.Function):
    """all_gather whose backward returns this rank's slice of the summed gradient.

    Every rank's loss touches every rank's embeddings; all_reduce(sum) of the incoming
    gradient collects, for the local shard, the contributions of all ranks' losses.
    (all_reduce rather than reduce_scatter because gloo has no reduce_scatter.)
    """

    @staticmethod
    def forward(ctx, x):
        ctx.rank, ctx.n = dist.get_rank(), x.shape[0]
        parts = [torch.empty_like(x) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, x.contiguous())
        return torch.cat(parts)

    @staticmethod
    def backward(ctx, grad):
        grad = grad.contiguous()
        dist.all_reduce(grad)
        return grad[ctx.rank * ctx.n:(ctx.rank + 1) * ctx.n]


def gather_features(img: torch.Tensor, txt: torch.Tensor, info: DistInfo):
    """All ranks' embeddings in rank order (the global batch), differentiable.

    Ranks must hold equal batch sizes (DistributedSampler + equal per-rank batches).
    """
    return gather_with_grad(img, info), gather_with_grad(txt, info)


def gather_with_grad(x: torch.Tensor, info: DistInfo) -> torch.Tensor:
    """One tensor's rows from all ranks in rank order, differentiable (see `gather_features`)."""
    return _GatherWithGrad.apply(x) if info.enabled else x


def clip_loss(img: torch.Tensor, txt: torch.Tensor, all_img: torch.Tensor, all_txt: torch.Tensor,
              scale: torch.Tensor, rank: int = 0) -> torch.Tensor:
    """Symmetric InfoNCE for this rank's rows against the global batch.

    Row i of the local shard is global pair `rank * n + i`. The mean of the ranks' losses
    is the single-process loss over the global batch, and DDP's gradient averaging then
    yields exactly its gradient: N processes × B/N train like one process × B.
    """
    n = img.shape[0]
    labels = torch.arange(n, device=img.device) + rank * n
    return (F.cross_entropy(scale * img @ all_txt.t(), labels) + F.cross_entropy(scale * txt @ all_img.t(), labels)) / 2


def gather_nograd(x: torch.Tensor, info: DistInfo) -> torch.Tensor:
    """All ranks' values of a tensor that needs no gradient (e.g. a row mask), in rank order."""
    if not info.enabled:
        return x
    y = x.to(torch.uint8) if x.dtype == torch.bool else x  # gloo has no bool all_gather
    parts = [torch.empty_like(y) for _ in range(info.world_size)]
    dist.all_gather(parts, y.contiguous())
    return torch.cat(parts).to(x.dtype)


def masked_clip_loss(img: torch.Tensor, txt: torch.Tensor, all_img: torch.Tensor, all_txt: torch.Tensor,
                     scale: torch.Tensor, has_cap: torch.Tensor, all_has_cap: torch.Tensor, rank: int = 0,
                     world_size: int = 1) -> torch.Tensor:
    """`clip_loss` over the captioned rows only: uncaptioned rows are neither anchors nor
    negatives. Normalised by the global captioned count, so the ranks' mean is still the
    single-process loss. Equals `clip_loss` when every row has a caption."""
    n = img.shape[0]
    rows = has_cap.nonzero().squeeze(1)  # uncaptioned anchors would have a blocked target
    labels = rows + rank * n
    blocked = ~all_has_cap[None, :]
    li = F.cross_entropy((scale * img[rows] @ all_txt.t()).masked_fill(blocked, float("-inf")), labels, reduction="sum")
    lt = F.cross_entropy((scale * txt[rows] @ all_img.t()).masked_fill(blocked, float("-inf")), labels, reduction="sum")
    denom = all_has_cap.sum().clamp(min=1).to(li.dtype) / world_size
    return (li + lt) / 2 / denom


def ssl_loss(v1: torch.Tensor, v2: torch.Tensor, all1: torch.Tensor, all2: torch.Tensor, temp: float,
             rank: int = 0) -> torch.Tensor:
    """Image-only InfoNCE (SimCLR's NT-Xent) between two views of each chip in the global
    batch: each view must find its twin among the other 2N − 1 views. Captions play no part,
    so uncaptioned images shape the embedding too."""
    n, big_n = v1.shape[0], all1.shape[0]
    z = torch.cat([all1, all2])
    q = torch.cat([v1, v2])
    idx = torch.arange(n, device=v1.device) + rank * n
    own = torch.cat([idx, idx + big_n])
    twin = torch.cat([idx + big_n, idx])
    logits = (q @ z.t() / temp).index_put((torch.arange(2 * n, device=v1.device), own), torch.tensor(float("-inf"), device=v1.device))
    return F.cross_entropy(logits, twin)
