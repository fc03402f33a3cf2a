"""File-system problems on the command line: one line naming the file, exit 1, nothing half-written."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SAMPLE_BOOK, THREE_ROOMS, copy_book, fed_pipe

from narrate.cli.main import cli

CHAPTER = '"Where are we going?" asked Sam.\n\n"Home," said Alex.\n'


def one_error_line(res, *names: str) -> str:
    """The single `narrate: error:` line of a failed command, checked to name each of `names`."""
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1, res.output
    assert lines[0].startswith("narrate: error: ")
    for name in names:
        assert name in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def chapter(tmp_path: Path) -> Path:
    path = tmp_path / "ch.txt"
    path.write_text(CHAPTER, encoding="utf-8")
    return path


@pytest.fixture
def read_only(monkeypatch: pytest.MonkeyPatch):
    """Make folders read-only the way a read-only mount does (root ignores chmod): every
    os.open for writing and every os.mkdir under a registered folder fails with EROFS."""
    folders: list[Path] = []
    real_open, real_mkdir = os.open, os.mkdir

    def blocked(path) -> bool:
        p = Path(os.fsdecode(path)).absolute()
        return any(p == f or f in p.parents for f in folders)

    def fake_open(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and blocked(path):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fsdecode(path))
        return real_open(path, flags, *args, **kwargs)

    def fake_mkdir(path, *args, **kwargs):
        if blocked(path):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fsdecode(path))
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(os, "mkdir", fake_mkdir)
    return lambda folder: folders.append(Path(folder).absolute())


def render(*args: str):
    return CliRunner().invoke(cli, ["render", *args, "-q", "-j", "1"])


# -- output folders ---------------------------------------------------------------------------

def test_render_into_a_file_named_by_o_is_one_line(tmp_path, chapter):
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    line = one_error_line(render(str(chapter), "-o", str(afile)), str(afile))
    assert "is a file, not a folder" in line
    assert afile.read_text() == "keep me"


def test_render_into_a_folder_under_a_file_is_one_line(tmp_path, chapter):
    afile = tmp_path / "afile"
    afile.write_text("")
    line = one_error_line(render(str(chapter), "-o", str(afile / "sub")), str(afile))
    assert "is a file, not a folder" in line


def test_render_into_a_read_only_folder_is_one_line(tmp_path, chapter, read_only):
    out = tmp_path / "out"
    (out / "ch").mkdir(parents=True)  # the book folder exists, as after an earlier render
    read_only(out)
    line = one_error_line(render(str(chapter), "-o", str(out)), str(out / "ch"))
    assert "Read-only file system" in line
    assert list(out.rglob("*")) == [out / "ch"]


def test_render_into_a_new_folder_of_a_read_only_one_is_one_line(tmp_path, chapter, read_only):
    read_only(tmp_path / "out")
    one_error_line(render(str(chapter), "-o", str(tmp_path / "out" / "new")), str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through chmod; the EROFS tests cover it")
def test_render_into_a_chmod_read_only_folder_is_one_line(tmp_path, chapter):
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    try:
        one_error_line(render(str(chapter), "-o", str(out)), str(out))
    finally:
        out.chmod(0o755)
    assert list(out.iterdir()) == []


def test_script_into_a_read_only_folder_is_one_line(tmp_path, read_only):
    out = tmp_path / "out"
    (out / "rory-and-jess" / "script").mkdir(parents=True)
    read_only(out)
    res = CliRunner().invoke(cli, ["script", str(SAMPLE_BOOK), "-o", str(out)])
    line = one_error_line(res, str(out / "rory-and-jess" / "script"))
    assert "Read-only file system" in line


def test_cast_into_a_read_only_folder_is_one_line(tmp_path, read_only):
    book = copy_book(THREE_ROOMS, tmp_path / "three-rooms")
    voices = tmp_path / "voices"
    voices.mkdir()
    read_only(voices)
    res = CliRunner().invoke(cli, ["cast", str(book), "--voices-dir", str(voices)])
    # The cast table is printed after the file is written, so the error is the whole output.
    line = one_error_line(res, str(voices / "three-rooms.toml"))
    assert "Read-only file system" in line
    assert list(voices.iterdir()) == []


def test_an_unforeseen_os_error_is_one_line_naming_the_file(tmp_path, chapter, monkeypatch):
    import narrate.render.pipeline as pipeline

    def boom(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", "/somewhere/book.json")

    monkeypatch.setattr(pipeline, "render_book", boom)
    line = one_error_line(render(str(chapter), "-o", str(tmp_path / "o")))
    assert line == "narrate: error: /somewhere/book.json: Permission denied"


# -- inputs -----------------------------------------------------------------------------------

def test_unreadable_book_toml_is_one_line(tmp_path, monkeypatch):
    book = copy_book(THREE_ROOMS, tmp_path / "three-rooms")
    real_text, real_bytes = Path.read_text, Path.read_bytes

    def refused(real):
        def read(self, *args, **kwargs):
            if self.name == "book.toml":
                raise PermissionError(errno.EACCES, "Permission denied", str(self))
            return real(self, *args, **kwargs)
        return read

    monkeypatch.setattr(Path, "read_text", refused(real_text))
    monkeypatch.setattr(Path, "read_bytes", refused(real_bytes))
    line = one_error_line(render(str(book), "-o", str(tmp_path / "o")), str(book / "book.toml"))
    assert "cannot read (Permission denied)" in line
    assert not (tmp_path / "o").exists()


def test_book_toml_that_is_a_folder_is_one_line(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    (book / "01.txt").write_text(CHAPTER, encoding="utf-8")
    (book / "book.toml").mkdir()
    res = CliRunner().invoke(cli, ["script", str(book), "-o", str(tmp_path / "o")])
    assert "is a folder" in one_error_line(res, str(book / "book.toml"))


@pytest.mark.parametrize("command", ["render", "script"])
def test_dev_null_is_empty_for_render_as_for_script(tmp_path, command):
    args = [command, os.devnull] + (["-o", str(tmp_path / "o"), "-q", "-j", "1"] if command == "render" else [])
    res = CliRunner().invoke(cli, args)
    assert one_error_line(res, os.devnull).endswith("file is empty")
    assert not (tmp_path / "o").exists()


def test_render_reads_a_pipe_once_like_script(tmp_path):
    with fed_pipe(tmp_path / "63", CHAPTER) as fifo:
        res = render(str(fifo), "-o", str(tmp_path / "o"))
    assert res.exit_code == 0, res.output
    # Named by its heading, or "Untitled": "63" is only the pipe's descriptor number.
    assert (tmp_path / "o" / "untitled" / "01-untitled.mp3").stat().st_size > 1000


def test_a_voice_map_with_a_duplicate_key_is_one_line(tmp_path, chapter):
    vm = tmp_path / "dup.toml"
    vm.write_text('[narrator]\nvoice = "en-us"\nvoice = "en"\n', encoding="utf-8")
    line = one_error_line(render(str(chapter), "-o", str(tmp_path / "o"), "--voices", str(vm)), str(vm))
    assert "invalid TOML" in line and "line 3" in line
    vm.write_text('[speakers."Sam"]\nvoice = "en-us"\n[speakers."Sam"]\nvoice = "en"\n', encoding="utf-8")
    res = CliRunner().invoke(cli, ["cast", str(chapter), "--voices", str(vm)])
    assert "line 3" in one_error_line(res, str(vm))


# -- preview and cover files ------------------------------------------------------------------

@pytest.mark.parametrize("where, problem", [
    ("missing/dir/x.wav", "folder {tmp}/missing/dir does not exist"),
    ("afile/x.wav", "{tmp}/afile is a file, not a folder"),
])
def test_preview_into_a_folder_that_does_not_exist_is_one_line(tmp_path, where, problem):
    (tmp_path / "afile").write_text("")
    out = tmp_path / where
    res = CliRunner().invoke(cli, ["preview", "--voice", "en-us", "--text", "Hi.", "-o", str(out)])
    line = one_error_line(res, str(out))
    assert line.endswith(f"cannot write ({problem.format(tmp=tmp_path)})")
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("name, data, problem", [
    ("cover.jpg", b"not an image at all", "is not a JPEG or PNG image"),
    ("cover.png", b"\xff\xd8\xff\xe0 a JPEG", "is a JPEG image; name it .jpg"),
    ("cover.jpg", b"", "is not a JPEG or PNG image"),
])
def test_a_cover_that_is_not_its_image_is_one_line_naming_book_toml(tmp_path, name, data, problem):
    book = copy_book(THREE_ROOMS, tmp_path / "three-rooms")
    (book / name).write_bytes(data)
    with open(book / "book.toml", "a", encoding="utf-8") as fh:
        fh.write(f'cover = "{name}"\n')
    line = one_error_line(render(str(book), "-o", str(tmp_path / "o")), str(book / "book.toml"), name)
    assert line.endswith(problem)
    assert not (tmp_path / "o").exists()


def test_a_real_png_cover_is_accepted(tmp_path):
    from narrate.text.reader import load_book

    book = copy_book(THREE_ROOMS, tmp_path / "three-rooms")
    (book / "cover.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with open(book / "book.toml", "a", encoding="utf-8") as fh:
        fh.write('cover = "cover.png"\n')
    assert load_book(book).cover == (book / "cover.png").resolve()
