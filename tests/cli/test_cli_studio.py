"""Tests for narrate.cli.studio: the studio command through click's CliRunner (the server itself is not started)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DATA, copy_book

from narrate.cli import studio as studio_cli
from narrate.cli.main import cli


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_studio_has_help():
    result = run("studio", "--help")
    assert result.exit_code == 0
    assert "--no-browser" in result.output and "127.0.0.1" in result.output


def test_without_the_extra_it_says_which_to_install(monkeypatch):
    monkeypatch.setattr(studio_cli, "missing_extra", lambda: "starlette")
    result = CliRunner().invoke(cli, ["studio", "texts/none"])
    assert result.exit_code == 1
    assert "pip install 'narrate-audiobook[studio]'" in result.output and "starlette" in result.output


def test_studio_scripts_the_book_and_prints_a_link_with_a_token(tmp_path: Path, monkeypatch):
    pytest.importorskip("starlette", reason="the [studio] extra is not installed")
    import narrate.studio.app as app

    served = []
    monkeypatch.setattr(app, "run", served.append)
    monkeypatch.chdir(tmp_path)
    copy_book(DATA / "studio-book", tmp_path / "studio-book")
    result = run("studio", "studio-book", "--no-browser", "--port", "8123")
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8123/?token=" in result.output
    assert len(served) == 1 and served[0].port == 8123
    served[0].sock.close()
    assert (tmp_path / "output" / "studio-book" / "script" / "01-the-kitchen.json").is_file()
    assert (tmp_path / "voices" / "studio-book.toml").is_file()


def test_a_default_install_without_the_extra_runs_and_names_the_extra(tmp_path: Path):
    """With starlette and uvicorn out of reach (as after a plain `pip install`), narrate works and the studio
    command says what to install."""
    import os
    import subprocess
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "voices"))
    from test_without_extras import HIDE_EXTRAS

    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        HIDE_EXTRAS.replace('HIDDEN = ("piper", "onnxruntime")', 'HIDDEN = ("starlette", "uvicorn")'), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]))
    probe = subprocess.run([sys.executable, "-c", "import starlette"], capture_output=True, text=True, env=env)
    assert "No module named 'starlette'" in probe.stderr
    ok = subprocess.run([sys.executable, "-m", "narrate", "--help"], capture_output=True, text=True, env=env)
    assert ok.returncode == 0 and "studio" in ok.stdout
    res = subprocess.run([sys.executable, "-m", "narrate", "studio", str(DATA / "studio-book"), "--no-browser"],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    assert res.returncode == 1
    assert res.stderr.strip() == ("narrate: error: the studio needs the [studio] extra (starlette is not installed): "
                                  "pip install 'narrate-audiobook[studio]'")


def test_a_port_in_use_is_one_line(tmp_path: Path, monkeypatch):
    pytest.importorskip("starlette", reason="the [studio] extra is not installed")
    import socket

    monkeypatch.chdir(tmp_path)
    copy_book(DATA / "studio-book", tmp_path / "studio-book")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli, ["studio", "studio-book", "--no-browser", "--port", str(port)])
    assert result.exit_code == 1
    assert f"narrate: error: cannot listen on 127.0.0.1:{port}: Address already in use" in result.output
