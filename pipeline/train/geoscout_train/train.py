"""Contrastive training of a geoscout CLIP on a chip/caption manifest.

  python -m geoscout_train.train --manifest M.jsonl [--val-manifest V.jsonl] --config mini \\
      --out RUN_DIR --epochs N --batch-size B --lr 5e-4 [--resume]
  torchrun --nproc_per_node=G -m geoscout_train.train ...   (DDP; --batch-size stays global)

Writes RUN_DIR/tokenizer.json, RUN_DIR/last.pt after every epoch (model, optimiser,
scheduler, epoch, RNG: --resume continues exactly) and RUN_DIR/metrics.json at the end.
Without --val-manifest, held-out rows of --manifest (`split` field, else a path hash) are
the validation set and are never trained on.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import time

import torch
from tokenizers import Tokenizer
from torch.nn.parallel import DistributedDataParallel as DDP

from . import set_threads
from .checkpoint import FORMAT, load_checkpoint, rng_state, save_atomic, set_rng_state
from .data import ChipDataset, captions_of, is_uncaptioned, read_manifest, split_rows
from .dist import (DistInfo, barrier, cleanup, clip_loss, gather_features, gather_nograd, gather_with_grad,
                   init_distributed, masked_clip_loss, ssl_loss)
from .evaluate import evaluate
from .model import CLIPConfig, GeoCLIP, count_params, get_config
from .tokenizer import TextEncoder, train_tokenizer


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--val-manifest")
    ap.add_argument("--val-fraction", type=float, default=0.1, help="hash split when rows have no 'split'")
    ap.add_argument("--config", default="mini")
    ap.add_argument("--out", required=True, help="run directory")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=128, help="global batch (split across ranks)")
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--warmup-steps", type=int, default=None, help="default: 10%% of all steps, within [10, 500]")
    ap.add_argument("--grad-clip", type=float, default=1.0)
    ap.add_argument("--vocab-size", type=int, default=4096)
    ap.add_argument("--tokenizer", help="use this tokenizer.json instead of training one")
    ap.add_argument("--workers", type=int, default=None, help="loader workers (default 0 on CPU, 4 on GPU)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--log-every", type=int, default=10)
    ap.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    ap.add_argument("--resume", action="store_true", help="continue from RUN_DIR/last.pt")
    ap.add_argument("--stop-after-epochs", type=int, default=None,
                    help="end this invocation after N epochs (time-boxed sessions); --resume continues")
    ap.add_argument("--init-from", help="fine-tune: start from this checkpoint or weights.pt (its config and "
                                        "tokenizer are kept; --config/--tokenizer are ignored)")
    ap.add_argument("--ssl-weight", type=float, default=0.0,
                    help="weight of the image-only objective (two views of each chip must find each other); "
                         "> 0 also trains on uncaptioned rows (\"captions\": [])")
    ap.add_argument("--ssl-temp", type=float, default=0.2, help="temperature of the image-only objective")
    ap.add_argument("--trainable", choices=sorted(TRAINABLE), default="all",
                    help="parameters that learn: all (contrastive fine-tune), head (projections + final norms "
                         "of both towers + temperature), probe (image projection + its norm only)")
    return ap.parse_args(argv)


def log(info: DistInfo, msg: str) -> None:
    if info.is_main:
        print(f"[train {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# Fine-tune modes: which parameter names learn (prefix match); everything else is frozen.
TRAINABLE = {
    "all": None,
    "head": ("visual.proj", "visual.ln_post", "text.proj", "text.ln_final", "logit_scale"),
    "probe": ("visual.proj", "visual.ln_post"),
}


def freeze_for(model: torch.nn.Module, mode: str) -> int:
    """Freezes what `mode` keeps fixed; returns the number of trainable parameters."""
    keep = TRAINABLE[mode]
    for name, p in model.named_parameters():
        p.requires_grad_(keep is None or name.startswith(keep))
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def get_tokenizer(args, train_rows, info: DistInfo, resume_ckpt) -> Tokenizer:
    """Resume's tokenizer, else --tokenizer, else one trained on the training captions.

    Rank 0 trains and writes it; the others read the file after a barrier, so every rank
    has byte-identical vocabularies.
    """
    if resume_ckpt is not None:
        return Tokenizer.from_str(resume_ckpt["tokenizer_json"])
    path = os.path.join(args.out, "tokenizer.json")
    if info.is_main:
        if getattr(args, "init_ckpt", None) is not None:  # a fine-tune keeps its parent's vocabulary
            tok = Tokenizer.from_str(args.init_ckpt["tokenizer_json"])
        elif args.tokenizer:
            tok = Tokenizer.from_file(args.tokenizer)
        else:
            t0 = time.time()
            tok = train_tokenizer((c for r in train_rows for c in captions_of(r)), vocab_size=args.vocab_size)
            log(info, f"tokenizer: BPE vocab {tok.get_vocab_size()} trained in {time.time() - t0:.1f}s")
        tok.save(path)
    barrier(info)
    return Tokenizer.from_file(path)


def param_groups(model: torch.nn.Module, weight_decay: float):
    """No decay on gains, biases, embeddings' positions/CLS and the temperature (CLIP practice)."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (no_decay if p.ndim < 2 or "pos" in name or "cls" in name or "logit_scale" in name else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def global_mean(x: torch.Tensor, info: DistInfo) -> float:
    """The global-batch loss (mean of the ranks' local losses), for logs comparable to 1 process."""
    if info.enabled:
        x = x.clone()
        torch.distributed.all_reduce(x)
        x /= info.world_size
    return x.item()


def cosine_with_warmup(warmup: int, total: int):
    def f(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warmup) / max(1, total - warmup))))
    return f


def run(args: argparse.Namespace) -> dict:
    info = init_distributed(args.device)
    set_threads(info.local_world_size)
    os.makedirs(args.out, exist_ok=True)
    ckpt_path = os.path.join(args.out, "last.pt")
    resume = load_checkpoint(ckpt_path) if args.resume and os.path.exists(ckpt_path) else None
    if args.resume and resume is None:
        log(info, f"--resume: no {ckpt_path}, starting fresh")

    args.init_ckpt = load_checkpoint(args.init_from) if args.init_from and resume is None else None
    rows = read_manifest(args.manifest)
    if args.val_manifest:
        train_rows, val_rows = split_rows(rows, 0.0)[0], read_manifest(args.val_manifest)
    else:
        train_rows, val_rows = split_rows(rows, args.val_fraction)
    uncaptioned = sum(map(is_uncaptioned, train_rows))
    if uncaptioned and args.ssl_weight <= 0:
        log(info, f"{uncaptioned} uncaptioned rows left out (they need --ssl-weight > 0)")
        train_rows = [r for r in train_rows if not is_uncaptioned(r)]
    val_rows = [r for r in val_rows if not is_uncaptioned(r)]
    if args.batch_size % info.world_size:
        raise SystemExit(f"--batch-size {args.batch_size} must divide by world size {info.world_size}")
    local_bs = args.batch_size // info.world_size

    tok = get_tokenizer(args, train_rows, info, resume)
    if resume is not None:
        cfg = CLIPConfig.from_dict(resume["config"])
    elif args.init_ckpt is not None:
        cfg = CLIPConfig.from_dict(args.init_ckpt["config"])
    else:
        cfg = get_config(args.config, tok.get_vocab_size())
    encoder = TextEncoder(tok, cfg.context_length)

    torch.manual_seed(args.seed)
    model = GeoCLIP(cfg)
    if args.init_ckpt is not None:
        model.load_state_dict(args.init_ckpt["model"])
        log(info, f"fine-tune from {args.init_from}, trainable={args.trainable}")
    n_trainable = freeze_for(model, args.trainable)
    model = model.to(info.device)
    ddp = DDP(model, device_ids=[info.local_rank] if info.device.type == "cuda" else None) if info.enabled else model

    ssl = args.ssl_weight > 0
    ds = ChipDataset(train_rows, encoder, cfg.image_size, cfg.mean, cfg.std, train=True, seed=args.seed, views=2 if ssl else 1)
    # DistributedSampler also serves the single-process case: its shuffle is seeded by
    # (seed, epoch), which is what makes a resumed epoch identical to an uninterrupted one.
    sampler = torch.utils.data.DistributedSampler(ds, info.world_size, info.rank, shuffle=True, seed=args.seed)
    drop_last = len(sampler) >= local_bs  # a final tiny batch is a poor contrastive batch
    workers = args.workers if args.workers is not None else (4 if info.device.type == "cuda" else 0)
    loader = torch.utils.data.DataLoader(ds, batch_size=local_bs, sampler=sampler, drop_last=drop_last,
                                         num_workers=workers, pin_memory=info.device.type == "cuda")
    steps_per_epoch = len(loader)
    if steps_per_epoch == 0:
        raise SystemExit("no training batches: manifest too small for the batch size")
    total = steps_per_epoch * args.epochs
    # Too short a warm-up at a high LR collapses both towers to constant embeddings (loss
    # stuck at ln(batch)); measured on the tiny config: 2 steps at 3e-3 collapsed, 10+ did not.
    warmup = args.warmup_steps if args.warmup_steps is not None else min(total // 2, max(10, min(500, total // 10)))

    opt = torch.optim.AdamW(param_groups(model, args.weight_decay), lr=args.lr, betas=(0.9, 0.98), eps=1e-6)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, cosine_with_warmup(warmup, total))
    start_epoch, step, history = 0, 0, []
    if resume is not None:
        model.load_state_dict(resume["model"])
        opt.load_state_dict(resume["optimizer"])
        sched.load_state_dict(resume["scheduler"])
        start_epoch, step, history = resume["epoch"], resume["step"], resume["history"]
        set_rng_state(resume["rng"])
        log(info, f"resumed {ckpt_path} at epoch {start_epoch}, step {step}")

    log(info, f"config {args.config}: {count_params(model) / 1e6:.2f}M params ({n_trainable / 1e6:.2f}M trainable), "
              f"{len(train_rows)} train ({uncaptioned if ssl else 0} uncaptioned) / "
              f"{len(val_rows)} val rows, world {info.world_size}, batch {args.batch_size} "
              f"({local_bs}/rank), {steps_per_epoch} steps/epoch, device {info.device}")
    # Paths as given (not absolute) so lineage in a shipped model names no local directories.
    data_info = {"manifest": args.manifest, "manifest_sha256": sha256_file(args.manifest),
                 "val_manifest": args.val_manifest,
                 "n_train": len(train_rows), "n_val": len(val_rows),
                 "init_from": args.init_from, "trainable": args.trainable,
                 "ssl_weight": args.ssl_weight, "n_uncaptioned": uncaptioned if ssl else 0}
    t_start = time.time()
    end_epoch = args.epochs if args.stop_after_epochs is None else min(args.epochs, start_epoch + args.stop_after_epochs)
    for epoch in range(start_epoch, end_epoch):
        sampler.set_epoch(epoch)
        ds.set_epoch(epoch)
        ddp.train()
        t0, loss_sum, n = time.time(), 0.0, 0
        for i, batch in enumerate(loader):
            loss = step_loss(ddp, batch, args, info)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if args.grad_clip:
                torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], args.grad_clip)
            opt.step()
            sched.step()
            with torch.no_grad():  # CLIP caps the temperature at 100 to keep logits sane
                model.logit_scale.clamp_(0, math.log(100))
            step += 1
            loss_sum, n = loss_sum + global_mean(loss.detach(), info), n + 1
            if info.is_main and (i + 1) % args.log_every == 0:
                rate = (i + 1) * args.batch_size / (time.time() - t0)
                log(info, f"epoch {epoch + 1}/{args.epochs} step {i + 1}/{steps_per_epoch} loss {loss_sum / n:.4f} "
                          f"lr {sched.get_last_lr()[0]:.2e} scale {model.logit_scale.exp().item():.1f} {rate:.0f} img/s")
        entry = {"epoch": epoch + 1, "step": step, "train_loss": loss_sum / n, "epoch_s": round(time.time() - t0, 2)}
        if info.is_main and val_rows:
            entry["val"] = evaluate(model, val_rows, encoder, batch_size=max(local_bs, 32), device=info.device)["retrieval"]
        if epoch > start_epoch and abs(entry["train_loss"] - math.log(args.batch_size)) < 1e-3:
            log(info, "WARNING: loss is at chance, ln(batch): embeddings have collapsed to a constant; "
                      "lower --lr or lengthen --warmup-steps")
        history.append(entry)
        log(info, f"epoch {epoch + 1} done: " + json.dumps(entry))
        if info.is_main:
            save_atomic({"format": FORMAT, "config": cfg.to_dict(), "config_name": args.config,
                         "tokenizer_json": tok.to_str(), "model": model.state_dict(),
                         "optimizer": opt.state_dict(), "scheduler": sched.state_dict(), "epoch": epoch + 1,
                         "step": step, "rng": rng_state(), "history": history,
                         "args": {k: v for k, v in vars(args).items() if k != "init_ckpt"},
                         "data": data_info}, ckpt_path)
        barrier(info)

    metrics = {"config": args.config, "params": count_params(model), "epochs": args.epochs,
               "epochs_done": history[-1]["epoch"] if history else 0, "steps": step,
               "world_size": info.world_size, "batch_size": args.batch_size, "data": data_info,
               "history": history, "final": history[-1] if history else None,
               "train_s_this_run": round(time.time() - t_start, 1)}
    if info.is_main:
        with open(os.path.join(args.out, "metrics.json"), "w") as f:
            json.dump(metrics, f, indent=2)
        log(info, f"wrote {ckpt_path} and metrics.json")
    cleanup(info)
    return metrics


def step_loss(ddp, batch, args, info: DistInfo) -> torch.Tensor:
    """The batch's loss: CLIP's, plus with --ssl-weight the image-only one over both views.
    Both views go through one forward of the wrapped model (DDP syncs one backward)."""
    if len(batch) == 2:
        px, ids = (t.to(info.device, non_blocking=True) for t in batch)
        img, txt, scale = ddp(px, ids)
        all_img, all_txt = gather_features(img, txt, info)
        return clip_loss(img, txt, all_img, all_txt, scale, info.rank)
    px1, px2, ids, cap = (t.to(info.device, non_blocking=True) for t in batch)
    n = px1.shape[0]
    img, txt, scale = ddp(torch.cat([px1, px2]), ids)
    v1, v2 = img[:n], img[n:]
    all_v1, all_txt = gather_features(v1, txt, info)
    all_v2 = gather_with_grad(v2, info)
    all_cap = gather_nograd(cap, info)
    clip = masked_clip_loss(v1, txt, all_v1, all_txt, scale, cap, all_cap, info.rank, info.world_size)
    return clip + args.ssl_weight * ssl_loss(v1, v2, all_v1, all_v2, args.ssl_temp, info.rank)


def main(argv=None) -> None:
    run(parse_args(argv))


if __name__ == "__main__":
    main()
