"""Without the piper extra installed, the default espeak path is unchanged and piper voices fail clearly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import SAMPLE_BOOK

# Installed as sitecustomize in the child processes (spawned render workers too, through PYTHONPATH):
# every optional heavy package looks uninstalled, as after a plain `pip install narrate`.
HIDE_EXTRAS = '''
import importlib.abc, importlib.util, sys

HIDDEN = ("piper", "onnxruntime")


class _NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _NotInstalled())
_find_spec = importlib.util.find_spec
importlib.util.find_spec = lambda name, *a, **k: None if name.split(".")[0] in HIDDEN else _find_spec(name, *a, **k)
'''


def env_without_extras(tmp_path: Path) -> dict[str, str]:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(HIDE_EXTRAS, encoding="utf-8")
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]))


def run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "narrate", *args], capture_output=True, text=True,
                          env=env_without_extras(tmp_path), timeout=300, cwd=tmp_path)


def test_default_render_needs_no_extra(tmp_path):
    probe = subprocess.run([sys.executable, "-c", "import onnxruntime"], capture_output=True, text=True,
                           env=env_without_extras(tmp_path), timeout=60)
    assert "No module named 'onnxruntime'" in probe.stderr  # the extra really is out of reach
    res = run(["render", str(SAMPLE_BOOK / "02-chapter-4.txt"), "-o", "out", "-j", "2", "-q"], tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    manifest = json.loads((tmp_path / "out" / "02-chapter-4" / "book.json").read_text(encoding="utf-8"))
    (chapter,) = manifest["chapters"]
    assert {s["engine"] for s in chapter["segments"]} == {"espeak"}
    assert (tmp_path / "out" / "02-chapter-4" / chapter["file"]).stat().st_size == chapter["bytes"]


def test_a_piper_voice_map_without_the_extra_is_one_clear_line(tmp_path):
    vm = tmp_path / "v.toml"
    vm.write_text('[narrator]\nengine = "piper"\nvoice = "en_US-joe-medium"\n', encoding="utf-8")
    res = run(["render", str(SAMPLE_BOOK / "02-chapter-4.txt"), "-o", "out", "--voices", str(vm)], tmp_path)
    assert res.returncode != 0
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'narrate-audiobook[piper]'" in lines[0], res.stderr
    assert not (tmp_path / "out" / "02-chapter-4" / "book.json").exists()
