"""Stitching: exact pause lengths and timeline positions, with a fake engine of known durations."""

from __future__ import annotations

import numpy as np
import pytest
from fake_engine import FakeEngine

from narrate.audio.stitch import Pacing, stitch
from narrate.model import Chapter, Script, Segment, Voice, VoiceMap
from narrate.render.plan import plan_chapter
from narrate.voices.engines import register_engine
from narrate.voices.synth import ClipCache, sentences, synthesize_text

RATE = 22050


@pytest.fixture()
def fake():
    engine = FakeEngine()
    register_engine("fake", lambda: engine)
    return engine


def clip_ms(text):
    # Each word is 100 ms; the synth stage trims the 50 ms pads but keeps a 15 ms margin each side.
    return len(text.split()) * 100 + 30


def make_script(text, parts):
    segs, pos = [], 0
    for kind, chunk, para, speaker in parts:
        start = text.index(chunk, pos)
        if start > pos:
            segs.append(Segment("narration", pos, start, text[pos:start], para))
        segs.append(Segment(kind, start, start + len(chunk), chunk, para, speaker))
        pos = start + len(chunk)
    if pos < len(text):
        segs.append(Segment("narration", pos, len(text), text[pos:], parts[-1][2]))
    return Script(text, tuple(segs))


def test_sentences_and_speakable_text():
    assert sentences("One two. Three four! Five?") == ["One two.", "Three four!", "Five?"]
    assert sentences('" said Jess. ') == ["said Jess."]
    assert sentences("--") == []
    assert sentences("Don't _ever_ say 'no'--please.") == ["Don't ever say no, please."]


def test_pauses_and_positions_are_exact(fake, tmp_path):
    text = "Title line\n\nAnn walked in. She sat.\n\n\"Hi there,\" said Bob.\n\n* * *\n\nLater on."
    script = make_script(text, [
        ("narration", "Ann walked in. She sat.", 0, None),
        ("dialogue", "Hi there,", 1, "Bob"),
        ("narration", "said Bob.", 1, None),
        ("narration", "* * *", 2, None),
        ("narration", "Later on.", 3, None),
    ])
    chapter = Chapter(1, "Title line", text, tmp_path / "c.txt", body_start=text.index("Ann"))
    voices = VoiceMap(narrator=Voice("fake", "low", 175, 50), speakers={"Bob": Voice("fake", "high", 175, 50)})
    lines = plan_chapter(chapter, script, voices)
    assert [ln.pause_before for ln in lines] == ["head", "title", "speaker", "segment", "scene"]
    clips = [synthesize_text(ln.text, ln.voice, RATE, ClipCache(tmp_path / "cache")) for ln in lines]
    pacing = Pacing()
    out = stitch(lines, clips, pacing, RATE)
    p = out.placed
    assert p[0].start_ms == pacing.head_ms
    assert p[0].end_ms - p[0].start_ms == clip_ms("Title line")
    assert p[1].start_ms - p[0].end_ms == pacing.title_ms
    # Two sentences in one segment: two clips and one sentence pause.
    assert p[1].end_ms - p[1].start_ms == clip_ms("Ann walked in.") + pacing.sentence_ms + clip_ms("She sat.")
    assert p[2].start_ms - p[1].end_ms == pacing.speaker_ms
    assert p[2].line.speaker == "Bob" and p[2].line.voice.voice == "high"
    assert p[3].start_ms - p[2].end_ms == pacing.segment_ms
    assert p[4].start_ms - p[3].end_ms == pacing.scene_ms
    assert out.scene_starts_ms == (p[4].start_ms - pacing.scene_ms // 2,)
    assert len(out.audio) == p[4].end_ms + pacing.tail_ms


def test_cache_serves_repeated_text(fake, tmp_path):
    cache = ClipCache(tmp_path / "cache")
    voice = Voice("fake", "low", 175, 50)
    stats: dict = {}
    synthesize_text("One two. Three.", voice, RATE, cache, stats)
    synthesize_text("One two. Three.", voice, RATE, cache, stats)
    synthesize_text("One two.", Voice("fake", "high", 175, 50), RATE, cache, stats)
    assert stats == {"synthesized": 3, "cached": 2}
    assert len(fake.calls) == 3
    assert cache.size_bytes() > 0
    small = ClipCache(tmp_path / "cache", max_bytes=1)
    assert small.prune() >= 2 and small.size_bytes() <= 1
    assert cache.clear() == len(cache.files()) == 0 or cache.files() == []


def test_pacing_from_dict_validates():
    assert Pacing.from_dict({"scene_ms": 3000}).scene_ms == 3000
    with pytest.raises(ValueError, match="unknown key 'scene'"):
        Pacing.from_dict({"scene": 3})
    with pytest.raises(ValueError, match="paragraph_ms must be"):
        Pacing.from_dict({"paragraph_ms": -1})


def test_room_tone_is_a_steady_repeatable_floor_that_never_wraps_around():
    from audio_probe import rms_db

    from narrate.audio.stitch import add_room_tone

    x = np.zeros(3 * (1 << 20) + 123, dtype=np.int16)  # several chunks and tiles
    add_room_tone(x, -75.0)
    assert abs(rms_db(x) - (-75.0)) < 0.5
    seconds = [rms_db(x[i:i + 22050]) for i in range(0, x.size - 22050, 22050)]
    assert max(seconds) - min(seconds) < 1.0
    y = np.zeros_like(x)
    add_room_tone(y, -75.0)
    assert np.array_equal(x, y)
    loud = np.full(1000, 32767, dtype=np.int16)
    add_room_tone(loud, -75.0)
    assert loud.min() > 32000  # clipped at full scale, not wrapped to negative
