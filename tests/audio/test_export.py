"""Export: chapter MP3 tags read back with mutagen, in the order players read them."""

from __future__ import annotations

import numpy as np
from mutagen.id3 import ID3

from narrate.audio.export import Encoding, Section, Tags, write_pcm_mp3

RATE = 22050


def test_chapter_frames_are_stored_in_time_order(tmp_path):
    """mutagen sorts frames by size when it saves; players (ffprobe) list CHAP frames as stored."""
    path = tmp_path / "ch.mp3"
    titles = ["A long first section title that is long", "Two", "Third, a medium one", "4"]
    sections = [Section(t, k * 1000, (k + 1) * 1000) for k, t in enumerate(titles)]
    tags = Tags(title="Chapter", album="Book", artist="Author", track=1, track_total=1)
    write_pcm_mp3(path, np.zeros(4 * RATE, dtype=np.int16), RATE, tags, sections, Encoding())
    id3 = ID3(path)
    chaps = id3.getall("CHAP")  # in file order
    assert [c.start_time for c in chaps] == [0, 1000, 2000, 3000]
    assert [str(c.sub_frames["TIT2"]) for c in chaps] == titles
    (toc,) = id3.getall("CTOC")
    assert list(toc.child_element_ids) == [c.element_id for c in chaps]
    assert str(id3["TRCK"]) == "1/1" and str(id3["TIT2"]) == "Chapter"


def test_a_tag_put_in_front_of_frames_fills_its_room_or_moves_them_up():
    """put_tag: the tag fills the room left before the frames (padded), or moves the frames up when it outgrew
    it; either way the frames follow it intact and the CHAP frames are in time order."""
    import io

    from narrate.audio.export import build_tags, put_tag, tag_room

    tags = Tags("Chapter 1 – Déjà vu", "Book", "Ann", 1, 3)
    sections = [Section("Later", 4000, 9000), Section("Chapter 1", 0, 4000)]
    frames = bytes(range(256)) * 9000
    room = tag_room(tags, 2)
    for space in (room, 64):
        out = io.BytesIO(b"\0" * space + frames)
        put_tag(out, build_tags(tags, sections, 9000), space)
        data = out.getvalue()
        size = 10 + ((data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9])
        assert data[size:] == frames
        assert size == room if space == room else size > space
        chaps = ID3(io.BytesIO(data)).getall("CHAP")
        assert [c.start_time for c in chaps] == [0, 4000]
