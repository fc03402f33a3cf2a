"""Tests for narrate.voices.casting: voice map validation, automatic casting, file round-trips, and
what a voice map change does to rendered audio (real espeak-ng audio, measured)."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import numpy as np
import pytest
from audio_probe import decode_mp3, f0_median
from conftest import THREE_ROOMS, copy_book

from narrate.errors import VoiceMapError
from narrate.model import Voice, VoiceMap
from narrate.voices.casting import (
    MAIN_VOICES,
    MINOR_VOICES,
    NARRATOR,
    auto_cast,
    check_voices,
    find_speaker,
    load_voice_map,
    parse_voice_map,
    speaker_lines,
    speaker_stats,
    update_voice_map_file,
)


def write_book(folder: Path) -> Path:
    """A three-chapter book: Jess and Rory everywhere, minor speaker Luke only in chapter 2."""
    return copy_book(THREE_ROOMS, folder)


# -- validation: every error names the file, the table and the key ----------------------------

def _parse(tmp_path: Path, text: str) -> VoiceMap:
    path = tmp_path / "book.toml"
    path.write_text(text, encoding="utf-8")
    return load_voice_map(path)


GOOD_SPEAKER = '[speakers."Rory"]\nvoice = "en-us+f3"\n'


@pytest.mark.parametrize("text, table, key", [
    ('[narator]\nvoice = "en-us"\n', "[narator]", "unknown table"),
    ('[narrator]\nvoice = "en-us"\nvolume = 3\n', "[narrator]", "'volume'"),
    ('[narrator]\nvoice = "en-us"\ngender = "male"\n', "[narrator]", "'gender'"),
    ('[narrator]\nrate = 170\n', "[narrator]", "'voice'"),
    ('[narrator]\nvoice = ""\n', "[narrator]", "voice must be a non-empty string"),
    ('[narrator]\nvoice = 3\n', "[narrator]", "voice must be a non-empty string"),
    ('[narrator]\nvoice = "en-us"\nengine = 1\n', "[narrator]", "engine must be"),
    ('[narrator]\nvoice = "en-us"\nrate = "fast"\n', "[narrator]", "rate must be a whole number"),
    ('[narrator]\nvoice = "en-us"\nrate = 170.5\n', "[narrator]", "rate must be a whole number"),
    ('[narrator]\nvoice = "en-us"\nrate = true\n', "[narrator]", "rate must be a whole number"),
    ('[narrator]\nvoice = "en-us"\nrate = 5\n', "[narrator]", "found 5"),
    ('[narrator]\nvoice = "en-us"\npitch = 140\n', "[narrator]", "pitch must be a whole number from 0 to 100"),
    ('rate = 170\n[narrator]\nvoice = "en-us"\n', "", "unknown key 'rate' outside any table"),
    ('[narrator]\nvoice = "en-us"\npitch = -1\n', "[narrator]", "pitch"),
    ('narrator = "en-us"\n', "[narrator]", "must be a table"),
    ('[speakers."Rory"]\nvoice = "en-us+f3"\nvoise = "x"\n', '[speakers."Rory"]', "'voise'"),
    ('[speakers."Rory"]\nengine = "espeak"\npitch = 50\n', '[speakers."Rory"]', "'voice'"),  # pitch alone adjusts
    ('[speakers."Rory"]\nvoice = "en-us+f3"\npitch = "high"\n', '[speakers."Rory"]', "pitch"),
    ('[speakers."Rory"]\nvoice = "en-us+f3"\ngender = "girl"\n', '[speakers."Rory"]', "gender must be"),
    ('[speakers."Rory"]\nvoice = "en-us+f3"\naliases = "Ror"\n', '[speakers."Rory"]', "aliases must be a list"),
    ('[speakers."Rory"]\nvoice = "en-us+f3"\naliases = [""]\n', '[speakers."Rory"]', "aliases must be a list"),
    ('[speakers."Rory"]\nvoice = "en-us+f3"\naliases = ["Rory"]\n', '[speakers."Rory"]', "own name"),
    (GOOD_SPEAKER + 'aliases = ["Ror"]\n[speakers."Lorelai"]\nvoice = "en-us+f2"\naliases = ["Ror"]\n',
     '[speakers."Lorelai"]', "already an alias of 'Rory'"),
    (GOOD_SPEAKER + 'aliases = ["Jess"]\n[speakers."Jess"]\nvoice = "en-us+m3"\n',
     "'Jess'", "both a speaker table and an alias"),
    ('speakers = 3\n', "[speakers]", "must be a table"),
    ('[speakers]\nRory = "en-us+f3"\n', '[speakers."Rory"]', "must be a table"),
    ('[defaults]\nvoice = "en-us"\n', "[defaults]", "'voice'"),
    ('[defaults]\nrate = "slow"\n', "[defaults]", "rate must be a whole number"),
    ('defaults = 1\n', "[defaults]", "must be a table"),
])
def test_bad_voice_maps_name_file_table_and_key(tmp_path: Path, text: str, table: str, key: str) -> None:
    with pytest.raises(VoiceMapError) as err:
        _parse(tmp_path, text)
    message = str(err.value)
    assert str(tmp_path / "book.toml") in message
    assert table in message
    assert key in message


def test_unreadable_voice_map_files(tmp_path: Path) -> None:
    with pytest.raises(VoiceMapError, match="voice map not found"):
        load_voice_map(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text('[narrator\nvoice = "x"\n', encoding="utf-8")
    with pytest.raises(VoiceMapError, match=r"bad\.toml: invalid TOML"):
        load_voice_map(bad)
    latin = tmp_path / "latin.toml"
    latin.write_bytes('[speakers."Jos\xe9"]\nvoice = "en-us"\n'.encode("latin-1"))
    with pytest.raises(VoiceMapError, match=r'latin\.toml: line 1, column 15: not valid UTF-8 \(byte 0xe9, "é" in '
                                            r"Windows-1252\); re-save the file as UTF-8$"):
        load_voice_map(latin)


def test_valid_voice_map_with_defaults_and_aliases(tmp_path: Path) -> None:
    vm = _parse(tmp_path, """# comment
[defaults]
rate = 180
pitch = 40

[narrator]
voice = "en-gb"

[speakers."Rory"]
voice = "en-us+f3"
pitch = 60
gender = "female"
aliases = ["Rory Gilmore", "Ror"]
""")
    assert vm.narrator == Voice("espeak", "en-gb", 180, 40)
    assert vm.speakers == {"Rory": Voice("espeak", "en-us+f3", 180, 60)}
    assert vm.canonical("Ror") == "Rory" and vm.canonical("Rory Gilmore") == "Rory"
    assert vm.canonical("Jess") == "Jess"
    assert vm.source == tmp_path / "book.toml"
    # No [narrator] table: the built-in narrator.
    assert parse_voice_map({}, tmp_path / "x.toml").narrator == NARRATOR


def test_check_voices_names_the_table_of_an_unknown_voice(tmp_path: Path) -> None:
    vm = _parse(tmp_path, '[speakers."Rory"]\nvoice = "en-us+f3"\n[speakers."Jess"]\nvoice = "xx-nope+m3"\n')
    with pytest.raises(VoiceMapError, match=r'book\.toml: \[speakers\."Jess"\]: unknown espeak voice'):
        check_voices(vm)
    vm = _parse(tmp_path, '[narrator]\nvoice = "en-us+zz9"\n')
    with pytest.raises(VoiceMapError, match=r"\[narrator\]: unknown espeak variant"):
        check_voices(vm)
    vm = _parse(tmp_path, '[narrator]\nvoice = "en-us"\npitch = 100\n')
    with pytest.raises(VoiceMapError, match=r"\[narrator\]: espeak pitch 100 out of range"):
        check_voices(vm)


# -- automatic casting --------------------------------------------------------------------------

STATS = {
    "Jess": {"gender": "male", "lines": 40}, "Rory": {"gender": "female", "lines": 38},
    "Luke": {"gender": "male", "lines": 12}, "Lorelai": {"gender": "female", "lines": 11},
    "Dean": {"gender": "male", "lines": 5}, "Kirk": {"gender": "unknown", "lines": 4},
    "Taylor": {"gender": "male", "lines": 2}, "Babette": {"gender": "female", "lines": 1},
    "Miss Patty": {"gender": "female", "lines": 1}, "Caesar": {"gender": "male", "lines": 1},
    "Andrew": {"gender": "male", "lines": 1},
}
MAIN = [n for n, s in STATS.items() if s["lines"] >= 3]
MINOR = [n for n in STATS if n not in MAIN]


def ident(v: Voice) -> tuple[str, str]:
    return (v.engine, v.voice)


def builtin_voices() -> list[Voice]:
    return [NARRATOR, *(v for pool in (MAIN_VOICES, MINOR_VOICES) for vs in pool.values() for v in vs)]


def test_every_builtin_voice_is_one_espeak_selects_by_its_own_id() -> None:
    from narrate.voices.engines import get_engine

    espeak = get_engine("espeak")
    for voice in builtin_voices():
        espeak.check_voice(voice)
        # Its own id, not a language tag that only narrate resolves ("en-gb" is the voice "en").
        assert espeak.resolve(voice) == voice.voice
        clip = espeak.synthesize("Where are we going tonight?", voice)
        assert len(clip) > 800 and clip.max > 3000, voice


def test_auto_cast_skips_a_voice_the_engine_refuses(monkeypatch) -> None:
    import narrate.voices.casting as casting

    missing = Voice("espeak", "en-gb-x-nowhere+m6", 175, 34)  # e.g. an espeak-ng build without it
    monkeypatch.setitem(casting.MINOR_VOICES, "male", (missing, *MINOR_VOICES["male"]))
    monkeypatch.setitem(casting.MAIN_VOICES, "female", (missing,))
    stats = {"Sam": {"gender": "male", "lines": 1}, "Kim": {"gender": "unknown", "lines": 1},
             "Ann": {"gender": "female", "lines": 5}, "Lou": {"gender": "male", "lines": 2}}
    cast = auto_cast(stats)
    used = [*cast.speakers.values(), cast.default_male, cast.default_female, cast.default_unknown]
    assert missing not in used
    # A main pool with nothing speakable falls back to the narrator, whose voice is taken: a free minor voice.
    assert cast.speakers["Ann"] == MINOR_VOICES["female"][0]
    check_voices(cast)


def test_a_book_of_minor_and_unknown_speakers_renders_with_the_default_cast(tmp_path: Path) -> None:
    # Issue 14, item 0: the minor pool and the unknown-gender default named "en-gb", which the
    # wheel's espeak-ng does not select, so this failed with "unknown espeak voice 'en-gb'".
    from click.testing import CliRunner

    from narrate.cli.main import cli

    (tmp_path / "ch.txt").write_text('"Where are we going?" asked Sam.\n\n"Home," said Alex.\n\n'
                                     '"Why?" asked Kim.\n', encoding="utf-8")
    res = CliRunner().invoke(cli, ["render", str(tmp_path / "ch.txt"), "-o", str(tmp_path / "out"), "--quiet"])
    assert res.exit_code == 0, res.output
    manifest = json.loads((tmp_path / "out" / "ch" / "book.json").read_text(encoding="utf-8"))
    said = {s["speaker"]: s["voice"] for s in manifest["chapters"][0]["segments"] if s["kind"] == "dialogue"}
    assert set(said) == {"Sam", "Alex", "Kim"}
    assert set(said.values()) <= {v.voice for v in builtin_voices()}


def test_auto_cast_is_deterministic() -> None:
    a = auto_cast(STATS)
    assert a == auto_cast(dict(STATS)) == auto_cast(json.loads(json.dumps(STATS)))
    assert {n: ident(v) for n, v in a.speakers.items()} == {n: ident(v) for n, v in auto_cast(STATS).speakers.items()}
    # Recasting with the result as the existing map changes nothing.
    assert auto_cast(STATS, a).speakers == a.speakers


def test_main_speakers_get_distinct_voices_matching_gender() -> None:
    cast = auto_cast(STATS)
    voices = [ident(cast.speakers[n]) for n in MAIN]
    assert len(set(voices)) == len(voices), voices
    assert ident(cast.narrator) not in voices
    for name in MAIN:
        variant = cast.speakers[name].voice.split("+")[1]
        if STATS[name]["gender"] != "unknown":
            assert variant[0] == STATS[name]["gender"][0], (name, variant)
    assert cast.speakers["Kirk"].voice.split("+")[1][0] in "mf"


def test_minor_speakers_share_a_small_pool() -> None:
    cast = auto_cast(STATS)
    pool = {ident(v) for vs in MINOR_VOICES.values() for v in vs}
    minor = {ident(cast.speakers[n]) for n in MINOR}
    assert minor <= pool
    assert len(minor) < len(MINOR)
    for name in MINOR:
        variant = cast.speakers[name].voice.split("+")[1]
        assert variant[0] == STATS[name]["gender"][0]
    main = {ident(cast.speakers[n]) for n in MAIN}
    assert not minor & main and ident(cast.narrator) not in minor


def test_existing_voices_are_kept_and_avoided() -> None:
    first = MAIN_VOICES["male"][0]
    existing = VoiceMap(narrator=Voice("espeak", MAIN_VOICES["female"][0].voice, 170, 50),
                        speakers={"Luke": dataclasses.replace(first, pitch=first.pitch + 5)},
                        aliases={"Mr. Danes": "Luke"})
    stats = {**STATS, "Mr. Danes": {"gender": "male", "lines": 3}}
    cast = auto_cast(stats, existing)
    assert cast.speakers["Luke"] == existing.speakers["Luke"]  # the user's edit survives
    assert "Mr. Danes" not in cast.speakers  # an alias, not a new speaker
    assert cast.narrator == existing.narrator
    others = [ident(cast.speakers[n]) for n in MAIN if n != "Luke"]
    assert ident(first) not in others  # same voice id at another pitch still counts as taken
    assert ident(existing.narrator) not in others


def test_speaker_stats_sum_over_chapters() -> None:
    from narrate.model import DIALOGUE, Character, Script, Segment

    def script(*speakers: str) -> Script:
        segs = tuple(Segment(DIALOGUE, i, i + 1, "x", speaker=s) for i, s in enumerate(speakers))
        return Script("x" * len(speakers), segs, (Character("Rory", "female"),))

    stats = speaker_stats([script("Jess", "Rory"), script("Rory", "Rory", "Luke")])
    assert list(stats) == ["Rory", "Jess", "Luke"]
    assert stats["Rory"] == {"gender": "female", "lines": 3}
    assert stats["Jess"] == {"gender": "unknown", "lines": 1}


# -- voices/<book>.toml round trips --------------------------------------------------------------

def test_update_creates_then_only_adds(tmp_path: Path) -> None:
    path = tmp_path / "voices" / "book.toml"
    stats = {"Jess": {"gender": "male", "lines": 5}, "Rory": {"gender": "female", "lines": 4}}
    cast, added = update_voice_map_file(path, "Book", stats, dry_run=True)
    assert added == ["Jess", "Rory"] and not path.exists()
    cast, added = update_voice_map_file(path, "Book", stats)
    assert added == ["Jess", "Rory"]
    assert load_voice_map(path).speakers == cast.speakers
    assert load_voice_map(path).narrator == NARRATOR

    # The user edits a value, adds comments and a table of their own, and aliases a name.
    text = path.read_text(encoding="utf-8")
    text = text.replace("pitch = 28", "pitch = 33  # a bit higher")
    text = text.replace("[narrator]", "# who reads the narration\n[narrator]")
    text = text.replace('aliases = []', 'aliases = ["Mariano"]', 1)
    text += "\n[defaults]\nengine = \"espeak\"\n"
    path.write_text(text, encoding="utf-8")
    mtime = path.stat().st_mtime_ns
    cast, added = update_voice_map_file(path, "Book", {**stats, "Mariano": {"gender": "male", "lines": 2}})
    assert added == [] and path.stat().st_mtime_ns == mtime  # nothing new: file untouched

    more = {**stats, "Luke": {"gender": "male", "lines": 9}}
    preview = path.read_text(encoding="utf-8")
    _, added = update_voice_map_file(path, "Book", more, dry_run=True)
    assert added == ["Luke"] and path.read_text(encoding="utf-8") == preview
    cast, added = update_voice_map_file(path, "Book", more)
    assert added == ["Luke"]
    new = path.read_text(encoding="utf-8")
    assert new.startswith(text.rstrip("\n").split("[defaults]")[0].rstrip("\n"))  # everything before kept
    assert "pitch = 33  # a bit higher" in new and "# who reads the narration\n[narrator]" in new
    assert new.index('[speakers.Jess]') < new.index('[speakers.Rory]') < new.index('[speakers.Luke]')
    reread = load_voice_map(path)
    assert reread.speakers["Jess"].pitch == 33
    assert reread.canonical("Mariano") == "Jess"
    assert ident(reread.speakers["Luke"]) != ident(reread.speakers["Jess"])
    assert reread.speakers == cast.speakers


def test_update_refuses_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "book.toml"
    path.write_text('[narrator]\nvoice = "en-us"\nspeed = 3\n', encoding="utf-8")
    with pytest.raises(VoiceMapError, match="'speed'"):
        update_voice_map_file(path, "Book", {"Jess": {"gender": "male", "lines": 5}})
    assert "speakers" not in path.read_text(encoding="utf-8")


def test_find_speaker_and_lines(tmp_path: Path) -> None:
    from narrate.render.pipeline import script_book
    from narrate.text.reader import load_book

    scripts = script_book(load_book(write_book(tmp_path / "book")))
    stats = speaker_stats(scripts)
    vm = VoiceMap(speakers={"Rory": MAIN_VOICES["female"][0]}, aliases={"Ror": "Rory"})
    assert find_speaker("Rory", stats, vm) == "Rory"
    assert find_speaker("ror", stats, vm) == "Rory"
    assert find_speaker("LUKE", stats, vm) == "Luke"
    with pytest.raises(VoiceMapError, match=r"unknown speaker 'Bob' \(known speakers: Jess, Luke, Rory; and Narrator\)"):
        find_speaker("Bob", stats, vm)
    # A map table that names no one in the book (a typo) is not listed, nor found, as a speaker.
    typo = VoiceMap(speakers={"Rorry": MAIN_VOICES["female"][0]})
    with pytest.raises(VoiceMapError, match=r"unknown speaker 'Rorry' \(known speakers: Jess, Luke, Rory; and"):
        find_speaker("Rorry", stats, typo)
    assert find_speaker("Rorry", {}, typo) == "Rorry"  # no book: the map's speakers are all there is
    assert speaker_lines(scripts, vm, "Luke") == ["Only if you pay this time."]
    assert speaker_lines(scripts, vm, "Rory", max_lines=2) == [
        "I couldn't sleep. The house is too quiet.", "Then let's walk to town."]
    assert speaker_lines(scripts, vm, None)[0] == "Chapter 1"  # without body_starts, headings count
    starts = [c.body_start for c in load_book(tmp_path / "book").chapters]
    assert speaker_lines(scripts, vm, None, starts)[0].startswith("Jess sat on the porch steps.")


# -- rendered audio -------------------------------------------------------------------------------

def segment_audio(book_dir: Path) -> list[dict]:
    """Every dialogue/narration segment of book.json with its decoded samples attached."""
    manifest = json.loads((book_dir / "book.json").read_text(encoding="utf-8"))
    out = []
    for chapter in manifest["chapters"]:
        pcm, rate = decode_mp3(book_dir / chapter["file"])
        x = pcm.astype(np.float64)
        for i, seg in enumerate(chapter["segments"]):
            if seg["role"] == "title":
                continue
            a, b = (int(seg[k] * rate / 1000) for k in ("start_ms", "end_ms"))
            out.append({**seg, "chapter": chapter["index"], "n": i, "rate": rate, "x": x[a:b]})
    return out


def speaker_f0(segs: list[dict]) -> dict[str, float]:
    by: dict[str, list[np.ndarray]] = {}
    for s in segs:
        by.setdefault(s["speaker"] or "(narrator)", []).append(s["x"])
    rate = segs[0]["rate"]
    return {k: f0_median(np.concatenate(v), rate) for k, v in by.items()}


def similar(a: dict, b: dict, max_shift_ms: int = 3) -> bool:
    """Same sound at (possibly) shifted positions: same length and, at the best alignment within
    a few ms (book.json positions are whole ms), waveforms that correlate almost perfectly."""
    rate = a["rate"]
    lag = int(rate * max_shift_ms / 1000)
    n = min(len(a["x"]), len(b["x"]))
    if abs(len(a["x"]) - len(b["x"])) > 2 * lag or n <= 4 * lag:
        return False
    x = a["x"][lag:n - lag]
    best = max(float(np.dot(x, b["x"][lag + k:n - lag + k]) /
                     (np.linalg.norm(x) * np.linalg.norm(b["x"][lag + k:n - lag + k]) + 1e-9))
               for k in range(-lag, lag + 1))
    return best > 0.95


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory):
    """Render the book once with the automatic cast written by `update_voice_map_file`."""
    import os

    from narrate.render.pipeline import RenderOptions, render_book

    root = tmp_path_factory.mktemp("render")
    old = os.environ.get("NARRATE_CACHE_DIR")
    os.environ["NARRATE_CACHE_DIR"] = str(root / "cache")
    try:
        src = write_book(root / "three-rooms")
        voices = root / "voices" / "three-rooms.toml"
        from narrate.render.pipeline import script_book
        from narrate.text.reader import load_book

        stats = speaker_stats(script_book(load_book(src)))
        assert list(stats) == ["Jess", "Rory", "Luke"], stats  # the attribution this test builds on
        update_voice_map_file(voices, "Three Rooms", stats)
        opts = RenderOptions(out_dir=root / "out", voices_dir=root / "voices", jobs=1)
        first = render_book(src, opts)
        yield {"src": src, "voices": voices, "opts": opts, "first": first, "segs": segment_audio(first.book_dir)}
    finally:
        if old is None:
            os.environ.pop("NARRATE_CACHE_DIR", None)
        else:
            os.environ["NARRATE_CACHE_DIR"] = old


def test_main_speakers_sound_apart_from_narrator_and_each_other(rendered) -> None:
    assert rendered["first"].rendered == (1, 2, 3)
    f0 = speaker_f0(rendered["segs"])
    narrator, jess, rory = f0["(narrator)"], f0["Jess"], f0["Rory"]
    # Pitch differs by well over a semitone (6 %) between any two of them.
    for a, b in ((narrator, jess), (narrator, rory), (jess, rory)):
        assert abs(a - b) / min(a, b) > 0.12, f0
    assert jess < narrator < rory, f0  # male character, narrator between, female character


def test_unchanged_input_renders_nothing(rendered) -> None:
    from narrate.render.pipeline import render_book

    book_dir = rendered["first"].book_dir
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in book_dir.glob("*.mp3")}
    again = render_book(rendered["src"], rendered["opts"])
    assert again.rendered == () and again.skipped == (1, 2, 3)
    assert {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in book_dir.glob("*.mp3")} == before


def _edit_speaker(path: Path, name: str, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    head, table = text.split(f"[speakers.{name}]", 1)
    assert old in table.split("[", 1)[0]
    path.write_text(head + f"[speakers.{name}]" + table.replace(old, new, 1), encoding="utf-8")


def test_changing_one_speaker_changes_only_that_speaker(rendered) -> None:
    from narrate.render.pipeline import render_book

    book_dir = rendered["first"].book_dir
    before_segs = rendered["segs"]
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in book_dir.glob("*.mp3")}

    # A minor speaker who only speaks in chapter 2: only chapter 2 is rendered again.
    luke = load_voice_map(rendered["voices"]).speakers["Luke"]
    _edit_speaker(rendered["voices"], "Luke", f"pitch = {luke.pitch}", "pitch = 95")
    result = render_book(rendered["src"], rendered["opts"])
    assert result.rendered == (2,) and result.skipped == (1, 3)
    after = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in book_dir.glob("*.mp3")}
    for name, state in after.items():
        assert (state == before[name]) == (not name.startswith("02-")), name
    assert result.manifest["chapters"][1]["synthesized_clips"] == 1  # Luke's one sentence

    after_segs = segment_audio(book_dir)
    assert [(s["chapter"], s["text"]) for s in after_segs] == [(s["chapter"], s["text"]) for s in before_segs]
    for old, new in zip(before_segs, after_segs):
        if old["speaker"] == "Luke":
            f_old, f_new = f0_median(old["x"], old["rate"]), f0_median(new["x"], new["rate"])
            assert f_new > f_old * 1.15, (f_old, f_new)
        else:
            assert similar(old, new), (old["chapter"], old["text"])

    # A main speaker in every chapter: everything re-renders, but only Rory's segments change.
    rory = load_voice_map(rendered["voices"]).speakers["Rory"]
    _edit_speaker(rendered["voices"], "Rory", f"pitch = {rory.pitch}", f"pitch = {rory.pitch - 30}")
    result = render_book(rendered["src"], rendered["opts"])
    assert result.rendered == (1, 2, 3)
    changed = segment_audio(book_dir)
    for old, new in zip(after_segs, changed):
        if old["speaker"] == "Rory":
            f_old, f_new = f0_median(old["x"], old["rate"]), f0_median(new["x"], new["rate"])
            assert f_new < f_old * 0.9, (old["text"], f_old, f_new)
        else:
            assert similar(old, new), (old["chapter"], old["text"])


# -- speaker tables that name nobody ----------------------------------------------------------

def test_unused_speakers_name_the_closest_speaker(tmp_path: Path) -> None:
    from narrate.voices.casting import unused_speakers

    voices = _parse(tmp_path, '[speakers."Rorry"]\nvoice = "en-us"\n[speakers."jess"]\nvoice = "en-us"\n'
                              '[speakers."Lorelai"]\nvoice = "en-us"\naliases = ["Rory"]\n'
                              '[speakers."Zebedee"]\nvoice = "en-us"\n')
    stats = {"Rory": {"gender": "female", "lines": 5}, "Jess": {"gender": "male", "lines": 5}}
    # Lorelai is used through her alias; Rorry and jess are typos; Zebedee is like nobody.
    assert unused_speakers(voices, stats) == [("Rorry", "Rory"), ("jess", "Jess"), ("Zebedee", None)]


def test_render_and_cast_warn_about_a_speaker_the_book_lacks(tmp_path: Path, caplog) -> None:
    from click.testing import CliRunner

    from narrate.cli.main import cli
    from narrate.render.pipeline import RenderOptions, resolve_voices, script_book
    from narrate.text.reader import load_book

    book = load_book(write_book(tmp_path / "three-rooms"))
    vm = tmp_path / "v.toml"
    vm.write_text('[speakers."Rorry"]\nvoice = "en-us+f2"\n', encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="narrate.voices.casting"):
        resolve_voices(book, script_book(book), RenderOptions(voices_path=vm))
    (message,) = [r.getMessage() for r in caplog.records]
    assert message == f'{vm}: [speakers."Rorry"]: no speaker of that name in the book; did you mean "Rory"?'
    res = CliRunner().invoke(cli, ["cast", str(tmp_path / "three-rooms"), "--voices", str(vm), "--dry-run"])
    assert res.exit_code == 0, res.output
    assert f'narrate: WARNING: {vm}: [speakers."Rorry"]: no speaker of that name in the book; did you mean "Rory"?' \
        in res.output


def test_the_books_language_picks_the_default_voices():
    from narrate.voices.casting import NARRATOR, auto_cast, narrator_for

    assert narrator_for("en") == narrator_for("en-US") == narrator_for(None) == NARRATOR
    assert narrator_for("fr-FR").voice in ("fr-fr+m2", "fr+m2")
    assert narrator_for("de").voice == "de+m2"
    assert narrator_for("xx-unknown") == NARRATOR  # no espeak voice: the English narrator, with a warning
    stats = {"Jean": {"gender": "male", "lines": 5}, "Marie": {"gender": "female", "lines": 5}}
    french = auto_cast(stats, language="fr")
    assert french.narrator.voice == "fr+m2"
    assert {v.voice for v in french.speakers.values()} == {"fr+m3", "fr+f3"}
    assert auto_cast(stats).speakers == auto_cast(stats, language="en-GB").speakers  # English: unchanged


def test_more_main_characters_than_main_voices_never_share_a_voice() -> None:
    stats = {f"Woman {k}": {"gender": "female", "lines": 20 - k} for k in range(9)}
    cast = auto_cast(stats)
    voices = [(v.voice, v.pitch) for v in cast.speakers.values()]
    assert len(set(voices)) == len(voices)
    assert all(ident(v) != ident(cast.narrator) for v in cast.speakers.values())


def test_a_first_person_narrators_lines_get_no_voice_of_their_own_in_a_written_map(tmp_path: Path) -> None:
    stats = {"Narrator": {"gender": "unknown", "lines": 30}, "Holmes": {"gender": "male", "lines": 20}}
    cast, added = update_voice_map_file(tmp_path / "b.toml", "B", stats)
    assert added == ["Holmes"] and "Narrator" not in cast.speakers
    # and the others' voices are those a render without a map gives them
    assert cast.speakers["Holmes"] == auto_cast({"Holmes": stats["Holmes"]}).speakers["Holmes"]


def test_a_voice_map_beside_the_book_but_not_where_it_is_looked_for_is_warned_about(tmp_path: Path, caplog,
                                                                                       monkeypatch) -> None:
    """Run from another folder, voices/<book>.toml is not found: a warning names the one beside the book."""
    from narrate.render.pipeline import RenderOptions, resolve_voices, script_book
    from narrate.text.reader import load_book

    project = tmp_path / "project"
    book = load_book(write_book(project / "three-rooms"))
    (project / "voices").mkdir()
    (project / "voices" / "three-rooms.toml").write_text('[speakers."Rory"]\nvoice = "en-us+f2"\n', encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    with caplog.at_level(logging.INFO, logger="narrate.render.pipeline"):
        cast = resolve_voices(book, script_book(book), RenderOptions())
    assert cast.speakers["Rory"].voice != "en-us+f2"  # not used: it is not where it is looked for
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert f"{project / 'voices' / 'three-rooms.toml'} is not used" in warning
    caplog.clear()
    monkeypatch.chdir(project)
    with caplog.at_level(logging.INFO, logger="narrate.render.pipeline"):
        cast = resolve_voices(book, script_book(book), RenderOptions())
    assert cast.speakers["Rory"].voice == "en-us+f2"
    assert [r.getMessage() for r in caplog.records] == ["voice map: voices/three-rooms.toml"]


def test_minor_speakers_never_share_a_voice_a_main_speaker_took() -> None:
    """More women who speak a lot than the main pool has voices: the last of them take minor voices, and the
    women who speak little then share what is left (or a minor voice at another pitch), never a main's voice."""
    stats = {name: {"gender": "female", "lines": 20 - i}
             for i, name in enumerate(["Jo", "Meg", "Beth", "Amy", "Tom", "Marmee"])}
    stats.update({"Hannah": {"gender": "female", "lines": 1}, "Kate": {"gender": "female", "lines": 2}})
    cast = auto_cast(stats)
    main = {name: cast.speakers[name] for name, info in stats.items() if info["lines"] >= 3}
    assert len(set(main.values())) == len(main)
    for name in ("Hannah", "Kate"):
        assert cast.speakers[name] not in main.values(), (name, cast.speakers[name])
        assert cast.speakers[name].voice.split("+")[1][0] == "f"
    assert cast.narrator not in cast.speakers.values()
    # With one minor voice still free, the minor speakers share it.
    stats.pop("Marmee")
    cast = auto_cast(stats)
    assert cast.speakers["Hannah"] == cast.speakers["Kate"] not in [cast.speakers[n] for n in main if n != "Marmee"]
