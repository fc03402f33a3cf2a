"""Planning a chapter's lines: what each line says, as book.json and the transcripts show it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from narrate.attribution.attribute import script_text
from narrate.model import Chapter, Voice, VoiceMap
from narrate.render.plan import plan_chapter


def test_narration_lines_leave_the_quotation_marks_to_the_speech_beside_them():
    text = ('After a while, Jess whispered "Can I buy you some pie, Rory?" She smiled. '
            "\u201cIf I can have coffee.\u201d He wiped away her tears.\n\n"
            "The boys' dog barked at the Smiths'.\n")
    voices = VoiceMap(narrator=Voice("espeak", "en-us+m3", 175, 50))
    lines = plan_chapter(Chapter(1, "One", text, Path("c.txt")), script_text(text), voices)
    said = [(line.kind, line.text) for line in lines[1:]]
    assert said == [("narration", "After a while, Jess whispered"),
                    ("dialogue", "Can I buy you some pie, Rory?"),
                    ("narration", "She smiled."),
                    ("dialogue", "If I can have coffee."),
                    ("narration", "He wiped away her tears."),
                    ("narration", "The boys' dog barked at the Smiths'.")]


def test_a_quotation_corrected_to_narration_leaves_no_marks_on_the_narration_beside_it():
    """A user made a quote narration in its script: its marks still sit in the narration around it."""
    text = ('She smiled through her tears. "If I can have some coffee." He wiped away her tears.\n\n'
            '"Yes," said Jess. And "no," said she.\n')
    voices = VoiceMap(narrator=Voice("espeak", "en-us+m3", 175, 50))
    script = script_text(text)
    corrected = dataclasses.replace(script, segments=tuple(
        dataclasses.replace(seg, kind="narration", speaker=None) if seg.text in ("If I can have some coffee.", "no,")
        else seg for seg in script.segments))
    lines = plan_chapter(Chapter(1, "One", text, Path("c.txt")), corrected, voices)
    assert [(line.kind, line.text) for line in lines[1:]] == [
        ("narration", "She smiled through her tears."), ("narration", "If I can have some coffee."),
        ("narration", "He wiped away her tears."), ("dialogue", "Yes,"), ("narration", "said Jess. And"),
        ("narration", "no,"), ("narration", "said she.")]


def test_marks_that_belong_to_the_words_stay():
    text = ('"Come in," she said.\n\n\'Twas the night before Christmas, and he was reading "Ulysses"\n\n'
            '"Hello," said he. Then came a \u2018bargain\u2019\n\n"Yes."\n')
    voices = VoiceMap(narrator=Voice("espeak", "en-us+m3", 175, 50))
    lines = plan_chapter(Chapter(1, "One", text, Path("c.txt")), script_text(text), voices)
    assert [line.text for line in lines[1:] if line.kind == "narration"] == [
        "she said.", "'Twas the night before Christmas, and he was reading \"Ulysses\"",
        "said he. Then came a \u2018bargain\u2019"]


def test_a_silent_turn_is_a_longer_pause_before_the_next_line():
    """'"..."' as a paragraph of its own is someone saying nothing: a beat the listener hears as a pause."""
    from narrate.audio.settings import Pacing

    text = ('"Are you coming?" asked Rory.\n\n"\u2026"\n\n"Jess?"\n\n"Well?" she said.\n\n\u201c\u2014?\u201d\n\n'
            '"Fine," Jess said.\n\n"Oh\u2026" Rory sighed.\n\n"Good."\n')
    voices = VoiceMap(narrator=Voice("espeak", "en-us+m3", 175, 50))
    lines = plan_chapter(Chapter(1, "One", text, Path("c.txt")), script_text(text), voices)
    pauses = {line.text: line.pause_before for line in lines[1:]}
    assert pauses["Jess?"] == "beat" and pauses["Fine,"] == "beat"
    assert pauses["Well?"] != "beat" and pauses["Good."] != "beat" and pauses["Oh\u2026"] != "beat"
    pacing = Pacing()
    beat = next(line for line in lines if line.text == "Jess?")
    assert pacing.before(beat) == 2 * pacing.speaker_ms > pacing.before(lines[-1])


def test_ornaments_are_scene_breaks():
    from narrate.render.plan import is_scene_break

    assert all(is_scene_break(mark) for mark in ("* * *", "\u2042", "\u2767", "\u2766 \u2766", "\u2022 \u2022 \u2022"))
    assert not is_scene_break("I.") and not is_scene_break("")
