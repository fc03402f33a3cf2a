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
