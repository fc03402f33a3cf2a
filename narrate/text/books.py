"""Reading stage: an EPUB, HTML or Markdown file -> Book (chapters cut by its contents or headings, metadata)."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from pathlib import Path

from ..errors import InputError
from ..model import Book, Chapter, SectionMark
from .markup import Document, document_blocks, is_chapter_title, parse_markup
from .sources import (
    IMAGE_KINDS,
    IMAGE_MAGIC,
    LANGUAGE_NAMES,
    check_cover,
    decode_text,
    language_tag,
    read_book_toml,
    slugify,
    title_from_stem,
)
from .structure import Draft, Layout, build_chapters, matter_of_document, norm

log = logging.getLogger(__name__)


def _document_language(value: str, path: Path) -> str:
    """The language a book's own metadata gives, as a tag: a name ("German") becomes its code; anything else
    that is no language tag is English, with a warning (book.toml's language wins over it)."""
    if not value.strip():
        return "en"
    tag = language_tag(value)
    if tag is None:
        tag = LANGUAGE_NAMES.get(value.strip().lower(), "en")
        log.warning("%s: its language %r is not a language code; read as %r (language in its .toml to change)",
                    path, value, tag)
    return tag

EPUB_SUFFIXES = (".epub",)
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")
BOOK_SUFFIXES = EPUB_SUFFIXES + HTML_SUFFIXES + MARKDOWN_SUFFIXES
"""Single files that are whole books (chapters inside), not one chapter."""
MAX_MARKUP_BYTES = 64 * 2**20


def is_book_file(path: Path) -> bool:
    """Whether `path` names a file narrate reads as a whole book (EPUB, HTML, Markdown)."""
    return Path(path).suffix.lower() in BOOK_SUFFIXES


def load_book_file(path: Path, keep_all: bool = False) -> Book:
    """Read an .epub, .html or .md book. `keep_all` also reads front and back matter (title page, licence...)."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputError(f"{path}: not a file")
    if suffix in EPUB_SUFFIXES:
        return _load_epub(path, keep_all)
    return _load_single(path, keep_all, markdown=suffix in MARKDOWN_SUFFIXES)


# -- EPUB -------------------------------------------------------------------------------------

def _load_epub(path: Path, keep_all: bool) -> Book:
    from .epub import EpubArchive, open_package, read_documents

    archive = EpubArchive(path)
    try:
        pkg, _ = open_package(path, archive)
        docs = read_documents(pkg, archive)
        cover = _epub_cover(path, archive, pkg.cover_name)
    finally:
        archive.close()
    names = [d.name for d in docs]
    body_index = names.index(pkg.body_start) if pkg.body_start in names else None
    first_long = next((i for i, d in enumerate(docs) if sum(b.words for b in d.blocks) >= 60), 0)
    listed = _listed_documents(pkg.nav or []) | _listed_documents(pkg.ncx or [])
    doc_matter = []
    for i, (doc, item) in enumerate(zip(docs, pkg.spine, strict=True)):
        hint = pkg.landmarks.get(doc.name)
        if doc.name == pkg.nav_name:
            hint = "toc"
        elif not item.linear:
            hint = hint or "non-linear"
        before_body = i < body_index if body_index is not None else i < first_long
        doc_matter.append(None if keep_all else matter_of_document(doc, hint, before_body, doc.name in listed))
    title = pkg.title or title_from_stem(path.stem)
    layout = Layout(docs, doc_matter, keep_all, title)
    tocs = [("nav", pkg.nav or []), ("ncx", pkg.ncx or [])]
    drafts = build_chapters(layout, tocs, title, str(path))
    meta = {"title": pkg.title, "author": ", ".join(pkg.authors), "language": pkg.language,
            "description": pkg.description}
    return _book(path, drafts, meta, cover, keep_all)


def _listed_documents(nodes) -> set[str]:
    """Documents a contents entry names as something other than front or back matter."""
    from .structure import is_matter_label

    out = set()
    for node in nodes:
        if node.href and not is_matter_label(node.label):
            out.add(node.href)
        out |= _listed_documents(node.children)
    return out


def _epub_cover(path: Path, archive, name: str | None) -> Path | None:
    """The cover image as a file (players and feeds need one): kept by content in a private temp folder."""
    if not name or archive.find(name) is None:
        return None
    try:
        data = archive.read(archive.find(name))
    except InputError as exc:
        log.warning("%s; the book has no cover", exc)
        return None
    kind = next((k for k, magic in IMAGE_KINDS.items() if data.startswith(magic)), None)
    if kind is None:
        log.warning("%s: cover %s is not a JPEG or PNG image; the book has no cover", path, name)
        return None
    return stored_cover(data, ".png" if kind == "PNG" else ".jpg")


def stored_cover(data: bytes, suffix: str) -> Path | None:
    """Write `data` once to a per-user temp folder, named by its hash, and return the file (None if not writable)."""
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    folder = Path(tempfile.gettempdir()) / f"narrate-covers-{uid}"
    dest = folder / f"{hashlib.sha256(data).hexdigest()[:32]}{suffix}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        if hasattr(os, "getuid") and folder.stat().st_uid != os.getuid():
            log.warning("%s belongs to another user; the book's cover is not used", folder)
            return None
        if dest.is_file() and dest.stat().st_size == len(data):
            return dest
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=suffix)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, dest)
    except OSError as exc:
        log.warning("cannot keep the cover image in %s (%s); the book has no cover", folder, exc.strerror or exc)
        return None
    return dest


# -- HTML and Markdown ------------------------------------------------------------------------

def _load_single(path: Path, keep_all: bool, markdown: bool) -> Book:
    try:
        size = path.stat().st_size
        if size > MAX_MARKUP_BYTES:
            raise InputError(f"{path}: {size // 2**20} MB; at most {MAX_MARKUP_BYTES // 2**20} MB for one file")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not data.strip():
        raise InputError(f"{path}: file is empty")
    if markdown:
        from .markdown import markdown_document

        doc: Document = markdown_document(decode_text(data, path), path.name)
    else:
        root = parse_markup(data, str(path), xml_first=path.suffix.lower() == ".xhtml")
        doc = document_blocks(root, path.name)
    title = doc.title
    tops = [b for b in doc.blocks if b.kind == "heading" and b.level == min(
        (x.level for x in doc.blocks if x.kind == "heading"), default=0)]
    if len(tops) == 1 and doc.blocks and doc.blocks[0] is tops[0] and not is_chapter_title(tops[0].text) and (
            not title or norm(tops[0].text).startswith(norm(title)) and len(tops) < sum(
                b.kind == "heading" for b in doc.blocks)):
        # A page that opens with its one top heading (not a chapter's) is the book's title when it has none, or
        # when its <title> says less ("Cafe" for "Cafe Stories"; taken as a chapter, it swallowed the first one).
        title = tops[0].text
    return _document_book(path, doc, title or title_from_stem(path.stem), keep_all)


def _document_book(path: Path, doc: Document, title: str, keep_all: bool) -> Book:
    layout = Layout([doc], [None], keep_all, title)
    drafts = build_chapters(layout, [], title, str(path))
    meta = {"title": title, "author": doc.meta.get("author", ""), "language": doc.language,
            "description": doc.meta.get("description", "")}
    return _book(path, drafts, meta, None, keep_all)


def load_plain_book(path: Path, text: str, keep_all: bool = False) -> Book | None:
    """A .txt file that is a whole novel (several chapter headings, or Project Gutenberg's header and licence),
    cut into its chapters without its title page, contents and licence; None for a single chapter."""
    from .plain import opens_with_prose, plain_document

    doc, chapters = plain_document(text, path.name)
    gutenberg = any(b.matter == "licence" for b in doc.blocks)
    if not gutenberg and (chapters < 2 or opens_with_prose(doc)):
        # One chapter, or a story whose opening comes before its first heading: read whole, as ever (cut at
        # its headings, the opening would be a leftover of less than a page, and not read).
        return None
    return _document_book(path, doc, doc.title or title_from_stem(path.stem), keep_all)


# -- the Book ---------------------------------------------------------------------------------

def stem_settings(path: Path) -> tuple[dict, Path]:
    """The settings of a single-file book (`novel.md`, `story.txt`) from the .toml of the same name beside it
    ({} without one), with its cover checked and resolved to a path; and that file's path."""
    toml_path = path.with_suffix(".toml")
    if toml_path == path or not toml_path.is_file():
        return {}, toml_path
    settings = read_book_toml(toml_path)
    if settings.get("cover"):
        cover = (toml_path.parent / settings["cover"]).resolve()
        if not cover.is_file():
            raise InputError(f"{toml_path}: cover image {settings['cover']!r} not found")
        if cover.suffix.lower() not in IMAGE_MAGIC:
            raise InputError(f"{toml_path}: cover must be a .jpg or .png image")
        check_cover(cover, settings["cover"], toml_path)
        settings["cover"] = cover
    return settings, toml_path


def _book(path: Path, drafts: list[Draft], meta: dict, cover: Path | None, keep_all: bool) -> Book:
    if not drafts:
        hint = "" if keep_all else " (front and back matter are left out; --all reads every document)"
        raise InputError(f"{path}: no readable text{hint}")
    settings, toml_path = stem_settings(path)
    cover = settings.get("cover") or cover
    title = settings.get("title") or meta.get("title") or title_from_stem(path.stem)
    width = max(2, len(str(len(drafts))))
    chapters = []
    for index, d in enumerate(drafts, start=1):
        name = d.title
        if not name or (norm(name) == norm(title) and index > 1):
            name = f"Chapter {index}"  # converters often give every document the book's title
        chapters.append(Chapter(
            index=index, title=name, text=d.text, source=path, subtitle=d.subtitle, body_start=d.body_start,
            slug=f"{index:0{width}d}-{slugify(name, f'chapter-{index}')}",
            sections=tuple(SectionMark(offset, label) for offset, label in d.marks),
            cut=d.cut, files=tuple(d.files)))
    language = settings.get("language") or _document_language(meta.get("language") or "", path)
    return Book(
        slug=slugify(path.stem, "book"),
        title=title,
        author=settings.get("author") or meta.get("author") or "Unknown",
        chapters=tuple(chapters),
        language=re.sub(r"_", "-", language.strip()),
        description=settings.get("description") or meta.get("description") or "",
        cover=cover,
        source=path,
        pacing=dict(settings.get("pacing", {})),
        pronunciations=tuple(settings.get("pronunciations", ())),
        settings_file=toml_path if settings else None,
    )
