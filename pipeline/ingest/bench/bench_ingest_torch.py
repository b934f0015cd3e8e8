"""Plain Python baseline for `npm run bench:ingest`: PIL + PyTorch, same scene, same weights.

Opens the GeoTIFF with PIL (which decodes the whole image into memory: the naive way),
walks the same tile plan (JSON list of [x, y, size] from the Node side), crops, resizes
to the model input (bicubic), normalises, embeds in batches of 32 with patch outputs, and
keeps the vectors in memory (no database). Prints one JSON object: tiles/s, seconds
spent decoding, cropping+resizing, encoding, and peak RSS.
"""
import json
import resource
import sys
import time

import numpy as np
import torch
from PIL import Image

from geoscout_train.checkpoint import load_model


def main() -> None:
    tif, weights, plan_file, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    torch.set_num_threads(threads)
    model, _, ckpt = load_model(weights)
    cfg = model.cfg
    mean = torch.tensor(cfg.mean).view(1, 3, 1, 1)
    std = torch.tensor(cfg.std).view(1, 3, 1, 1)
    plan = json.load(open(plan_file))
    Image.MAX_IMAGE_PIXELS = None
    t0 = time.perf_counter()
    img = Image.open(tif)
    img.load()
    decode_s = time.perf_counter() - t0
    crop_s = enc_s = 0.0
    out = []
    for b in range(0, len(plan), 32):
        t = time.perf_counter()
        chips = [np.asarray(img.crop((x, y, x + s, y + s)).resize((cfg.image_size, cfg.image_size), Image.BICUBIC), dtype=np.float32) for x, y, s in plan[b:b + 32]]
        px = (torch.from_numpy(np.stack(chips)).permute(0, 3, 1, 2) / 255.0 - mean) / std
        crop_s += time.perf_counter() - t
        t = time.perf_counter()
        with torch.no_grad():
            v, p = model.encode_image(px, with_patches=True)
        out.append(v.numpy())
        enc_s += time.perf_counter() - t
    total = time.perf_counter() - t0
    print(json.dumps({"tiles": len(plan), "seconds": total, "tiles_per_s": len(plan) / total, "decode_s": decode_s,
                      "crop_resize_s": crop_s, "encode_s": enc_s, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
