"""An automatic cast stays put between renders: a speaker's voice moves only when the user moves it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from narrate.cli.main import cli
from narrate.render.pipeline import RenderOptions, render_book
from narrate.voices.casting import load_voice_map
from narrate.voices.castrecord import CAST_FILE

ONE = ('"Good morning," said Ben.\n\n"Good morning to you," said Anna.\n\n"Is it raining?" asked Ben.\n\n'
       '"Not yet," said Anna.\n\n"Then we walk," said Ben.\n\n"We walk," said Anna.\n')
# Carl, new in chapter 2, speaks more than Ben in the whole book: an automatic cast made from scratch
# would give him the first male voice, Ben's.
TWO = "".join(f'"Line {n} is mine," said Carl.\n\n"So it is," said Anna.\n\n' for n in range(8))


def _book(tmp_path: Path, chapters: list[str]) -> Path:
    book = tmp_path / "walk"
    book.mkdir(exist_ok=True)
    (book / "book.toml").write_text('title = "Walk"\nauthor = "Test"\n', encoding="utf-8")
    for n, text in enumerate(chapters, 1):
        (book / f"{n:02d}.txt").write_text(f"Chapter {n}\n\n{text}", encoding="utf-8")
    return book


def _voices(book_dir: Path) -> dict[str, str]:
    manifest = json.loads((book_dir / "book.json").read_text(encoding="utf-8"))
    return {seg["speaker"]: seg["voice"] for ch in manifest["chapters"] for seg in ch["segments"] if seg["speaker"]}


def test_a_new_speaker_does_not_take_the_voices_of_those_already_heard(tmp_path):
    opts = RenderOptions(out_dir=tmp_path / "out", voices_dir=tmp_path / "voices", cache_dir=tmp_path / "cache",
                         jobs=1)
    first = render_book(_book(tmp_path, [ONE]), opts)
    before = _voices(first.book_dir)
    assert set(before) == {"Ben", "Anna"} and before["Ben"] != before["Anna"]
    assert (first.book_dir / CAST_FILE).is_file()

    second = render_book(_book(tmp_path, [ONE, TWO]), opts)
    after = _voices(second.book_dir)
    assert second.rendered == (2,) and second.retagged == (1,)  # chapter 1's audio is kept (a new track total)
    assert after["Ben"] == before["Ben"] and after["Anna"] == before["Anna"]
    assert after["Carl"] not in (after["Ben"], after["Anna"])

    # Without the record, the cast is made anew from the counts of lines: Carl takes Ben's voice.
    (second.book_dir / CAST_FILE).unlink()
    third = render_book(_book(tmp_path, [ONE, TWO]), opts)
    assert _voices(third.book_dir)["Carl"] == before["Ben"] and third.rendered == (1, 2)


def test_the_user_map_wins_and_cast_writes_the_voices_heard_so_far(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NARRATE_CACHE_DIR", str(tmp_path / "cache"))
    book = _book(tmp_path, [ONE])
    assert CliRunner().invoke(cli, ["render", str(book), "-q"]).exit_code == 0
    heard = _voices(tmp_path / "output" / "walk")
    _book(tmp_path, [ONE, TWO])
    # `narrate cast` writes the voices rendered so far, not a cast made anew.
    made = CliRunner().invoke(cli, ["cast", str(book)])
    assert made.exit_code == 0, made.output
    mapped = load_voice_map(tmp_path / "voices" / "walk.toml")
    assert mapped.speakers["Ben"].voice == heard["Ben"] and mapped.speakers["Anna"].voice == heard["Anna"]
    assert mapped.speakers["Carl"].voice not in (heard["Ben"], heard["Anna"])
    # The user gives Ben's old voice to Carl: Ben's recorded voice is Carl's now; Ben is cast again.
    path = tmp_path / "voices" / "walk.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(f'voice = "{mapped.speakers["Carl"].voice}"', f'voice = "{heard["Ben"]}"', 1)
                    .replace("[speakers.Ben]", "[speakers.Benjamin]"), encoding="utf-8")
    assert "[speakers.Benjamin]" in path.read_text(encoding="utf-8")
    said = CliRunner().invoke(cli, ["say", "Hello.", str(book), "--speaker", "Ben", "-o", "b.wav"])
    assert said.exit_code == 0, said.output
    assert f"({heard['Ben']}," not in said.output and "of Ben (" in said.output


def test_a_speaker_table_with_only_rate_or_pitch_adjusts_the_automatic_voice(tmp_path, monkeypatch):
    """`[speakers.Ben]` with `pitch = 20` alone: Ben keeps his automatic voice, lower; `narrate cast` writes the
    voice into that table and keeps the pitch; a misspelt such table is warned about like any other."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NARRATE_CACHE_DIR", str(tmp_path / "cache"))
    book = _book(tmp_path, [ONE])
    assert CliRunner().invoke(cli, ["render", str(book), "-q"]).exit_code == 0
    manifest = json.loads((tmp_path / "output" / "walk" / "book.json").read_text(encoding="utf-8"))
    ben = next(s for s in manifest["chapters"][0]["segments"] if s["speaker"] == "Ben")
    assert ben["pitch"] != 20
    (tmp_path / "voices").mkdir()
    path = tmp_path / "voices" / "walk.toml"
    path.write_text('[speakers.Ben]\npitch = 20\n\n[speakers.Bne]\nrate = 150\n', encoding="utf-8")
    again = CliRunner().invoke(cli, ["render", str(book)])
    assert again.exit_code == 0, again.output
    assert 'speakers."Bne"' in again.output and 'did you mean "Ben"' in again.output, again.output
    manifest = json.loads((tmp_path / "output" / "walk" / "book.json").read_text(encoding="utf-8"))
    now = next(s for s in manifest["chapters"][0]["segments"] if s["speaker"] == "Ben")
    assert (now["voice"], now["rate"], now["pitch"]) == (ben["voice"], ben["rate"], 20)
    made = CliRunner().invoke(cli, ["cast", str(book)])
    assert made.exit_code == 0, made.output
    mapped = load_voice_map(path)
    assert (mapped.speakers["Ben"].voice, mapped.speakers["Ben"].pitch) == (ben["voice"], 20)
    # A table with an engine but no voice is still an error that says so.
    path.write_text('[speakers.Ben]\nengine = "espeak"\npitch = 20\n', encoding="utf-8")
    bad = CliRunner().invoke(cli, ["render", str(book), "-q"])
    assert bad.exit_code == 1 and "missing key 'voice'" in bad.output


def test_a_gender_in_the_map_casts_the_automatic_voice_for_it(tmp_path, monkeypatch):
    """`[speakers.Anna]` with `gender = "male"` alone (the book guessed female): Anna is cast and heard in a
    male voice, Ben keeps his; `narrate cast` shows and writes the map's gender."""
    from audio_probe import decode_mp3, f0_median, slice_ms

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NARRATE_CACHE_DIR", str(tmp_path / "cache"))
    book = _book(tmp_path, [ONE])

    def anna_f0_and_voices() -> tuple[float, dict[str, str]]:
        folder = tmp_path / "output" / "walk"
        chapter = json.loads((folder / "book.json").read_text(encoding="utf-8"))["chapters"][0]
        x, rate = decode_mp3(folder / chapter["file"])
        anna = np.concatenate([slice_ms(x, rate, s["start_ms"], s["end_ms"])
                               for s in chapter["segments"] if s["speaker"] == "Anna"])
        return f0_median(anna, rate), _voices(folder)

    assert CliRunner().invoke(cli, ["render", str(book), "-q"]).exit_code == 0
    before_f0, before = anna_f0_and_voices()
    (tmp_path / "voices").mkdir()
    path = tmp_path / "voices" / "walk.toml"
    path.write_text('[speakers.Anna]\ngender = "male"\n', encoding="utf-8")
    again = CliRunner().invoke(cli, ["render", str(book)])
    assert again.exit_code == 0, again.output
    after_f0, after = anna_f0_and_voices()
    assert after["Ben"] == before["Ben"] and after["Anna"] not in (before["Anna"], after["Ben"])
    assert after_f0 < before_f0 * 0.8, (before_f0, after_f0)  # heard lower, not only named otherwise
    shown = CliRunner().invoke(cli, ["cast", str(book)])
    assert shown.exit_code == 0, shown.output
    assert any(line.split()[:2] == ["Anna", "male"] for line in shown.output.splitlines()), shown.output
    mapped = load_voice_map(path)
    assert mapped.speakers["Anna"].voice == after["Anna"] and mapped.genders["Anna"] == "male"


def test_a_voiceless_table_with_aliases_casts_its_speaker_for_their_lines(tmp_path, monkeypatch):
    """`[speakers.Annie]` with `gender` and `aliases = ["Anna"]` but no voice: Anna's lines are Annie's, who is cast
    an automatic voice of that gender (Anna fell to the shared default voice, a man's)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NARRATE_CACHE_DIR", str(tmp_path / "cache"))
    book = _book(tmp_path, [ONE])
    (tmp_path / "voices").mkdir()
    (tmp_path / "voices" / "walk.toml").write_text('[speakers.Annie]\ngender = "female"\naliases = ["Anna"]\n'
                                                   'pitch = 70\n', encoding="utf-8")
    made = CliRunner().invoke(cli, ["render", str(book), "-q"])
    assert made.exit_code == 0, made.output
    manifest = json.loads((tmp_path / "output" / "walk" / "book.json").read_text(encoding="utf-8"))
    anna = {(s["speaker"], s["voice"], s["pitch"]) for s in manifest["chapters"][0]["segments"]
            if s["speaker"] in ("Anna", "Annie")}
    assert len(anna) == 1
    (speaker, voice, pitch), = anna
    assert "+f" in voice and pitch == 70, anna
    record = json.loads((tmp_path / "output" / "walk" / CAST_FILE).read_text(encoding="utf-8"))["speakers"]
    assert (record["Annie"]["gender"], record["Annie"]["tier"]) == ("female", "main")
    # Other speakers coming (Carl, a talker) do not move her voice: the record keeps it for her.
    _book(tmp_path, [ONE, TWO])
    assert CliRunner().invoke(cli, ["render", str(book), "-q"]).exit_code == 0
    manifest = json.loads((tmp_path / "output" / "walk" / "book.json").read_text(encoding="utf-8"))
    assert {s["voice"] for c in manifest["chapters"] for s in c["segments"] if s["speaker"] == "Annie"} == {voice}


def test_a_main_character_who_comes_to_speak_less_keeps_her_voice(tmp_path):
    """Anna's lines given to Ben in a correction leave her under the main characters' count of lines: she
    keeps the voice she had (it moved to a shared minor voice, and every chapter she speaks in was made again),
    and back to more lines she keeps it too."""
    opts = RenderOptions(out_dir=tmp_path / "out", voices_dir=tmp_path / "voices", cache_dir=tmp_path / "cache",
                         jobs=1)
    many = '"One," said Anna.\n\n"Two," said Ben.\n\n"Three," said Anna.\n\n"Four," said Ben.\n\n"Five," said Anna.\n'
    first = render_book(_book(tmp_path, [many]), opts)
    anna = _voices(first.book_dir)["Anna"]
    fewer = many.replace('"Three," said Anna.', '"Three," said Ben.')
    second = render_book(_book(tmp_path, [fewer]), opts)
    assert _voices(second.book_dir)["Anna"] == anna
    third = render_book(_book(tmp_path, [many]), opts)
    assert _voices(third.book_dir)["Anna"] == anna


def test_an_alias_matches_the_books_name_in_any_case(tmp_path, monkeypatch):
    """`aliases = ["anna"]` under `[speakers."Anna Smith"]` is the book's "Anna": her lines take that voice,
    and the table is not warned about as naming no one."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NARRATE_CACHE_DIR", str(tmp_path / "cache"))
    book = _book(tmp_path, [ONE])
    (tmp_path / "voices").mkdir()
    (tmp_path / "voices" / "walk.toml").write_text('[speakers."Anna Smith"]\nvoice = "en-us+f4"\naliases = ["anna"]\n',
                                                   encoding="utf-8")
    made = CliRunner().invoke(cli, ["render", str(book)])
    assert made.exit_code == 0 and "no speaker of that name" not in made.output, made.output
    manifest = json.loads((tmp_path / "output" / "walk" / "book.json").read_text(encoding="utf-8"))
    said = {(s["speaker"], s["voice"]) for s in manifest["chapters"][0]["segments"] if s["speaker"] != "Ben"
            and s["kind"] == "dialogue"}
    assert said == {("Anna Smith", "en-us+f4")}, said


def test_two_speakers_given_one_voice_by_the_map_are_warned_about(tmp_path, monkeypatch):
    """The map gives Ben the narrator's voice, rate and pitch: a warning says a listener cannot tell them apart."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NARRATE_CACHE_DIR", str(tmp_path / "cache"))
    book = _book(tmp_path, [ONE])
    (tmp_path / "voices").mkdir()
    (tmp_path / "voices" / "walk.toml").write_text(
        '[narrator]\nvoice = "en-us+m3"\nrate = 170\npitch = 40\n\n[speakers.Ben]\nvoice = "en-us+m3"\nrate = 170\n'
        'pitch = 40\n\n[speakers.Anna]\nvoice = "en-us+f3"\n', encoding="utf-8")
    made = CliRunner().invoke(cli, ["render", str(book)])
    assert made.exit_code == 0, made.output
    assert '[narrator] and [speakers."Ben"] have the same voice (en-us+m3, rate 170, pitch 40)' in made.output
    assert "Anna" not in made.output.split("same voice")[0]
