"""open_clip → geoscout model dir: ViT-B-32 (random init, no download) and a checkpoint file."""
import json
import os

import pytest
import torch
from conftest import node_available, run_module, run_node

from geoscout_train import clip_bpe

SLOW_SKIP = os.environ.get("GEOSCOUT_SKIP_SLOW") == "1"
NODE = node_available("@huggingface/tokenizers", "onnxruntime-node")
TEXTS = ["a satellite image of an airport", "Harbour with “ships” & boats", "Überlingen 2024",
         "a very long caption " * 20]


def write_texts(tmp_path):
    p = tmp_path / "texts.json"
    p.write_text(json.dumps(TEXTS))
    return str(p)


@pytest.mark.skipif(SLOW_SKIP, reason="GEOSCOUT_SKIP_SLOW=1 (ViT-B-32 export takes ~30 s)")
def test_vit_b_32_random_init_export_parity_and_reference(dataset, tmp_path):
    out = str(tmp_path / "vitb32")
    p = run_module("export_open_clip", "--model", "ViT-B-32", "--random-init", "--out", out, "--id", "openclip-vit-b-32-test",
                   "--version", "0")
    parity = json.loads(p.stdout)["parity_min_cosine"]
    assert set(parity) == {"image_embeds", "patch_embeds", "text_embeds", "mha_swap_vs_open_clip"}
    assert min(parity.values()) > 0.999
    m = json.load(open(os.path.join(out, "geoscout-model.json")))
    assert (m["embed_dim"], m["image"]["input_size"], m["image"]["crop"], m["image"]["patch_grid"]) == (512, 224, "center", [7, 7])
    assert m["image"]["mean"] == pytest.approx([0.48145466, 0.4578275, 0.40821073])
    assert (m["text"]["context_length"], m["text"]["pad_token_id"]) == (77, 0)
    assert m["lineage"]["source"]["random_init_seed"] == 0

    chips = os.path.join(os.path.dirname(dataset), "chips")
    ref_path = str(tmp_path / "ref.json")
    run_module("reference", "--model-dir", out, "--images", f"{chips}/00000.png,{chips}/00002.png",
               "--texts-file", write_texts(tmp_path), "--out", ref_path)
    ref = json.load(open(ref_path))
    assert [t["input_ids"] for t in ref["texts"]] == clip_bpe.open_clip_ids(TEXTS, 77)
    assert ref["texts"][3]["input_ids"][-1] == 49407  # truncated, EOT kept last
    assert len(ref["images"][0]["patch_embeds"]) == 49
    # The reference rebuilt the seeded weights with open_clip's own attention path.
    assert min(ref["onnx_vs_torch_min_cosine"].values()) > 0.999
    if NODE:
        r = run_node("ref_check.mjs", ref_path)
        assert r["idMismatch"] == 0 and min(r["minTextCos"], r["minImageCos"], r["minPatchCos"]) > 0.999, r


TINY_OC = {"embed_dim": 32, "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "patch_size": 16, "head_width": 32},
           "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2}}


def test_checkpoint_file_with_custom_architecture(dataset, tmp_path):
    import open_clip

    cfg_path = tmp_path / "GeoTest-ViT-Tiny.json"
    cfg_path.write_text(json.dumps(TINY_OC))
    open_clip.add_model_config(str(cfg_path))
    torch.manual_seed(123)
    model = open_clip.create_model("GeoTest-ViT-Tiny", pretrained=None).eval()
    ckpt = tmp_path / "tiny.pt"
    torch.save({"state_dict": {f"module.{k}": v for k, v in model.state_dict().items()}}, ckpt)  # DDP-style keys

    out = str(tmp_path / "model")
    run_module("export_open_clip", "--model", "GeoTest-ViT-Tiny", "--model-config", str(cfg_path), "--checkpoint", str(ckpt),
               "--out", out, "--id", "tiny-oc", "--version", "1", "--license", "MIT")
    m = json.load(open(os.path.join(out, "geoscout-model.json")))
    assert (m["embed_dim"], m["image"]["patch_grid"], m["license"]) == (32, [4, 4], "MIT")

    ref_path = str(tmp_path / "ref.json")
    chips = os.path.join(os.path.dirname(dataset), "chips")
    run_module("reference", "--model-dir", out, "--images", f"{chips}/00003.png", "--texts-file", write_texts(tmp_path),
               "--out", ref_path)
    ref = json.load(open(ref_path))
    with torch.no_grad():
        want = model.encode_text(torch.tensor(clip_bpe.open_clip_ids(TEXTS[:1])), normalize=True)[0]
    # The checkpoint's weights (seed 123), not a fresh random init, are what was exported.
    assert torch.nn.functional.cosine_similarity(torch.tensor(ref["texts"][0]["embedding"]), want, dim=0) > 0.9999
    if NODE:
        r = run_node("ref_check.mjs", ref_path)
        assert r["idMismatch"] == 0 and min(r["minTextCos"], r["minImageCos"]) > 0.999, r


def test_checkpoint_requires_a_license(tmp_path):
    with pytest.raises(AssertionError, match="--license is required"):
        run_module("export_open_clip", "--model", "ViT-B-32", "--checkpoint", str(tmp_path / "x.pt"), "--out",
                   str(tmp_path / "o"), "--id", "x", "--version", "1")
