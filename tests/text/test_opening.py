"""A story's short cold open before its first heading is read (as "Opening"); a title page, dedication or
epigraph there is not."""

from __future__ import annotations

from narrate.text.reader import load_book

BODY = ('Chapter 1\n\n"Hi," said Jess.\n\nThey walked on for a while, talking about nothing, and then about '
        'everything, until the lights of the diner came on.\n\nChapter 2\n\n"Hey," said Rory.\n\nIt was late.\n')


def chapters(tmp_path, lead: str):
    path = tmp_path / "novel.txt"
    path.write_text(lead + BODY, encoding="utf-8")
    return [(c.title, c.text) for c in load_book(path).chapters]


def test_a_cold_open_before_chapter_one_is_read(tmp_path):
    got = chapters(tmp_path, "Some Story\n\nThe rain had not stopped for three days, and nobody in Stars Hollow "
                             "remembered a wetter June.\n\n")
    assert [t for t, _ in got] == ["Opening", "Chapter 1", "Chapter 2"]
    assert "The rain had not stopped" in got[0][1]


def test_a_title_page_dedication_or_epigraph_before_chapter_one_is_not(tmp_path):
    for lead in ("Some Story\n\nby A. Writer\n\n",
                 "Some Story\n\nFor my mother, who taught me to read and to listen to stories.\n\n",
                 "Hope is the thing with feathers that perches in the soul.\n\n-- Emily Dickinson\n\n",
                 "Copyright 2024 A. Writer. All rights reserved by the author of this book.\n\n"):
        assert [t for t, _ in chapters(tmp_path, lead)] == ["Chapter 1", "Chapter 2"], lead
