"""A small CLIP (ViT image tower + causal text transformer) that exports cleanly to ONNX.

Attention is written by hand: torch 1.13's nn.TransformerEncoder / nn.MultiheadAttention
take a fused fast path in eval mode (`aten::_transformer_encoder_layer_fwd`) that the ONNX
exporter cannot translate. Everything here is plain matmul/softmax/LayerNorm.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class CLIPConfig:
    """Architecture hyper-parameters. `vocab_size` comes from the trained tokenizer."""

    image_size: int
    patch_size: int
    width: int
    depth: int
    heads: int
    text_width: int
    text_depth: int
    text_heads: int
    context_length: int
    embed_dim: int
    vocab_size: int = 0
    mlp_ratio: float = 4.0
    pad_token_id: int = 0
    # Normalisation applied to pixels before the network (recorded in the model manifest).
    mean: tuple = (0.48145466, 0.4578275, 0.40821073)
    std: tuple = (0.26862954, 0.26130258, 0.27577711)

    @property
    def grid(self) -> int:
        return self.image_size // self.patch_size

    def to_dict(self) -> dict:
        d = asdict(self)
        d["mean"], d["std"] = list(self.mean), list(self.std)
        return d

    @staticmethod
    def from_dict(d: dict) -> "CLIPConfig":
        d = dict(d)
        d["mean"], d["std"] = tuple(d["mean"]), tuple(d["std"])
        return CLIPConfig(**d)


# `tiny` trains in seconds for tests; `mini` is the shipped model (sizes chosen by
# measurement, see pipeline/train/README.md).
CONFIGS = {
    "tiny": CLIPConfig(image_size=32, patch_size=8, width=64, depth=2, heads=2,
                       text_width=64, text_depth=2, text_heads=2, context_length=16, embed_dim=32),
    # 3.1M params (12.4 MB fp32 ONNX); depth 6 / text depth 4 cost ~1.7× per step on
    # 2 CPU cores for 35% more weights.
    "mini": CLIPConfig(image_size=128, patch_size=16, width=192, depth=4, heads=3,
                       text_width=128, text_depth=3, text_heads=4, context_length=32, embed_dim=128),
}


def get_config(name: str, vocab_size: int, **overrides) -> CLIPConfig:
    """The named config with the tokenizer's vocabulary size filled in."""
    if name not in CONFIGS:
        raise KeyError(f"unknown config {name!r}; known: {sorted(CONFIGS)}")
    return replace(CONFIGS[name], vocab_size=vocab_size, **overrides)


class Attention(nn.Module):
    """Multi-head self-attention; `mask` is additive ([N, N], -inf where blocked)."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        assert width % heads == 0, "width must divide into heads"
        self.heads, self.head_dim = heads, width // heads
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        att = (q * (1.0 / math.sqrt(self.head_dim))) @ k.transpose(-2, -1)
        if mask is not None:
            att = att + mask
        att = att.softmax(dim=-1)
        return self.out((att @ v).transpose(1, 2).reshape(b, n, c))


class Block(nn.Module):
    """Pre-LN transformer block (LN → attention → residual, LN → MLP → residual)."""

    def __init__(self, width: int, heads: int, mlp_ratio: float):
        super().__init__()
        hidden = int(width * mlp_ratio)
        self.ln_1, self.ln_2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.attn = Attention(width, heads)
        self.mlp = nn.Sequential(nn.Linear(width, hidden), nn.GELU(), nn.Linear(hidden, width))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x), mask)
        return x + self.mlp(self.ln_2(x))


class ImageTower(nn.Module):
    """ViT: conv patches + CLS + learned positions → blocks → LN → projection."""

    def __init__(self, cfg: CLIPConfig):
        super().__init__()
        w = cfg.width
        self.patch = nn.Conv2d(3, w, kernel_size=cfg.patch_size, stride=cfg.patch_size, bias=False)
        self.cls = nn.Parameter(torch.randn(w) * w ** -0.5)
        self.pos = nn.Parameter(torch.randn(cfg.grid * cfg.grid + 1, w) * 0.01)
        self.ln_pre, self.ln_post = nn.LayerNorm(w), nn.LayerNorm(w)
        self.blocks = nn.ModuleList(Block(w, cfg.heads, cfg.mlp_ratio) for _ in range(cfg.depth))
        self.proj = nn.Linear(w, cfg.embed_dim, bias=False)

    def forward(self, pixels: torch.Tensor, with_patches: bool = False):
        x = self.patch(pixels).flatten(2).transpose(1, 2)  # [B, N, W]
        cls = self.cls.expand(x.shape[0], 1, -1)
        x = self.ln_pre(torch.cat([cls, x], dim=1) + self.pos)
        for blk in self.blocks:
            x = blk(x)
        # The same LN + projection for CLS and patches puts patch tokens in the joint space
        # (useful for dense "where in the chip" look-ups, as with open_clip's ln_post @ proj).
        x = self.proj(self.ln_post(x))
        pooled = x[:, 0]
        return (pooled, x[:, 1:]) if with_patches else pooled


class TextTower(nn.Module):
    """Causal transformer over token ids, pooled at the last non-pad token (the EOT)."""

    def __init__(self, cfg: CLIPConfig):
        super().__init__()
        if cfg.vocab_size <= 0:
            raise ValueError("config.vocab_size must be set from the tokenizer")
        w, n = cfg.text_width, cfg.context_length
        self.pad_token_id = cfg.pad_token_id
        self.tok = nn.Embedding(cfg.vocab_size, w)
        self.pos = nn.Parameter(torch.randn(n, w) * 0.01)
        self.blocks = nn.ModuleList(Block(w, cfg.text_heads, cfg.mlp_ratio) for _ in range(cfg.text_depth))
        self.ln_final = nn.LayerNorm(w)
        self.proj = nn.Linear(w, cfg.embed_dim, bias=False)
        self.register_buffer("causal", torch.full((n, n), float("-inf")).triu(1), persistent=False)
        self.register_buffer("positions", torch.arange(n), persistent=False)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.tok(ids) + self.pos
        for blk in self.blocks:
            x = blk(x, self.causal)
        x = self.ln_final(x)
        # Pool at the last non-pad token. Unlike "argmax of the EOT id" this still picks a
        # sensible token if a caller truncates without re-appending EOT. The one-hot product
        # (rather than fancy indexing) keeps the ONNX graph simple with a dynamic batch.
        last = ((ids != self.pad_token_id).sum(dim=1) - 1).clamp(min=0)
        onehot = (self.positions.unsqueeze(0) == last.unsqueeze(1)).to(x.dtype)
        return self.proj((x * onehot.unsqueeze(-1)).sum(dim=1))


class GeoCLIP(nn.Module):
    """The two towers plus a learnable temperature; every output is L2-normalised."""

    def __init__(self, cfg: CLIPConfig):
        super().__init__()
        self.cfg = cfg
        self.visual = ImageTower(cfg)
        self.text = TextTower(cfg)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        self.apply(_init_weights)

    def encode_image(self, pixels: torch.Tensor, with_patches: bool = False):
        if with_patches:
            pooled, patches = self.visual(pixels, with_patches=True)
            return F.normalize(pooled, dim=-1), F.normalize(patches, dim=-1)
        return F.normalize(self.visual(pixels), dim=-1)

    def encode_text(self, ids: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.text(ids), dim=-1)

    def forward(self, pixels: torch.Tensor, ids: torch.Tensor):
        return self.encode_image(pixels), self.encode_text(ids), self.logit_scale.exp()


def _init_weights(m: nn.Module) -> None:
    # CLIP-style small normal init; zero biases so the residual stream starts near identity.
    if isinstance(m, (nn.Linear, nn.Embedding, nn.Conv2d)):
        nn.init.normal_(m.weight, std=0.02)
        if getattr(m, "bias", None) is not None:
            nn.init.zeros_(m.bias)


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
