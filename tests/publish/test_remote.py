"""Outputs on S3 (-o s3://...), against moto's local S3 server: each file whole, book.json last, resumed anywhere."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from conftest import THREE_ROOMS, copy_book
from mutagen.id3 import ID3

from narrate.cli import cli
from narrate.publish import remote as remote_mod


@pytest.fixture()
def staging_here(tmp_path, monkeypatch):
    """Staging folders under the test's folder, not the user's cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg"


def test_a_book_rendered_to_s3_is_uploaded_whole_book_json_last_and_resumes_elsewhere(s3, tmp_path, staging_here,
                                                                                        monkeypatch):
    import s3fs

    url = f"{s3}/books"
    book = copy_book(THREE_ROOMS, tmp_path / "three-rooms")
    uploaded: list[str] = []
    put_whole = remote_mod.put_whole

    def record(fs, local, path, atomic):
        uploaded.append(path.rsplit("/", 1)[-1])
        put_whole(fs, local, path, atomic)

    monkeypatch.setattr(remote_mod, "put_whole", record)
    args = ["render", str(book), "-o", url, "--voices-dir", str(tmp_path / "nv"), "-j", "1", "-q"]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert uploaded[-1] == "book.json" and sorted(uploaded[:-1]) == ["01-the-porch.mp3", "02-the-diner.mp3",
                                                                      "03-the-bridge.mp3"]
    fs = s3fs.S3FileSystem()
    manifest = json.loads(fs.cat_file("narrate-test/books/three-rooms/book.json"))
    assert [c["file"] for c in manifest["chapters"]] == ["01-the-porch.mp3", "02-the-diner.mp3", "03-the-bridge.mp3"]
    for chapter in manifest["chapters"]:
        local = tmp_path / chapter["file"]
        fs.get_file(f"narrate-test/books/three-rooms/{chapter['file']}", str(local))
        assert local.stat().st_size == chapter["bytes"]
        assert str(ID3(local)["TIT2"]) == chapter["title"]

    # Another machine (no staging folder): what is on S3 is kept; a chapter gone from the book leaves S3 too.
    shutil.rmtree(staging_here)
    (book / "03-the-bridge.txt").unlink()
    uploaded.clear()
    again = CliRunner().invoke(cli, [*args[:-1]])
    assert again.exit_code == 0, again.output
    assert "0 rendered, 2 re-tagged, 0 unchanged" in again.output  # track n/2 now: tags only, no audio
    assert uploaded[-1] == "book.json"
    assert sorted(p.rsplit("/", 1)[-1] for p in fs.find("narrate-test/books/three-rooms")) == [
        "01-the-porch.mp3", "02-the-diner.mp3", "book.json"]
    fs.get_file("narrate-test/books/three-rooms/01-the-porch.mp3", str(tmp_path / "retagged.mp3"))
    assert str(ID3(tmp_path / "retagged.mp3")["TRCK"]) == "1/2"


def test_an_output_url_without_the_extra_is_one_line(tmp_path, staging_here):
    result = CliRunner().invoke(cli, ["render", str(THREE_ROOMS), "-o", "nosuchproto://x/y", "-j", "1"])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("narrate: error: nosuchproto://x/y") and "Traceback" not in result.output
