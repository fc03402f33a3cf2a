"""CLI: `narrate chapters`, how narrate will read a source (registered on the main group by narrate.cli.main)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click

CUTS = {"nav": "EPUB 3 contents", "ncx": "EPUB 2 contents (NCX)", "heading": "headings", "document": "documents",
        "file": "files"}


def chapters_json(book) -> dict:
    """The public `narrate chapters --json` shape (stable: fields may be added, none removed)."""
    return {
        "title": book.title,
        "author": book.author,
        "language": book.language,
        "source": str(book.source) if book.source else None,
        "chapters": [
            {
                "index": c.index,
                "title": c.title,
                "subtitle": c.subtitle,
                "words": len(re.findall(r"\w+", c.text[c.body_start:])),
                "sections": [s.title for s in c.sections],
                "source": c.cut,
                "files": list(c.files) or [str(c.source)],
                "slug": c.slug,
            }
            for c in book.chapters
        ],
    }


@click.command("chapters")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True,
              help='Print {"title", "author", "language", "chapters": [{"index", "title", "words", "sections", ...}]}.')
@click.option("--all", "all_documents", is_flag=True,
              help="Read every document of an EPUB: cover, title page, contents, colophon, licence too.")
def chapters_command(source: Path, as_json: bool, all_documents: bool) -> None:
    """Show how narrate reads SOURCE: each chapter's title, words, sections and where its cut came from.

    SOURCE is a book folder of .txt chapters, a .txt chapter, or an .epub, .html or .md book. An EPUB's
    chapters follow its EPUB 3 contents, else its EPUB 2 contents (NCX), else its headings, else its
    documents; front and back matter are left out unless --all.
    """
    from ..model import full_title
    from ..text.reader import load_book

    book = load_book(source, all_documents=all_documents)
    data = chapters_json(book)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    cuts = sorted({c["source"] for c in data["chapters"]}, key=list(CUTS).index)
    click.echo(f"{book.title} by {book.author} ({book.language}): {len(book.chapters)} chapter(s), "
               f"cut by {', '.join(CUTS.get(c, c) for c in cuts)}")
    width = max(len(str(len(book.chapters))), 2)
    for c in data["chapters"]:
        title = full_title(c["title"], c["subtitle"])
        click.echo(f"{c['index']:>{width}}  {title}  ({c['words']} words, {CUTS.get(c['source'], c['source'])})")
        for s in c["sections"]:
            click.echo(f"{'':>{width}}    - {s}")


COMMANDS = [chapters_command]
