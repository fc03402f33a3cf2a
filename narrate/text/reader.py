"""Reading stage: a text file or a book folder -> Book (chapters, metadata, cover)."""

from __future__ import annotations

import logging
import re
import tomllib
import unicodedata
from collections.abc import Collection
from pathlib import Path

from ..errors import InputError
from ..model import Book, Chapter

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt",)
"""Chapter files of a book folder; a single file given as the source may have any name."""
NOT_CHAPTERS = {"readme.txt"}
BOOK_TOML = "book.toml"
BOOK_KEYS = {"title", "author", "language", "cover", "description", "pacing"}
IMAGE_KINDS = {"JPEG": b"\xff\xd8\xff", "PNG": b"\x89PNG\r\n\x1a\n"}
"""Magic numbers of the cover images ID3 players show."""
IMAGE_MAGIC = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}
MAX_STREAM_BYTES = 256 * 2**20
"""The most read from a source that is not a regular file (a pipe, /dev/stdin, a device)."""

# "Chapter 4", "CHAPTER IV", "Chapter 12: The Road", "Prologue", "Epilogue".
_HEADING = re.compile(
    r"^\s*(?:(?:chapter|part|book)\s+(?:\d+|[ivxlcdm]+|[a-z]+-?[a-z]*)\b.*|prologue|epilogue)\s*$",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w", re.UNICODE)


def decode_text(data: bytes, path: Path) -> str:
    """Decode a text file's bytes as UTF-8 (BOM allowed), or raise a clear InputError."""
    if not data.strip():
        raise InputError(f"{path}: file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # A UTF-16 BOM is unambiguous: decode it rather than reject it.
        try:
            return _normalize(data.decode("utf-16"))
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: invalid UTF-16 text ({exc.reason})") from None
    if b"\x00" in data[:8192]:
        raise InputError(f"{path}: looks like a binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not valid UTF-8 (byte {exc.start}); re-save the file as UTF-8"
        ) from None
    return _normalize(text)


def _normalize(text: str) -> str:
    # Windows and old-Mac line endings become \n so paragraph detection is uniform.
    return text.replace("\r\n", "\n").replace("\r", "\n")


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


def slugify(name: str, fallback: str = "untitled") -> str:
    """A safe, lowercase file stem: letters, digits and dashes only."""
    norm = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", norm.lower()).strip("-")
    return slug[:60].strip("-") or fallback


def title_from_stem(stem: str) -> str:
    """'01-come-away-with-me' -> 'Come away with me'."""
    words = re.sub(r"^\d+[\s._-]*", "", stem)
    words = re.sub(r"[_-]+", " ", words).strip()
    return (words[:1].upper() + words[1:]) if words else stem


def split_heading(text: str) -> tuple[str | None, str | None, int]:
    """Find a chapter heading ("Chapter 4") and an optional subtitle line after it.

    Returns (heading, subtitle, body_start). The subtitle is a short line without
    closing punctuation directly after the heading, e.g. "Rory and Jess belong together".
    """
    lines = list(re.finditer(r"[^\n]*\n?", text))
    nonblank = [m for m in lines if m.group().strip()]
    if not nonblank or not _HEADING.match(nonblank[0].group().strip()):
        return None, None, 0
    head = nonblank[0]
    heading = head.group().strip()
    body_start = head.end()
    subtitle = None
    if len(nonblank) > 2:
        cand = nonblank[1].group().strip()
        if len(cand) <= 80 and not re.search(r"[.!?\"'”’…:;,]$", cand) and '"' not in cand:
            subtitle = cand
            body_start = nonblank[1].end()
    # Skip the blank lines after the heading block.
    while body_start < len(text) and text[body_start] in " \t\n":
        body_start += 1
    return heading, subtitle, body_start


def load_chapter(path: Path, index: int) -> Chapter:
    text = read_text(path)
    heading, subtitle, body_start = split_heading(text)
    if body_start >= len(text) or not _WORD.search(text[body_start:]):
        raise InputError(f"{path}: chapter has a heading but no words to read")
    title = heading or title_from_stem(path.stem)
    slug = f"{index:02d}-{slugify(title_from_stem(path.stem), f'chapter-{index}')}"
    return Chapter(index=index, title=title, text=text, source=path, subtitle=subtitle,
                   body_start=body_start, slug=slug)


def _read_book_toml(path: Path) -> dict:
    if path.is_dir():
        raise InputError(f"{path}: is a folder, expected the book's settings file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: invalid TOML ({exc})") from None
    unknown = set(data) - BOOK_KEYS
    if unknown:
        raise InputError(f"{path}: unknown key {sorted(unknown)[0]!r} "
                         f"(expected one of {', '.join(sorted(BOOK_KEYS))})")
    for key, value in data.items():
        if key == "pacing":
            if not isinstance(value, dict):
                raise InputError(f"{path}: [pacing] must be a table of pause lengths in ms")
            continue
        if not isinstance(value, str):
            raise InputError(f"{path}: key {key!r} must be a string, found {type(value).__name__}")
    return data


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


def _check_cover(cover: Path, named: str, toml_path: Path) -> None:
    """The cover's bytes must be the image its name says: players show nothing for anything else."""
    try:
        with cover.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise InputError(f"{toml_path}: cover image {named!r}: cannot read ({exc.strerror or exc})") from None
    kind = next((k for k, magic in IMAGE_KINDS.items() if head.startswith(magic)), None)
    expected = IMAGE_MAGIC[cover.suffix.lower()]
    if kind is None:
        raise InputError(f"{toml_path}: cover image {named!r} is not a JPEG or PNG image")
    if kind != expected:
        raise InputError(f"{toml_path}: cover image {named!r} is a {kind} image; "
                         f"name it {'.png' if kind == 'PNG' else '.jpg'}")


def load_book(source: Path) -> Book:
    """Load a book folder (chapters + optional book.toml) or a single .txt chapter."""
    source = Path(source)
    if not source.exists():
        raise InputError(f"{source}: no such file or folder")
    if not source.is_dir():
        # A file, or a pipe such as `<(cat ch.txt)` read once, as `narrate script` reads it.
        chapter = load_chapter(source, 1)
        return Book(slug=slugify(source.stem, "book"), title=title_from_stem(source.stem),
                    author="Unknown", chapters=(chapter,), source=source)
    meta: dict = {}
    toml_path = source / BOOK_TOML
    if toml_path.exists():
        meta = _read_book_toml(toml_path)
    files = chapter_files(source, {BOOK_TOML, Path(str(meta.get("cover", ""))).name})
    if not files:
        raise InputError(f"{source}: no chapter text files (*.txt) in this folder")
    chapters = tuple(load_chapter(p, i) for i, p in enumerate(files, start=1))
    cover = None
    if meta.get("cover"):
        cover = (source / meta["cover"]).resolve()
        if not cover.is_file():
            raise InputError(f"{toml_path}: cover image {meta['cover']!r} not found")
        if cover.suffix.lower() not in IMAGE_MAGIC:
            raise InputError(f"{toml_path}: cover must be a .jpg or .png image")
        _check_cover(cover, meta["cover"], toml_path)
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
        settings_file=toml_path if toml_path.exists() else None,
    )
