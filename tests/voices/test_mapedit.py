"""Tests for narrate.voices.mapedit: one voice-map table edited in place, comments and order kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from narrate.errors import VoiceMapError
from narrate.model import Voice
from narrate.voices.casting import load_voice_map
from narrate.voices.mapedit import merge_speaker, set_voice

MAP = '''# my cast notes
[narrator]
engine = "espeak"
voice = "en-gb-x-rp+m2"  # the usual narrator
rate = 165
pitch = 62

[speakers."Jess"]
voice = "en-us+m3"
rate = 175
pitch = 28
gender = "male"
aliases = ["J"]

# Rory sounds younger
[speakers."Rory"]
voice = "en-us+f3"
rate = 175
pitch = 58
'''


@pytest.fixture
def path(tmp_path: Path) -> Path:
    p = tmp_path / "book.toml"
    p.write_text(MAP, encoding="utf-8")
    return p


def test_set_voice_changes_one_table_and_keeps_the_rest(path):
    cast = set_voice(path, "Rory", Voice("espeak", "en-us+f2", 160, 66))
    assert cast.speakers["Rory"] == Voice("espeak", "en-us+f2", 160, 66)
    text = path.read_text(encoding="utf-8")
    assert "# my cast notes" in text and "# Rory sounds younger" in text and "# the usual narrator" in text
    assert text.index('[speakers."Jess"]') < text.index('[speakers."Rory"]')
    assert load_voice_map(path).speakers["Jess"] == Voice("espeak", "en-us+m3", 175, 28)


def test_set_voice_of_the_narrator_and_of_a_new_speaker(path):
    set_voice(path, None, Voice("espeak", "en-gb-x-rp+m3", 150, 50))
    set_voice(path, "Luke", Voice("espeak", "en+m1", 170, 40))
    cast = load_voice_map(path)
    assert cast.narrator.voice == "en-gb-x-rp+m3" and cast.speakers["Luke"].voice == "en+m1"
    assert "# the usual narrator" in path.read_text(encoding="utf-8")


def test_merge_makes_the_old_name_and_its_aliases_aliases_of_the_new(path):
    cast = merge_speaker(path, "Jess", "Jess Mariano", Voice("espeak", "en-us+m3", 175, 28))
    assert "Jess" not in cast.speakers
    assert cast.speakers["Jess Mariano"] == Voice("espeak", "en-us+m3", 175, 28)
    assert cast.aliases == {"Jess": "Jess Mariano", "J": "Jess Mariano"}
    assert 'gender = "male"' in path.read_text(encoding="utf-8")  # the speaker keeps its gender
    cast = merge_speaker(path, "Rory", "Jess Mariano", Voice())
    assert list(cast.speakers) == ["Jess Mariano"] and cast.canonical("Rory") == "Jess Mariano"
    assert cast.speakers["Jess Mariano"].voice == "en-us+m3"  # merging into a speaker keeps its voice


@pytest.mark.parametrize(("old", "new", "message"), [
    ("Jess", "Jess", "the same speaker"),
    ("Jess", "J", "the same speaker"),
    ("J", "Rory", "already another name of 'Jess'"),
    ("Jess", "  ", "the new name is empty"),
])
def test_merge_refuses_what_makes_no_sense_and_writes_nothing(path, old, new, message):
    with pytest.raises(VoiceMapError, match=message):
        merge_speaker(path, old, new, Voice())
    assert path.read_text(encoding="utf-8") == MAP


def test_a_broken_map_is_reported_not_edited(path):
    path.write_text(MAP + "\n[speakers.\"Rory\"]\n", encoding="utf-8")
    with pytest.raises(VoiceMapError, match="invalid TOML"):
        set_voice(path, "Rory", Voice())
