"""Reading stage: a text file or a book folder -> Book (chapters, metadata, cover)."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Collection
from pathlib import Path

from ..errors import InputError
from ..model import Book, Chapter
from .books import BOOK_SUFFIXES, is_book_file, load_book_file, stem_settings
from .sources import BOOK_TOML, IMAGE_MAGIC, check_cover, decode_text, read_book_toml, slugify, title_from_stem

__all__ = ["BOOK_SUFFIXES", "BOOK_TOML", "TEXT_SUFFIXES", "chapter_files", "decode_text", "is_book_file", "load_book", "load_chapter", "read_text",
           "slugify", "split_heading", "title_from_stem"]

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt",)
"""Chapter files of a book folder; a single file given as the source may have any name."""
NOT_CHAPTERS = {"readme.txt"}
MAX_STREAM_BYTES = 256 * 2**20
"""The most read from a source that is not a regular file (a pipe, /dev/stdin, a device)."""

# "Chapter 4", "CHAPTER IV", "Chapter 12: The Road", "Prologue", "Epilogue".
_HEADING = re.compile(
    r"^\s*(?:(?:chapter|part|book)\s+(?:\d+|[ivxlcdm]+|[a-z]+-?[a-z]*)\b.*|prologue|epilogue)\s*$",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w", re.UNICODE)


def _read_bytes(path: Path) -> bytes:
    """A file's bytes; a pipe, process substitution or device is read once, up to MAX_STREAM_BYTES."""
    try:
        if path.is_file():
            return path.read_bytes()
        with path.open("rb") as fh:
            data = fh.read(MAX_STREAM_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(data) > MAX_STREAM_BYTES:
        # /dev/zero or an endless pipe would otherwise fill memory.
        raise InputError(f"{path}: more than {MAX_STREAM_BYTES // 2**20} MB from a pipe or device; "
                         "save it to a file first")
    return data


def read_text(path: Path) -> str:
    """Read a chapter file (or a pipe, read once); raise InputError naming the file for every unreadable case."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, expected a text file")
    data = _read_bytes(path)
    text = decode_text(data, path)
    if not _WORD.search(text):
        raise InputError(f"{path}: has no words to read")
    return text


def split_heading(text: str) -> tuple[str | None, str | None, int]:
    """Find a chapter heading ("Chapter 4") and an optional subtitle line after it.

    Returns (heading, subtitle, body_start). The subtitle is a short line without
    closing punctuation directly after the heading, e.g. "Rory and Jess belong together".
    """
    lines = list(re.finditer(r"[^\n]*\n?", text))
    nonblank = [m for m in lines if m.group().strip()]
    if not nonblank or not (_HEADING.match(nonblank[0].group().strip()) or _is_title_line(text, nonblank)):
        return None, None, 0
    head = nonblank[0]
    heading = head.group().strip()
    body_start = head.end()
    subtitle = None
    if len(nonblank) > 2 and _subtitle_line(text, nonblank, 1):
        subtitle = nonblank[1].group().strip()
        body_start = nonblank[1].end()
        if len(nonblank) > 3 and _NUMBER_LINE.match(subtitle) and _subtitle_line(text, nonblank, 2):
            # "PART ONE--The Old Buccaneer // 1 // The Old Sea-dog at the Admiral Benbow": the part, then the
            # chapter's number and its own title, which is no line of the text.
            subtitle = f"{subtitle.rstrip('.')}. {nonblank[2].group().strip()}"
            body_start = nonblank[2].end()
    # Skip the blank lines after the heading block.
    while body_start < len(text) and text[body_start] in " \t\n":
        body_start += 1
    return heading, subtitle, body_start


_NUMBER_LINE = re.compile(r"(?:(?:chapter|book|part)\s+)?(?:\d+|[ivxlcdm]+)\.?$", re.IGNORECASE)


def _subtitle_line(text: str, nonblank: list[re.Match], k: int) -> bool:
    """Is nonblank line `k` a short title of its own: a paragraph alone (the first printed line of a
    hard-wrapped paragraph is none), not ending as a sentence does, quoting no one?"""
    cand = nonblank[k].group().strip()
    alone = text[nonblank[k].end():nonblank[k + 1].start()].count("\n") >= 1
    return alone and len(cand) <= 80 and not re.search(r"[.!?\"'”’…:;,]$", cand.rstrip(".") if
                                                         _NUMBER_LINE.match(cand) else cand) and '"' not in cand


_TITLE_LINE = re.compile(r"[A-Z0-9_][^\"\u201c\u201d]{0,79}")
_TITLE_WORD = re.compile(r"[^\W\d_][\w'\u2019-]*")


def _is_title_line(text: str, nonblank: list[re.Match]) -> bool:
    """A first line that is a title of its own ("The Lighthouse Keeper", "THE SISTERS"): short, in headline
    case (every word of four letters or more capitalised), not ending as a sentence, a clause or a cry does,
    quoting no one, set off by a blank line, and followed by more."""
    first = nonblank[0].group().strip()
    if (len(nonblank) < 2 or not _TITLE_LINE.fullmatch(first) or len(first.split()) > 12
            or first.endswith((".", ",", ";", ":", "?", "!", "'", "\u2019", "\u2026", "-", "\u2013", "\u2014"))
            or text[nonblank[0].start():nonblank[0].end()].startswith((" ", "\t"))
            or text[nonblank[0].end():nonblank[1].start()].count("\n") < 1):
        return False
    return all(w[0].isupper() for w in _TITLE_WORD.findall(first) if len(w) >= 4)


def load_chapter(path: Path, index: int, width: int = 2, text: str | None = None) -> Chapter:
    """Chapter `index` from a text file (`text`: the file's, when read already); its slug's number has `width`
    digits so files sort in order."""
    text = read_text(path) if text is None else text
    heading, subtitle, body_start = split_heading(text)
    if body_start >= len(text) or not _WORD.search(text[body_start:]):
        raise InputError(f"{path}: chapter has a heading but no words to read")
    title = heading or title_from_stem(path.stem)
    slug = f"{index:0{width}d}-{slugify(title_from_stem(path.stem), f'chapter-{index}')}"
    return Chapter(index=index, title=title, text=text, source=path, subtitle=subtitle,
                   body_start=body_start, slug=slug)


def _byline(chapter: Chapter) -> tuple[str, str, Chapter] | None:
    """(title, author, the chapter without them) when a one-chapter story opens with its title and a byline
    ("The Winter Court" / "By: midnight_ravenclaw_77"): they name the book and are not read. A heading under
    them ("Chapter 1") is the chapter's title; else the book's title is."""
    from .plain import title_byline

    lines = chapter.text.split("\n")
    header = title_byline(lines)
    if header is None:
        return None
    title, author, k = header
    rest = chapter.text[len("\n".join(lines[:k])):].lstrip()
    end = len(chapter.text) - len(rest)
    heading, subtitle, start = split_heading(rest)
    if not _WORD.search(chapter.text[end + start:]):
        return None  # nothing after them: they are the story
    return title, author, dataclasses.replace(chapter, title=heading or title, subtitle=subtitle,
                                              body_start=end + start)


def chapter_files(folder: Path, expected: Collection[str] = (BOOK_TOML,)) -> list[Path]:
    """The .txt files of a book folder in name order (natural: 2 before 10).

    Other files (notes.md, a README) are not chapters; they are logged at info level, except
    the `expected` ones (book.toml, the cover) and hidden files.
    """
    try:
        entries = list(folder.iterdir())
    except OSError as exc:
        raise InputError(f"{folder}: cannot read folder ({exc.strerror or exc})") from None
    files, skipped = [], []
    for p in entries:
        if p.name.startswith(".") or not p.is_file():
            continue
        if p.suffix.lower() in TEXT_SUFFIXES and p.name.lower() not in NOT_CHAPTERS:
            files.append(p)
        elif p.name not in expected:
            skipped.append(p.name)
    if skipped:
        log.info("%s: not chapters (only .txt files are), skipped: %s", folder, ", ".join(sorted(skipped)))

    def natural(p: Path) -> list:
        return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", p.name)]

    return sorted(files, key=natural)


def load_book(source: Path, *, all_documents: bool = False) -> Book:
    """Load a book: a folder (chapters + optional book.toml), an .epub, .html or .md file, or a single .txt chapter.

    `all_documents` reads an EPUB's front and back matter too (cover, title page, contents, licence...).
    """
    source = Path(source)
    if not source.exists():
        raise InputError(f"{source}: no such file or folder")
    if is_book_file(source) and source.is_file():
        return load_book_file(source, all_documents)
    text = None
    if source.is_file():
        # A whole novel in one file (a Project Gutenberg .txt): its chapters, not one chapter of 20 hours.
        from .books import load_plain_book

        text = read_text(source)
        novel = load_plain_book(source, text, all_documents)
        if novel is not None:
            return novel
    if not source.is_dir():
        # A file, or a pipe such as `<(cat ch.txt)` read once, as `narrate script` reads it.
        chapter = load_chapter(source, 1, text=text)
        name, slug, author = title_from_stem(source.stem), slugify(source.stem, "book"), "Unknown"
        header = _byline(chapter)
        if header:
            name, author, chapter = header
        if not source.is_file():
            # A pipe's name is a descriptor number ("/dev/fd/63"): the story's own heading names it.
            name = (header and name) or split_heading(chapter.text)[0] or "Untitled"
            slug = slugify(name, "book")
            chapter = dataclasses.replace(chapter, title=name, slug=f"01-{slugify(name, 'chapter-1')}")
        # A .toml of the same name beside the file says what it says for an EPUB or a Markdown book.
        settings, toml_path = stem_settings(source) if source.is_file() else ({}, None)
        return Book(slug=slug, title=settings.get("title") or name, author=settings.get("author") or author,
                    chapters=(chapter,), language=settings.get("language") or "en",
                    description=settings.get("description") or "", cover=settings.get("cover"), source=source,
                    pacing=dict(settings.get("pacing", {})),
                    pronunciations=tuple(settings.get("pronunciations", ())),
                    settings_file=toml_path if settings else None)
    meta: dict = {}
    toml_path = source / BOOK_TOML
    if toml_path.exists():
        meta = read_book_toml(toml_path)
    files = chapter_files(source, {BOOK_TOML, Path(str(meta.get("cover", ""))).name})
    if not files:
        raise InputError(f"{source}: no chapter text files (*.txt) in this folder")
    # 001-... for a book of 100 chapters or more: 100 must not sort between 10 and 11.
    width = max(2, len(str(len(files))))
    chapters = tuple(load_chapter(p, i, width) for i, p in enumerate(files, start=1))
    cover = None
    if meta.get("cover"):
        cover = (source / meta["cover"]).resolve()
        if not cover.is_file():
            raise InputError(f"{toml_path}: cover image {meta['cover']!r} not found")
        if cover.suffix.lower() not in IMAGE_MAGIC:
            raise InputError(f"{toml_path}: cover must be a .jpg or .png image")
        check_cover(cover, meta["cover"], toml_path)
    name = source.resolve().name
    return Book(
        slug=slugify(name, "book"),
        title=meta.get("title") or title_from_stem(name),
        author=meta.get("author") or "Unknown",
        language=meta.get("language") or "en",
        description=meta.get("description") or "",
        chapters=chapters,
        cover=cover,
        source=source,
        pacing=dict(meta.get("pacing", {})),
        pronunciations=tuple(meta.get("pronunciations", ())),
        settings_file=toml_path if toml_path.exists() else None,
    )
