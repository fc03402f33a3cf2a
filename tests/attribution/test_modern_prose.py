"""Attribution on modern prose: names outside the lists of given names, heard only as the subject of a sentence."""

from __future__ import annotations

from narrate.attribution.attribute import discover_characters, script_text
from narrate.model import DIALOGUE

DRIVE = """Marisol drove with both hands on the wheel.

"Okay," said Marisol. "Say it."

Kofi kept his eyes on the road. "Say what?"

"Whatever it is you've been not saying since Accra."

Kofi didn't push. He watched the fields go by.

"Does it snow a lot there?"

"Not much."

Nothing happened for a mile. Nothing moved on the road.
"""


def test_a_name_that_only_starts_sentences_and_acts_is_a_character():
    names = {c.name for c in discover_characters([DRIVE])}
    assert "Kofi" in names
    assert "Nothing" not in names and "Accra" not in names


def test_its_lines_are_its_own():
    lines = [s for s in script_text(DRIVE).segments if s.kind == DIALOGUE]
    assert [s.speaker for s in lines[:4]] == ["Marisol", "Marisol", "Kofi", "Marisol"]
