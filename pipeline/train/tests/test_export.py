"""Export of a trained tiny model: ONNX parity, dynamic batch, manifest contract, reference JSON."""
import json
import os
import shutil
import subprocess

import numpy as np
import pytest
import torch
from conftest import REPO, node_available, run_module, run_node

from geoscout_train.checkpoint import load_model
from geoscout_train.export_onnx import ImageGraph
from geoscout_train.onnx_utils import check_parity, session


@pytest.fixture(scope="module")
def model_dir(tiny_run, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("model"))
    p = run_module("export_onnx", "--checkpoint", os.path.join(tiny_run, "last.pt"), "--out", out,
                   "--id", "geoscout-tiny", "--version", "0.1.0")
    assert all(v > 0.999 for v in json.loads(p.stdout)["parity_min_cosine"].values())
    return out


def test_manifest_follows_the_contract(model_dir, tiny_run):
    m = json.load(open(os.path.join(model_dir, "geoscout-model.json")))
    model, enc, _ = load_model(os.path.join(tiny_run, "last.pt"))
    cfg = model.cfg
    assert (m["id"], m["version"], m["family"], m["embed_dim"]) == ("geoscout-tiny", "0.1.0", "clip", cfg.embed_dim)
    assert m["image"] == {"onnx": "image.onnx", "input_size": cfg.image_size, "mean": list(cfg.mean),
                          "std": list(cfg.std), "crop": "none", "inputs": {"pixel_values": "pixel_values"},
                          "outputs": {"embeds": "image_embeds", "patch_embeds": "patch_embeds"},
                          "patch_grid": [cfg.grid, cfg.grid]}
    assert m["text"]["context_length"] == cfg.context_length and m["text"]["pad_token_id"] == 0
    assert m["text"]["inputs"] == {"input_ids": "input_ids", "attention_mask": None}
    assert m["license"] == "Apache-2.0" and m["card"] == "MODEL_CARD.md"
    assert m["logit_scale"] == pytest.approx(model.logit_scale.exp().item())
    assert m["lineage"]["training_data"]["n_train"] > 0 and m["lineage"]["epochs"] == 12
    for f in ("image.onnx", "text.onnx", "tokenizer.json", "MODEL_CARD.md"):
        assert os.path.getsize(os.path.join(model_dir, f)) > 0
    assert "## Use" in open(os.path.join(model_dir, "MODEL_CARD.md")).read()


@pytest.mark.skipif(not (node_available("tsx", "zod") and shutil.which("node")), reason="tsx/zod not installed")
def test_manifest_validates_with_the_typescript_schema(model_dir, tmp_path):
    script = tmp_path / "validate.mts"
    schema = os.path.join(REPO, "pipeline", "models", "manifest.ts")
    script.write_text(f"import {{ readFileSync }} from 'node:fs';\nimport {{ ModelManifestSchema }} from {json.dumps(schema)};\n"
                      f"const m = ModelManifestSchema.parse(JSON.parse(readFileSync({json.dumps(model_dir + '/geoscout-model.json')}, 'utf8')));\n"
                      "console.log(JSON.stringify(m));\n")
    p = subprocess.run(["node", "--import", "tsx", str(script)], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["image"]["patch_grid"] == [4, 4]


def test_onnx_runs_any_batch_size_and_matches_torch(model_dir, tiny_run):
    model, enc, _ = load_model(os.path.join(tiny_run, "last.pt"))
    s = model.cfg.image_size
    px = torch.randn(5, 3, s, s)
    ids = enc(["a red circle", "blue squares on bare ground", "", "x" * 200, "an aerial view of a yellow triangle"])
    img, patches = session(os.path.join(model_dir, "image.onnx")).run(None, {"pixel_values": px.numpy()})
    txt = session(os.path.join(model_dir, "text.onnx")).run(None, {"input_ids": ids.numpy()})[0]
    with torch.no_grad():
        ti, tp = model.encode_image(px, with_patches=True)
        tt = model.encode_text(ids)
    assert img.shape == (5, model.cfg.embed_dim) and patches.shape == (5, model.cfg.grid ** 2, model.cfg.embed_dim)
    np.testing.assert_allclose(img, ti.numpy(), atol=1e-4)
    np.testing.assert_allclose(patches, tp.numpy(), atol=1e-4)
    np.testing.assert_allclose(txt, tt.numpy(), atol=1e-4)


def test_parity_gate_fails_loudly_on_a_mismatch(model_dir, tiny_run):
    model, _, _ = load_model(os.path.join(tiny_run, "last.pt"))
    with torch.no_grad():
        model.visual.proj.weight.add_(torch.randn_like(model.visual.proj.weight))  # torch now differs from the file
    s = model.cfg.image_size
    with pytest.raises(RuntimeError, match="parity FAILED"):
        check_parity(ImageGraph(model), os.path.join(model_dir, "image.onnx"), torch.randn(2, 3, s, s),
                     "pixel_values", ["image_embeds", "patch_embeds"])


def test_reference_json_for_a_geoscout_model(model_dir, dataset, tmp_path):
    chips = os.path.join(os.path.dirname(dataset), "chips")
    texts = tmp_path / "texts.txt"
    texts.write_text("a red circle\nan aerial view of a blue square\n")
    out = str(tmp_path / "ref.json")
    run_module("reference", "--model-dir", model_dir, "--images", f"{chips}/00000.png,{chips}/00001.png",
               "--texts-file", str(texts), "--out", out)
    ref = json.load(open(out))
    assert ref["source"] == "geoscout" and len(ref["texts"]) == 2 and len(ref["images"]) == 2
    assert all(v > 0.999 for v in ref["onnx_vs_torch_min_cosine"].values())
    assert len(ref["texts"][0]["input_ids"]) == ref["context_length"]
    px = np.fromfile(os.path.join(tmp_path, ref["images"][0]["pixel_values_file"]), dtype="<f4")
    assert px.size == 3 * ref["input_size"] ** 2
    if node_available("@huggingface/tokenizers", "onnxruntime-node"):
        r = run_node("ref_check.mjs", out)
        assert r["idMismatch"] == 0 and min(r["minTextCos"], r["minImageCos"], r["minPatchCos"]) > 0.999, r


def test_model_card_says_whether_a_model_was_fine_tuned():
    """A fine-tune's card must not claim training from scratch: its epochs are its stage's."""
    from geoscout_train.export_onnx import model_card
    with open(os.path.join(REPO, "models", "geoscout-mini", "geoscout-model.json")) as f:
        m = json.load(f)
    lin = m["lineage"]
    scratch = {**lin, "training_data": {**lin["training_data"], "init_from": None}}
    tuned = {**lin, "training_data": {**lin["training_data"], "init_from": "runs/base/last.pt"}}
    assert "trained from scratch" in model_card(m, scratch)
    assert "this stage:" not in model_card(m, scratch)
    card = model_card(m, tuned)
    assert "fine-tuned from `runs/base/last.pt`" in card and "this stage: trained for" in card
