"""Whole-book outputs of a render: the joined MP3 and the M4B, made when asked and out of date, never lost."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from pathlib import Path

from .._version import __version__
from ..audio.export import Tags
from ..errors import InputError
from ..model import Book
from .options import RenderOptions

log = logging.getLogger(__name__)

KEY = "whole_book"
"""book.json's record of the whole-book files: {"mp3"|"m4b": {"file", "fingerprint", "bytes"}}."""
FLAGS = {"mp3": "--single-file", "m4b": "--format m4b"}


def _digest(material: object) -> str:
    blob = json.dumps(material, sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:24]


def book_tags(book: Book) -> Tags:
    return Tags(title=book.title, album=book.title, artist=book.author, track=1, track_total=1,
                language=book.language, cover=book.cover, comment=f"Narrated by narrate {__version__}")


def fingerprints(book: Book, entries: dict[int, dict], options: RenderOptions) -> dict[str, str]:
    """What each whole-book file is made from: every chapter's audio and title, the book's tags
    (and, for the M4B, its bit rate). A chapter that was only re-tagged changes neither."""
    cover = hashlib.sha256(book.cover.read_bytes()).hexdigest() if book.cover else None
    chapters = [(i, e.get("title"), e.get("fingerprint")) for i, e in sorted(entries.items())]
    joined = _digest({"chapters": chapters, "tags": dataclasses.asdict(book_tags(book)), "cover": cover})
    return {"mp3": joined, "m4b": _digest({"joined": joined, "aac_kbps": options.encoding.bitrate_kbps})}


def _record(path: Path, fingerprint: str) -> dict:
    return {"file": path.name, "fingerprint": fingerprint, "bytes": path.stat().st_size}


def update_whole_book(book: Book, book_dir: Path, entries: dict[int, dict], options: RenderOptions,
                      listed: dict) -> dict:
    """Make, keep or remove the whole-book files; return book.json's new record of them.

    A file asked for now is made unless book.json says it is up to date. A file made by an earlier
    render is kept while up to date, and refreshed when this render makes the joined MP3 anyway;
    out of date and not asked for, it is removed rather than left to disagree with the chapters.
    Files book.json does not list are left alone, except a `<book>.mp3` next to an M4B request
    (what --single-file wrote before book.json listed it), which is kept and refreshed.
    """
    from ..publish.bookfile import ChapterFile, join_mp3, make_m4b

    paths = {"mp3": book_dir / f"{book.slug}.mp3", "m4b": book_dir / f"{book.slug}.m4b"}
    asked = {"mp3": options.single_file, "m4b": options.m4b}
    fps = fingerprints(book, entries, options)

    def earlier(kind: str) -> bool:
        rec = listed.get(kind)
        return isinstance(rec, dict) and rec.get("file") == paths[kind].name and paths[kind].is_file()

    def current(kind: str) -> bool:
        return earlier(kind) and listed[kind].get("fingerprint") == fps[kind] \
            and paths[kind].stat().st_size == listed[kind].get("bytes")

    missing = [c.index for c in book.chapters if c.index not in entries]
    if missing and (asked["mp3"] or asked["m4b"]):
        raise InputError(f"{book.source}: whole-book output needs every chapter rendered; "
                         f"missing chapter(s) {', '.join(map(str, missing))}")
    legacy_mp3 = KEY not in listed and asked["m4b"] and paths["mp3"].is_file()
    keep_mp3 = asked["mp3"] or ((earlier("mp3") or legacy_mp3) and asked["m4b"])
    record: dict = {}
    tags = book_tags(book)
    files = [ChapterFile(entries[i]["title"], book_dir / entries[i]["file"]) for i in sorted(entries)]
    sections = None
    if keep_mp3 and not current("mp3"):
        sections = join_mp3(files, paths["mp3"], tags)
    if keep_mp3 or (earlier("mp3") and current("mp3")):
        record["mp3"] = _record(paths["mp3"], fps["mp3"])
    if asked["m4b"] and not current("m4b"):
        joined = paths["mp3"]
        if sections is None:  # the M4B needs chapter times measured on the joined frames
            joined = book_dir / f".{book.slug}.joined.part"
            sections = join_mp3(files, joined, tags)
        try:
            make_m4b(joined, sections, paths["m4b"], tags, options.encoding.bitrate_kbps)
        finally:
            if joined != paths["mp3"]:
                joined.unlink(missing_ok=True)
    if asked["m4b"] or current("m4b"):
        record["m4b"] = _record(paths["m4b"], fps["m4b"])
    for kind, path in paths.items():
        if kind not in record and earlier(kind):
            path.unlink()
            log.warning("%s: removed, out of date with the chapters (%s makes it again)", path, FLAGS[kind])
    return record
