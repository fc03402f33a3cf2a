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
                 "Copyright 2024 A. Writer. All rights reserved by the author of this book.\n\n",
                 "Disclaimer: I do not own Harry Potter or any of these characters, sadly.\n\n",
                 "Author's note: thank you all so much for the reviews on the last story!\n\n",
                 "Also by Jane Smith: The Red Door, The Blue Hour and The Long Way Home.\n\n",
                 "A gripping, unforgettable story of love and loss. - The New York Times\n\n",
                 "This is a work of fiction and any resemblance to real people is a coincidence.\n\n"):
        assert [t for t, _ in chapters(tmp_path, lead)] == ["Chapter 1", "Chapter 2"], lead


def test_an_epub_front_document_is_no_opening(tmp_path):
    from epub_fixtures import Epub, paragraphs, xhtml

    docs = [("front.xhtml", xhtml("<p>Thank you for downloading this ebook. Sign up for our newsletter to get news.</p>")),
            ("ch1.xhtml", xhtml("<h1>Chapter 1</h1>" + paragraphs("Anna", 3))),
            ("ch2.xhtml", xhtml("<h1>Chapter 2</h1>" + paragraphs("Ben", 3)))]
    book = load_book(Epub(docs).write(tmp_path / "b.epub"))
    assert [c.title for c in book.chapters] == ["Chapter 1", "Chapter 2"]
