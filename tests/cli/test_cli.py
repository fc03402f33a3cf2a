"""The command line: help everywhere, the script JSON contract, and one clear line for bad input."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner
from conftest import SAMPLE_BOOK

from narrate.cli.main import cli


def all_commands(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from all_commands(cmd, (*prefix, name))


def test_every_command_has_help():
    runner = CliRunner()
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0 and "render" in result.output
    for path, cmd in all_commands(cli):
        assert cmd.help, f"{path} has no help text"
        res = runner.invoke(cli, [*path, "--help"])
        assert res.exit_code == 0, path
        assert "Usage:" in res.output


def test_script_json_contract():
    path = SAMPLE_BOOK / "01-come-away-with-me.txt"
    res = CliRunner().invoke(cli, ["script", str(path), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    text = path.read_text(encoding="utf-8")
    segs = data["segments"]
    assert segs[0]["start"] == 0 and segs[-1]["end"] == len(text)
    for s in segs:
        assert {"kind", "text", "speaker", "start", "end"} <= set(s)
        assert text[s["start"]:s["end"]] == s["text"]
        assert (s["speaker"] is None) == (s["kind"] == "narration")
    assert {sp["name"]: (sp["gender"], sp["lines"]) for sp in data["speakers"]} == {
        "Jess": ("male", 10), "Rory": ("female", 8)}


def test_script_book_json_summary(tmp_path):
    res = CliRunner().invoke(cli, ["script", str(SAMPLE_BOOK), "-o", str(tmp_path), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert [c["index"] for c in data["chapters"]] == [1, 2]
    for chapter in data["chapters"]:
        assert json.loads(open(chapter["script"], encoding="utf-8").read())  # the file it names
        assert {sp["name"] for sp in chapter["speakers"]} >= {"Jess", "Rory"}


def test_chapter_numbers_sort_in_books_of_100_chapters_or_more(tmp_path):
    from narrate.text.reader import load_book

    for n in range(1, 102):
        (tmp_path / f"ch{n}.txt").write_text(f'Chapter {n}\n\n"Hello," said Ann.\n', encoding="utf-8")
    slugs = [c.slug for c in load_book(tmp_path).chapters]
    assert slugs[0].startswith("001-") and slugs[-1].startswith("101-")
    assert sorted(slugs) == slugs


def test_script_plain_output_lists_speakers():
    res = CliRunner().invoke(cli, ["script", str(SAMPLE_BOOK / "02-chapter-4.txt")])
    assert res.exit_code == 0
    assert "Jess: “Can I buy you some pie Rory?”" in res.output


BAD_INPUTS = {
    "empty.txt": b"",
    "blank.txt": b"   \n\n  \n",
    "binary.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
    "latin1.txt": "Caf\xe9 au lait, said Zo\xeb.".encode("latin-1"),
    "nowords.txt": b"... !!! ---\n\n* * *\n",
    "heading-only.txt": b"Chapter 1\n\n",
}


def test_text_not_in_utf8_is_reported_where_an_editor_shows_it(tmp_path):
    src = tmp_path / "chapter.txt"
    src.write_bytes("Chapter 1\n\nIt was \u00e9t\u00e9 in the caf\u00e9.\n".encode("utf-8")
                    + "Zo\u00eb said so.\n".encode("cp1252"))
    res = CliRunner().invoke(cli, ["script", str(src)])
    assert res.exit_code == 1
    assert res.output.strip() == (f'narrate: error: {src}: line 4, column 3: not valid UTF-8 (byte 0xeb, "\u00eb" in '
                                  "Windows-1252); re-save the file as UTF-8")
    book = tmp_path / "book"
    book.mkdir()
    (book / "01.txt").write_text("Hello there, she said.\n", encoding="utf-8")
    (book / "book.toml").write_bytes('title = "Caf\u00e9"\n'.encode("cp1252"))
    res = CliRunner().invoke(cli, ["script", str(book)])
    assert res.exit_code == 1 and "book.toml: line 1, column 13: not valid UTF-8" in res.output, res.output


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
@pytest.mark.parametrize("command", ["render", "script"])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, name, command):
    if command == "script" and name == "heading-only.txt":
        pytest.skip("a lone heading is text to script; only rendering needs a body")
    src = tmp_path / name
    src.write_bytes(BAD_INPUTS[name])
    out = tmp_path / "out"
    args = [command, str(src)] + (["-o", str(out)] if command == "render" else [])
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 1
    lines = res.output.strip().splitlines()
    assert len(lines) == 1, res.output
    assert lines[0].startswith("narrate: error: ") and name in lines[0]
    assert "Traceback" not in res.output
    assert not out.exists() or not any(out.rglob("*.mp3"))


def test_missing_path(tmp_path):
    res = CliRunner().invoke(cli, ["render", str(tmp_path / "nope"), "-o", str(tmp_path / "o")])
    assert res.exit_code == 1 and "no such file or folder" in res.output
    assert not (tmp_path / "o").exists()


def test_unknown_voice_names_file_and_table(tmp_path):
    vm = tmp_path / "v.toml"
    vm.write_text('[speakers."Jess"]\nvoice = "en-us+zz9"\n', encoding="utf-8")
    res = CliRunner().invoke(cli, ["render", str(SAMPLE_BOOK), "-o", str(tmp_path / "o"), "--voices", str(vm)])
    assert res.exit_code == 1
    assert str(vm) in res.output and '[speakers."Jess"]' in res.output and "zz9" in res.output
    assert not any((tmp_path / "o").rglob("*.mp3"))


def test_unknown_engine(tmp_path):
    vm = tmp_path / "v.toml"
    vm.write_text('[narrator]\nengine = "nosuch"\nvoice = "x"\n', encoding="utf-8")
    res = CliRunner().invoke(cli, ["render", str(SAMPLE_BOOK), "-o", str(tmp_path / "o"), "--voices", str(vm)])
    assert res.exit_code == 1 and "unknown engine 'nosuch'" in res.output and "espeak" in res.output


def test_malformed_voice_map(tmp_path):
    vm = tmp_path / "v.toml"
    vm.write_text('[narrator\nvoice = 3\n', encoding="utf-8")
    res = CliRunner().invoke(cli, ["render", str(SAMPLE_BOOK), "-o", str(tmp_path / "o"), "--voices", str(vm)])
    assert res.exit_code == 1 and "invalid TOML" in res.output and str(vm) in res.output


def test_bad_chapter_spec(tmp_path):
    res = CliRunner().invoke(cli, ["render", str(SAMPLE_BOOK), "-o", str(tmp_path / "o"), "--chapters", "5"])
    assert res.exit_code == 1 and "chapters 1-2" in res.output


@pytest.mark.parametrize("args, message", [
    (["--bitrate", "320"], "bit rate 320 kbps: an MP3 at 22050 Hz has one of 8, 16,"),
    (["--bitrate", "65"], "bit rate 65 kbps: an MP3 at 22050 Hz has one of"),
    (["--acx", "--bitrate", "64"], "--acx encodes at 192 kbps (ACX's rule): leave out --bitrate 64"),
    (["--bitrate", "320", "--chapters", "1", str(SAMPLE_BOOK)], "--bitrate: bit rate 320 kbps"),  # once, not per book
])
def test_a_bit_rate_mp3_cannot_have_is_refused_not_changed_quietly(tmp_path, args, message):
    """LAME took 160 kbps for --bitrate 320 at espeak-ng's 22.05 kHz, 64 for 65, and --acx 192 for 64, saying
    nothing: the render is refused before anything is made."""
    res = CliRunner().invoke(cli, ["render", str(SAMPLE_BOOK), "-o", str(tmp_path / "o"), *args])
    assert res.exit_code == 2 and message in res.output and res.output.count("bit rate") <= 1, res.output
    assert not list((tmp_path / "o").rglob("*.mp3"))


def test_render_single_file_chapter_quiet(tmp_path):
    src = tmp_path / "short-story.txt"
    src.write_text('"Hello," said Anna. "Hi," Tom replied.\n', encoding="utf-8")
    res = CliRunner().invoke(cli, ["render", str(src), "-o", str(tmp_path / "o"), "--quiet", "-j", "1"])
    assert res.exit_code == 0, res.output
    assert res.output == ""
    manifest = json.loads((tmp_path / "o" / "short-story" / "book.json").read_text())
    assert manifest["chapters"][0]["file"] == "01-short-story.mp3"
    assert (tmp_path / "o" / "short-story" / "01-short-story.mp3").stat().st_size > 1000


def test_readme_script_json_example_matches_the_real_output():
    import re

    from conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = next(b for b in readme.split("```json\n")[1:] if '"segments"' in b).split("```", 1)[0]
    shown = [(m["kind"], int(m["start"]), int(m["end"])) for m in re.finditer(
        r'"kind": "(?P<kind>\w+)".*?"start": (?P<start>\d+), "end": (?P<end>\d+)', example, re.S)]
    res = CliRunner().invoke(cli, ["script", str(SAMPLE_BOOK / "01-come-away-with-me.txt"), "--json"])
    real = [(s["kind"], s["start"], s["end"]) for s in json.loads(res.output)["segments"]]
    assert shown == real[:len(shown)] and len(shown) == 3


@pytest.mark.parametrize("spec, message", [
    ("2-1", "--chapters '2-1': the range 2-1 is reversed; write 1-2"),
    ("1,2-1", "--chapters '1,2-1': the range 2-1 is reversed; write 1-2"),
    ("0", "--chapters '0': the book has chapters 1-2"),
    ("1-3", "--chapters '1-3': the book has chapters 1-2"),
])
def test_chapter_spec_errors_say_what_is_wrong(tmp_path, spec, message):
    res = CliRunner().invoke(cli, ["render", str(SAMPLE_BOOK), "-o", str(tmp_path / "o"), "--chapters", spec])
    assert res.exit_code == 1 and res.output.strip() == f"narrate: error: {message}"


def test_output_cut_short_by_a_pipe_is_no_error(tmp_path):
    import subprocess
    import sys

    # `narrate script BIG | head -1`: the reader closes the pipe while far more than a pipe's
    # buffer is still to come; no error line, no traceback.
    big = tmp_path / "big.txt"
    big.write_text("".join(f'"Line number {n} is here," said Ann.\n\n"And {n} more," said Bob.\n\n'
                           for n in range(3000)), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "narrate", "script", str(big)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert err == "" and proc.returncode == 141


def test_render_several_sources_in_turn_a_failing_one_does_not_stop_the_others(tmp_path):
    """Without --cluster, several SOURCEs render one after another here; a table sums them up."""
    from conftest import THREE_ROOMS

    result = CliRunner().invoke(cli, ["render", str(tmp_path / "missing"), str(THREE_ROOMS), "-o",
                                      str(tmp_path / "out"), "--voices-dir", str(tmp_path / "nv"), "-j", "1"])
    assert result.exit_code == 1
    assert (tmp_path / "out" / "three-rooms" / "book.json").is_file()
    table = result.output[result.output.index("book "):].splitlines()
    assert "missing" in table[1] and "none" not in table[1]
    assert "three-rooms" in table[2] and table[2].endswith("none")
    assert result.output.strip().splitlines()[-1].startswith("narrate: error: 1 of 2 books did not finish")


def test_render_verbose_says_what_becomes_of_each_chapter(tmp_path):
    import os
    import subprocess
    import sys

    src = tmp_path / "book"
    src.mkdir()
    (src / "01-one.txt").write_text('"Hi," said Ann.\n', encoding="utf-8")
    (src / "02-two.txt").write_text('"Bye," said Bob.\n', encoding="utf-8")
    env = dict(os.environ, NARRATE_CACHE_DIR=str(tmp_path / "cache"))

    def render(*flags: str) -> list[str]:
        res = subprocess.run([sys.executable, "-m", "narrate", "render", str(src), "-o", str(tmp_path / "o"), "-j", "1",
                              *flags], capture_output=True, text=True, env=env, check=True)
        return [line for line in res.stderr.splitlines() if "INFO" in line]

    assert render() == []
    (src / "02-two.txt").write_text('"Goodbye," said Bob.\n', encoding="utf-8")
    assert render("-v") == ["narrate: INFO: no voice map at voices/book.toml: an automatic cast",
                            "narrate: INFO: 01-one.mp3: unchanged, kept",
                            "narrate: INFO: 02-two.mp3: its text, voices or settings changed: rendered again"]
