"""Tests for editable script files: save, hand-edit, load, validation errors, merging corrections."""

from __future__ import annotations

import json
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from narrate.attribution.attribute import script_text
from narrate.attribution.scriptfile import (
    USER_RULE,
    carry_corrections,
    load_script,
    merge_corrections,
    read_script_file,
    save_script,
    script_to_file_data,
)
from narrate.errors import InputError
from narrate.model import DIALOGUE, NARRATION

TEXT = ('"Good morning, Anne," said Mr. Bell.\n\n'
        '"Good morning," said Anne. "Is it raining?"\n\n'
        'He looked out of the window.\n\n'
        '"Not yet."\n')


@pytest.fixture
def script():
    return script_text(TEXT)


def write(tmp_path: Path, script, auto=None) -> Path:
    path = tmp_path / "script" / "01-morning.json"
    save_script(path, script, "Morning", "texts/morning/01.txt", auto)
    return path


def edit(path: Path, index: int, **changes) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data["segments"][index].update(changes)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def dialogue_index(script, n: int) -> int:
    return [i for i, s in enumerate(script.segments) if s.kind == DIALOGUE][n]


def test_file_data_lists_every_segment_in_order(script):
    data = script_to_file_data(script, "Morning", "src.txt")
    assert data["chapter"] == "Morning" and data["source"] == "src.txt"
    assert [(d["start"], d["end"], d["text"], d["kind"], d["speaker"]) for d in data["segments"]] == [
        (s.start, s.end, s.text, s.kind, s.speaker) for s in script.segments]
    assert all(d["auto_speaker"] == d["speaker"] and d["auto_kind"] == d["kind"] for d in data["segments"])
    assert {c["name"] for c in data["characters"]} == {c.name for c in script.characters} >= {"Mr. Bell"}
    first = data["segments"][dialogue_index(script, 0)]
    assert first["rule"] and first["confidence"] is not None


def test_save_is_one_line_per_segment_mode_0644_and_no_temp_left(tmp_path, script):
    path = write(tmp_path, script)
    raw = path.read_text(encoding="utf-8")
    seg_lines = [line for line in raw.splitlines() if line.startswith(' {"speaker"')]
    assert len(seg_lines) == len(script.segments)
    assert seg_lines[dialogue_index(script, 0)].startswith(' {"speaker": "Mr. Bell", "kind": "dialogue"')
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_round_trip_is_identical(tmp_path, script):
    loaded = load_script(write(tmp_path, script), TEXT)
    assert loaded.segments == script.segments
    assert loaded.characters == script.characters
    assert loaded.text == TEXT


def test_changed_speaker_is_marked_user_and_new_name_becomes_character(tmp_path, script):
    path = write(tmp_path, script)
    i = dialogue_index(script, 3)
    edit(path, i, speaker="The Gardener")
    loaded = load_script(path, TEXT)
    seg = loaded.segments[i]
    assert (seg.speaker, seg.rule, seg.confidence) == ("The Gardener", USER_RULE, 1.0)
    assert any(c.name == "The Gardener" and c.gender == "unknown" for c in loaded.characters)
    others = [s for j, s in enumerate(loaded.segments) if j != i]
    assert others == [s for j, s in enumerate(script.segments) if j != i]


@pytest.mark.parametrize("typed", ["narrator", "The Narrator", " NARRATOR "])
def test_the_narrator_typed_in_any_case_is_the_narrator_not_a_character(tmp_path, script, typed):
    path = write(tmp_path, script)
    i = dialogue_index(script, 3)
    edit(path, i, speaker=typed)
    loaded = load_script(path, TEXT)
    assert loaded.segments[i].speaker == "Narrator"
    assert not [c.name for c in loaded.characters if c.name.casefold() in ("narrator", "the narrator")
                and c.name != "Narrator"]


def test_gender_from_the_characters_list(tmp_path, script):
    path = write(tmp_path, script)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["characters"].append({"name": "Gardener", "gender": "male", "aliases": []})
    data["segments"][dialogue_index(script, 3)]["speaker"] = "Gardener"
    path.write_text(json.dumps(data), encoding="utf-8")
    loaded = load_script(path, TEXT)
    assert [c.gender for c in loaded.characters if c.name == "Gardener"] == ["male"]


def test_kind_can_change_both_ways(tmp_path, script):
    path = write(tmp_path, script)
    d = dialogue_index(script, 3)
    n = next(i for i, s in enumerate(script.segments) if s.kind == NARRATION and "window" in s.text)
    edit(path, d, kind="narration")
    edit(path, n, kind="dialogue", speaker="Mr. Bell")
    loaded = load_script(path, TEXT)
    assert (loaded.segments[d].kind, loaded.segments[d].speaker, loaded.segments[d].rule) == (NARRATION, None, USER_RULE)
    assert (loaded.segments[n].kind, loaded.segments[n].speaker, loaded.segments[n].rule) == (DIALOGUE, "Mr. Bell", USER_RULE)


def test_changed_chapter_text_says_run_script_to_carry_corrections(tmp_path, script):
    path = write(tmp_path, script)
    with pytest.raises(InputError, match=r"01-morning\.json.*text changed.*`narrate script` to carry"):
        load_script(path, TEXT.replace("raining", "snowing"))


def test_edited_segment_text_names_segment_line_and_key(tmp_path, script):
    path = write(tmp_path, script)
    raw = path.read_text(encoding="utf-8").replace('"text": "Not yet."', '"text": "Not now."')
    path.write_text(raw, encoding="utf-8")
    last = len(script.segments) - 2
    line = next(n for n, l in enumerate(raw.splitlines(), 1) if "Not now." in l)
    with pytest.raises(InputError, match=rf'01-morning\.json: segment {last} \(line {line}\): "text"'):
        load_script(path, TEXT)


@pytest.mark.parametrize("key, value, expected", [
    ("kind", "song", r'"kind": expected "dialogue" or "narration"'),
    ("speaker", 3, r'"speaker": expected a name or null'),
    ("start", -1, r'"start": expected a non-negative integer'),
    ("confidence", "high", r'"confidence": expected a number'),
])
def test_bad_values_name_segment_and_key(tmp_path, script, key, value, expected):
    path = write(tmp_path, script)
    edit(path, 1, **{key: value})
    with pytest.raises(InputError, match=r"01-morning\.json: segment 1.*" + expected):
        load_script(path, TEXT)


def test_bad_character_gender(tmp_path, script):
    path = write(tmp_path, script)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["characters"][0]["gender"] = "robot"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError, match=r'character 0: "gender"'):
        load_script(path, TEXT)


def test_malformed_json_names_file_and_line(tmp_path, script):
    path = write(tmp_path, script)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[5] = lines[5].rstrip(",")  # a missing comma, as hand edits do
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(InputError, match=r"01-morning\.json: line \d+: not valid JSON"):
        load_script(path, TEXT)


def test_not_a_script_and_missing_file(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(InputError, match="not a narrate script"):
        load_script(path, TEXT)
    with pytest.raises(InputError, match="cannot read"):
        load_script(tmp_path / "missing.json", TEXT)


def test_gap_between_segments_is_rejected(tmp_path, script):
    path = write(tmp_path, script)
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["segments"][1]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError, match=r'segment 1.*"start".*without gaps'):
        load_script(path, TEXT)


def test_merge_keeps_user_corrections_and_takes_new_automatic_speakers(tmp_path, script):
    path = write(tmp_path, script)
    d = dialogue_index(script, 3)
    edit(path, d, speaker="The Gardener")
    old = load_script(path, TEXT)
    # A newer attributor changes another line's guess: the uncorrected line follows it.
    other = dialogue_index(script, 0)
    new_auto = replace(script, segments=tuple(
        replace(s, speaker="Anne") if i == other else s for i, s in enumerate(script.segments)))
    merged = merge_corrections(old, new_auto)
    assert merged.segments[d].speaker == "The Gardener" and merged.segments[d].rule == USER_RULE
    assert merged.segments[other].speaker == "Anne"
    assert any(c.name == "The Gardener" for c in merged.characters)
    # Saved with the automatic script, the file still shows what narrate guessed.
    save_script(path, merged, "Morning", "src", auto=new_auto)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["segments"][d]["auto_speaker"] == script.segments[d].speaker
    assert load_script(path, TEXT).segments == merged.segments


def test_merge_with_changed_text_returns_the_new_script(script):
    other = script_text(TEXT.replace("raining", "snowing"))
    assert merge_corrections(script, other) is other


def test_unknown_keys_are_reported_with_file_place_and_closest_key(tmp_path, script, caplog):
    import logging

    path = write(tmp_path, script)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["segments"][1]["speakr"] = "Anne"  # a typo: the correction would be lost without a word
    data["characters"][0]["genre"] = "female"
    data["note"] = "mine"
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="narrate.attribution.scriptfile"):
        load_script(path, TEXT)
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert f'{path}: unknown key "note" ignored' in messages
    assert f'{path}: segment 1 (line 33): unknown key "speakr" ignored; did you mean "speaker"?' in messages
    assert f'{path}: character 0: unknown key "genre" ignored; did you mean "gender"?' in messages
    assert len(messages) == 3


def test_a_file_as_saved_has_no_unknown_keys(tmp_path, script, caplog):
    import logging

    with caplog.at_level(logging.WARNING, logger="narrate.attribution.scriptfile"):
        load_script(write(tmp_path, script), TEXT)
    assert not caplog.records


def corrected_file(tmp_path, script, text_of_line: str, speaker: str) -> Path:
    path = write(tmp_path, script)
    edit(path, next(i for i, s in enumerate(script.segments) if s.text == text_of_line), speaker=speaker)
    return path


def speaker_of(script, text: str) -> tuple[str | None, str | None]:
    seg = next(s for s in script.segments if s.text == text)
    return seg.speaker, seg.rule


def test_corrections_follow_an_edit_elsewhere_in_the_chapter(tmp_path, script):
    """Issue 14, item 5: a typo fixed anywhere in the chapter used to make every correction unusable."""
    path = corrected_file(tmp_path, script, "Not yet.", "The Gardener")
    new_text = "It was a grey day.\n\n" + TEXT.replace("out of the window", "out of the kitchen window")
    edited = read_script_file(path)
    assert edited.script.text == TEXT
    merged, lost = carry_corrections(edited.script, script_text(new_text))
    assert lost == ()
    assert speaker_of(merged, "Not yet.") == ("The Gardener", USER_RULE)
    assert merged.text == new_text and any(c.name == "The Gardener" for c in merged.characters)
    assert sum(s.rule == USER_RULE for s in merged.segments) == 1


def test_a_line_nearly_unchanged_keeps_its_correction_a_rewritten_one_is_reported(tmp_path):
    old_text = TEXT.replace("Is it raining?", "Is it rainning outside?")
    old = script_text(old_text)
    path = corrected_file(tmp_path, old, "Not yet.", "The Gardener")
    i = next(i for i, s in enumerate(old.segments) if s.text == "Is it rainning outside?")
    edit(path, i, speaker="Mr. Bell")
    edited = read_script_file(path)
    # The typo in the corrected line is fixed; the other corrected line is rewritten.
    new = script_text(old_text.replace("rainning", "raining").replace('"Not yet."', '"Ask me tomorrow, Anne."'))
    merged, lost = carry_corrections(edited.script, new)
    assert speaker_of(merged, "Is it raining outside?") == ("Mr. Bell", USER_RULE)
    assert [edited.script.segments[n].text for n in lost] == ["Not yet."]
    message = edited.describe(lost[0])
    prefix = f"{path}: segment {lost[0]} (line "
    assert message.startswith(prefix) and message.endswith('): the correction (speaker "The Gardener") of “Not yet.”')
    line = int(message[len(prefix):].split(")")[0])
    segment_object = path.read_text(encoding="utf-8").splitlines()[line - 1:]
    assert segment_object[0].strip() == "{" and '"Not yet."' in "".join(segment_object[:segment_object.index("  }")])


def test_a_script_file_whose_text_fields_were_edited_is_refused(tmp_path, script):
    path = write(tmp_path, script)
    raw = path.read_text(encoding="utf-8").replace('"text": "Not yet."', '"text": "Not now."')
    path.write_text(raw, encoding="utf-8")
    with pytest.raises(InputError, match=r'01-morning\.json: the segments\' "text" was edited'):
        read_script_file(path)
    # Read against the chapter it was written for, the segment edited (to the same length) is named.
    n = next(i for i, seg in enumerate(script.segments) if seg.text == "Not yet.")
    with pytest.raises(InputError, match=rf'01-morning\.json: segment {n} \(line \d+\): the segments\' "text" was edited'):
        read_script_file(path, TEXT)


def test_a_segment_removed_from_a_script_file_is_named_where_it_went_missing(tmp_path, script):
    path = write(tmp_path, script)
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["segments"][3]
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    with pytest.raises(InputError, match=r'01-morning\.json: segment 3 \(line \d+\): the segments\' "text" was edited, '
                                         r'or a segment removed or moved'):
        read_script_file(path)


@pytest.mark.parametrize(("name", "gender"), [("Mrs. Gibbs", "female"), ("Luke Danes", "male"), ("Tommy", "male"),
                                              ("the old woman", "female"), ("Dr. Okafor", "unknown"),
                                              ("Zorblax", "unknown")])
def test_a_name_typed_into_a_script_has_the_gender_its_title_given_name_or_noun_shows(name, gender):
    from narrate.attribution.characters import name_gender

    assert name_gender(name) == gender


def test_an_emptied_speaker_is_warned_about(tmp_path, script, caplog):
    path = write(tmp_path, script)
    data = json.loads(path.read_text(encoding="utf-8"))
    n = next(i for i, seg in enumerate(data["segments"]) if seg["kind"] == "dialogue" and seg["speaker"])
    data["segments"][n]["speaker"] = " "
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    with caplog.at_level("WARNING"):
        read = read_script_file(path)
    assert read.script.segments[n].speaker is None
    assert f'segment {n}' in caplog.text and '"speaker" is empty' in caplog.text
