"""PyTorch reference embeddings + token ids for a model directory, for Node parity tests.

  python -m geoscout_train.reference --model-dir DIR --images a.png,b.png --texts-file t.txt \\
      --out ref.json [--checkpoint RUN/last.pt]

The weights are rebuilt from the manifest's lineage.source: open_clip models from the
architecture name + checkpoint (or the random-init seed), geoscout models from their
training checkpoint (--checkpoint overrides). Torch here is the *original* model (for
open_clip, its own attention), not the graph that was exported.

--texts-file: one text per line, or a .json array of strings.
Writes ref.json (shape in the README) and, per image, the exact pixel_values fed to the
model as raw little-endian float32 [3,S,S] in `<out>.pixels/<i>.f32`, so a Node test can
separate model parity (same pixels) from pre-processing parity (its own resize).
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np
import torch

from . import set_threads
from .onnx_utils import cosines, session


def load_texts(path: str) -> list[str]:
    with open(path, encoding="utf-8") as f:
        if path.endswith(".json"):
            return list(json.load(f))
        return [line.rstrip("\n") for line in f if line.rstrip("\n")]


def open_clip_reference(src: dict, manifest: dict, images, texts):
    """(pixels [N,3,S,S], ids [M,L], image embs, patch embs | None, text embs)."""
    from PIL import Image
    from open_clip import get_tokenizer
    from open_clip.transform import PreprocessCfg, image_transform_v2

    from .export_open_clip import OpenClipImage, build_model, has_patch_tokens

    model, pre = build_model(src["model"], src.get("checkpoint"), src.get("random_init_seed") or 0,
                             src.get("model_config"))
    tf = image_transform_v2(PreprocessCfg(**pre), is_train=False)
    px = torch.stack([tf(Image.open(p)) for p in images])
    ids = get_tokenizer(src["model"])(texts, context_length=manifest["text"]["context_length"])
    with torch.no_grad():
        out = OpenClipImage(model, has_patch_tokens(model.visual))(px)
        img, patches = (out if isinstance(out, tuple) else (out, None))
        txt = model.encode_text(ids, normalize=True)
    return px, ids, img, patches, txt


def geoscout_reference(checkpoint: str, images, texts):
    from .checkpoint import load_model
    from .data import load_rgb, preprocess_eval, to_tensor

    model, enc, _ = load_model(checkpoint)
    cfg = model.cfg
    px = torch.stack([to_tensor(preprocess_eval(load_rgb(p), cfg.image_size), cfg.mean, cfg.std) for p in images])
    ids = enc(texts)
    with torch.no_grad():
        img, patches = model.encode_image(px, with_patches=True)
        txt = model.encode_text(ids)
    return px, ids, img, patches, txt


def build_reference(model_dir: str, images, texts, out: str, checkpoint: str | None = None) -> dict:
    with open(os.path.join(model_dir, "geoscout-model.json")) as f:
        manifest = json.load(f)
    src = (manifest.get("lineage") or {}).get("source") or {}
    if src.get("kind") == "open_clip" and not checkpoint:
        px, ids, img, patches, txt = open_clip_reference(src, manifest, images, texts)
    else:
        ckpt = checkpoint or src.get("checkpoint")
        if not ckpt:
            raise SystemExit("geoscout model: pass --checkpoint (lineage.source.checkpoint is missing)")
        px, ids, img, patches, txt = geoscout_reference(ckpt, images, texts)

    # Cross-check with the exported graphs so a broken reference is caught here, not in Node.
    o_img = session(os.path.join(model_dir, manifest["image"]["onnx"])).run(None, {"pixel_values": px.numpy()})
    o_txt = session(os.path.join(model_dir, manifest["text"]["onnx"])).run(None, {"input_ids": ids.numpy()})[0]
    check = {"image_embeds": float(cosines(img.numpy(), o_img[0]).min()),
             "text_embeds": float(cosines(txt.numpy(), o_txt).min())}
    if patches is not None:
        check["patch_embeds"] = float(cosines(patches.numpy(), o_img[1]).min())

    pix_dir = out + ".pixels"
    os.makedirs(pix_dir, exist_ok=True)
    entries = []
    for i, p in enumerate(images):
        rel = os.path.join(os.path.basename(pix_dir), f"{i}.f32")
        px[i].numpy().astype("<f4").tofile(os.path.join(os.path.dirname(os.path.abspath(out)), rel))
        e = {"path": os.path.abspath(p), "pixel_values_file": rel, "pixel_values_shape": list(px[i].shape),
             "embedding": img[i].tolist()}
        if patches is not None:
            e["patch_embeds"] = patches[i].tolist()
        entries.append(e)
    ref = {"model_dir": os.path.abspath(model_dir), "id": manifest["id"], "version": manifest["version"],
           "source": src.get("kind", "geoscout"), "embed_dim": manifest["embed_dim"],
           "input_size": manifest["image"]["input_size"], "context_length": manifest["text"]["context_length"],
           "pad_token_id": manifest["text"]["pad_token_id"], "onnx_vs_torch_min_cosine": check,
           "texts": [{"text": t, "input_ids": ids[j].tolist(), "embedding": txt[j].tolist()} for j, t in enumerate(texts)],
           "images": entries}
    with open(out, "w", encoding="utf-8") as f:
        json.dump(ref, f, ensure_ascii=False)
    return ref


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--images", default="", help="comma-separated image paths")
    ap.add_argument("--texts-file", help="UTF-8, one text per line, or a .json array")
    ap.add_argument("--out", required=True)
    ap.add_argument("--checkpoint", help="geoscout training checkpoint (overrides lineage.source)")
    a = ap.parse_args(argv)
    set_threads()
    images = [p for p in a.images.split(",") if p]
    texts = load_texts(a.texts_file) if a.texts_file else []
    if not images or not texts:
        ap.error("give at least one image and one text")
    ref = build_reference(a.model_dir, images, texts, a.out, a.checkpoint)
    print(json.dumps({"out": a.out, "texts": len(ref["texts"]), "images": len(ref["images"]),
                      "onnx_vs_torch_min_cosine": ref["onnx_vs_torch_min_cosine"]}))


if __name__ == "__main__":
    main()
