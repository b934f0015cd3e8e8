"""pyproject.toml declares what setup.sh installs: the same pins, so the venv and a
`pip install ./pipeline/train` on a cluster node agree."""
import re
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def test_pyproject_pins_match_setup_sh():
    project = tomllib.loads((HERE / "pyproject.toml").read_text())["project"]
    declared = {re.split(r"[<>=]", d)[0].strip().lower(): d for d in project["dependencies"] + project["optional-dependencies"]["test"]}
    setup = (HERE / "setup.sh").read_text()
    pins = re.findall(r"([A-Za-z0-9_.-]+)==([0-9][^\s)]*)", setup.split("PIP_PINS=(", 1)[1].split("# constraints.txt", 1)[0])
    assert pins, "setup.sh lists no pins"
    for name, version in pins:
        spec = declared.get(name.lower())
        assert spec is not None, f"{name} is installed by setup.sh but not declared in pyproject.toml"
        if "==" in spec:
            assert spec.endswith(f"=={version}"), f"{name}: setup.sh pins {version}, pyproject says {spec}"
        else:
            assert version.startswith("1.23"), f"{name}: {version} outside {spec}"


def test_every_imported_third_party_module_is_declared():
    project = tomllib.loads((HERE / "pyproject.toml").read_text())["project"]
    names = {re.split(r"[<>=]", d)[0].strip().lower() for d in project["dependencies"]}
    module_to_dist = {"PIL": "pillow", "open_clip": "open-clip-torch", "torch": "torch", "numpy": "numpy", "onnx": "onnx", "onnxruntime": "onnxruntime", "tokenizers": "tokenizers", "ftfy": "ftfy"}
    stdlib = {"__future__", "argparse", "dataclasses", "hashlib", "json", "math", "os", "random", "re", "sys", "time", "typing", "warnings"}
    imported = set()
    for f in (HERE / "geoscout_train").glob("*.py"):
        imported |= set(re.findall(r"^\s*(?:import|from) ([A-Za-z_0-9]+)", f.read_text(), re.M))
    for mod in imported - stdlib - {"geoscout_train"}:
        assert module_to_dist.get(mod, mod) in names, f"geoscout_train imports {mod}, which pyproject.toml does not declare"
