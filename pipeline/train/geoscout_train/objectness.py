"""Class-agnostic objectness model (CenterNet-style) for geoscout's detection proposals.

A small fully-convolutional net: a stride-32 backbone with a top-down (FPN-like) path back
to stride 4, and three heads at stride 4: centre heatmap (sigmoid), box size (log of the
width/height in stride-4 cells) and centre offset (cells, relative to the cell's corner).
The input is float RGB 0..255, NCHW, any H and W divisible by 32; normalisation is in the
graph so the runtime only pads.

Targets follow TTFNet: an elliptical Gaussian per box (sigma = 0.54·side/6, at least
MIN_SIGMA cells) peaking at 1 in the centre cell; size and offset are regressed at every
cell the box's Gaussian covers with ≥ 0.5 (weighted by it), so a peak one cell off still
decodes the right box. Ignore boxes (held-out class, objects outside the size range)
zero the heatmap loss where no positive lives.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

STRIDE = 4
ALPHA = 0.54
MIN_SIGMA = 0.5
MEAN = 127.5
STD = 64.0


def _cbr(i: int, o: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(i, o, 3, stride, padding=dilation, dilation=dilation, bias=False),
                         nn.BatchNorm2d(o), nn.ReLU(inplace=True))


class ObjectnessNet(nn.Module):
    """Backbone /2 → /32, top-down fusion to /4, heads heat/size/offset at /4.

    Plain 3×3 convolutions (torch 1.13's CPU depthwise backward was ~5× slower per MAC),
    thin where the maps are large: about 2 GMAC per input megapixel."""

    def __init__(self, width: int = 24) -> None:
        super().__init__()
        w = width
        self.c2 = _cbr(3, 8, 2)
        self.c4 = nn.Sequential(_cbr(8, w, 2), _cbr(w, w))
        self.c8 = nn.Sequential(_cbr(w, 48, 2), _cbr(48, 48))
        self.c16 = nn.Sequential(_cbr(48, 64, 2), _cbr(64, 64), _cbr(64, 64, dilation=2))
        self.c32 = nn.Sequential(_cbr(64, 96, 2), _cbr(96, 96, dilation=2))
        self.l32 = nn.Conv2d(96, w, 1)
        self.l16 = nn.Conv2d(64, w, 1)
        self.l8 = nn.Conv2d(48, w, 1)
        self.l4 = nn.Conv2d(w, w, 1)
        self.head = _cbr(w, w)
        self.heat = nn.Conv2d(w, 1, 1)
        self.size = nn.Conv2d(w, 2, 1)
        self.offset = nn.Conv2d(w, 2, 1)
        nn.init.constant_(self.heat.bias, -2.19)  # CenterNet's prior: sigmoid ≈ 0.1 at start

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = (x - MEAN) / STD
        f4 = self.c4(self.c2(x))
        f8 = self.c8(f4)
        f16 = self.c16(f8)
        f32 = self.c32(f16)
        p = self.l32(f32)
        p = self.l16(f16) + F.interpolate(p, scale_factor=2.0, mode="nearest")
        p = self.l8(f8) + F.interpolate(p, scale_factor=2.0, mode="nearest")
        p = self.l4(f4) + F.interpolate(p, scale_factor=2.0, mode="nearest")
        h = self.head(F.relu(p))
        return torch.sigmoid(self.heat(h)), self.size(h), self.offset(h)


def param_count(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def make_targets(boxes: np.ndarray, ignore: np.ndarray, size: int) -> dict[str, np.ndarray]:
    """Targets for one patch of `size`² pixels; boxes and ignore are [n, 4] x, y, w, h in pixels."""
    g = size // STRIDE
    heat = np.zeros((g, g), np.float32)
    owner = np.full((g, g), -1, np.int32)
    reg_w = np.zeros((g, g), np.float32)
    reg = np.zeros((4, g, g), np.float32)  # log w, log h, dx, dy
    weight = np.ones((g, g), np.float32)
    ys, xs = np.mgrid[0:g, 0:g].astype(np.float32)
    for x, y, w, h in ignore:
        x0, y0 = int(np.floor(x / STRIDE)), int(np.floor(y / STRIDE))
        x1, y1 = int(np.ceil((x + w) / STRIDE)), int(np.ceil((y + h) / STRIDE))
        weight[max(0, y0):max(0, y1), max(0, x0):max(0, x1)] = 0
    # Larger boxes first so a small box's centre wins the cells they share.
    order = np.argsort(-(boxes[:, 2] * boxes[:, 3])) if len(boxes) else []
    for k in order:
        x, y, w, h = boxes[k]
        cx, cy = (x + w / 2) / STRIDE, (y + h / 2) / STRIDE
        ci, cj = min(g - 1, int(cx)), min(g - 1, int(cy))
        sx = max(MIN_SIGMA, ALPHA * w / STRIDE / 6)
        sy = max(MIN_SIGMA, ALPHA * h / STRIDE / 6)
        gau = np.exp(-((xs - ci) ** 2) / (2 * sx * sx) - ((ys - cj) ** 2) / (2 * sy * sy))
        heat = np.maximum(heat, gau)
        heat[cj, ci] = 1.0
        cells = gau >= 0.5
        cells[cj, ci] = True
        take = cells & (gau >= reg_w * 0.999)
        owner[take] = k
        reg_w[take] = gau[take]
        reg[0][take] = np.log(max(w, 1.0) / STRIDE)
        reg[1][take] = np.log(max(h, 1.0) / STRIDE)
        reg[2][take] = cx - xs[take]
        reg[3][take] = cy - ys[take]
    weight[heat >= 0.5] = 1
    return {"heat": heat, "weight": weight, "reg": reg, "reg_w": reg_w}


def focal_loss(pred: torch.Tensor, gt: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """CenterNet's penalty-reduced focal loss, normalised by the number of centres."""
    p = pred.clamp(1e-4, 1 - 1e-4)
    pos = gt.eq(1).float()
    pos_l = torch.log(p) * (1 - p) ** 2 * pos
    neg_l = torch.log(1 - p) * p ** 2 * (1 - gt) ** 4 * (1 - pos) * weight
    n = pos.sum().clamp(min=1)
    return -(pos_l.sum() + neg_l.sum()) / n


def losses(out: tuple[torch.Tensor, torch.Tensor, torch.Tensor], t: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Heat (focal), size (L1 on log w/h) and offset (L1) losses for a batch."""
    heat, size, off = out
    hl = focal_loss(heat[:, 0], t["heat"], t["weight"])
    w = t["reg_w"]
    wsum = w.sum().clamp(min=1)
    sl = ((size - t["reg"][:, 0:2]).abs().sum(1) * w).sum() / wsum
    ol = ((off - t["reg"][:, 2:4]).abs().sum(1) * w).sum() / wsum
    return {"heat": hl, "size": sl, "offset": ol, "total": hl + sl + ol}


def decode(heat: np.ndarray, size: np.ndarray, off: np.ndarray, thr: float = 0.1, k: int = 300) -> np.ndarray:
    """Peaks (3×3 max) of one heatmap [H, W] → [n, 5] boxes x, y, w, h (pixels), score."""
    t = torch.from_numpy(heat)[None, None]
    keep = (F.max_pool2d(t, 3, 1, 1) == t)[0, 0].numpy() & (heat >= thr)
    js, is_ = np.nonzero(keep)
    sc = heat[js, is_]
    o = np.argsort(-sc)[:k]
    js, is_, sc = js[o], is_[o], sc[o]
    w, h = np.exp(size[0, js, is_]) * STRIDE, np.exp(size[1, js, is_]) * STRIDE
    cx, cy = (is_ + off[0, js, is_]) * STRIDE, (js + off[1, js, is_]) * STRIDE
    return np.stack([cx - w / 2, cy - h / 2, w, h, sc], 1) if len(sc) else np.zeros((0, 5), np.float32)


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU between [n, 4] and [m, 4] x, y, w, h boxes."""
    if not len(a) or not len(b):
        return np.zeros((len(a), len(b)))
    ax1, ay1 = a[:, 0] + a[:, 2], a[:, 1] + a[:, 3]
    bx1, by1 = b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    iw = np.clip(np.minimum(ax1[:, None], bx1[None]) - np.maximum(a[:, 0][:, None], b[:, 0][None]), 0, None)
    ih = np.clip(np.minimum(ay1[:, None], by1[None]) - np.maximum(a[:, 1][:, None], b[:, 1][None]), 0, None)
    inter = iw * ih
    return inter / (a[:, 2:3] * a[:, 3:4] + (b[:, 2] * b[:, 3])[None] - inter + 1e-9)
