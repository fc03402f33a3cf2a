"""Reading stage, shared by every source: text decoding, the settings file (book.toml), the cover, safe names."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from pathlib import Path

from ..errors import InputError
from .lexicon import LexiconProblem, parse_lexicon

BOOK_TOML = "book.toml"
BOOK_KEYS = {"title", "author", "language", "cover", "description", "pacing", "pronunciations"}
IMAGE_KINDS = {"JPEG": b"\xff\xd8\xff", "PNG": b"\x89PNG\r\n\x1a\n"}
"""Magic numbers of the cover images ID3 players show."""
IMAGE_MAGIC = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}


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
        raise InputError(not_utf8(path, exc)) from None
    return _normalize(text)


def not_utf8(path: Path, exc: UnicodeDecodeError) -> str:
    """'FILE: line 3, column 16: not valid UTF-8 (byte 0xe9, "é" in Windows-1252); re-save the file as UTF-8':
    where an editor shows the byte `exc` stopped at."""
    # exc.object is what was decoded: after a byte-order mark, which exc.start does not count.
    data, at = exc.object, exc.start
    # Lines end as _normalize ends them (\r\n, \r or \n); columns count characters, as editors do.
    before = data[:at].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    line = before.count(b"\n") + 1
    column = len(before[before.rfind(b"\n") + 1:].decode("utf-8", errors="replace")) + 1
    byte = data[at]
    what = f"byte 0x{byte:02x}"
    try:
        # Most non-UTF-8 text files are Windows-1252 (or Latin-1): name the character it would be.
        what += f', "{bytes([byte]).decode("cp1252")}" in Windows-1252'
    except UnicodeDecodeError:
        pass
    return f"{path}: line {line}, column {column}: not valid UTF-8 ({what}); re-save the file as UTF-8"


def _normalize(text: str) -> str:
    # Windows and old-Mac line endings become \n so paragraph detection is uniform.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def slugify(name: str, fallback: str = "untitled") -> str:
    """A safe, lowercase file stem: letters, digits and dashes only."""
    norm = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", norm.lower()).strip("-")
    return slug[:60].strip("-") or fallback


def title_from_stem(stem: str) -> str:
    """'01-come-away-with-me' -> 'Come away with me'; '01b-interlude' -> 'Interlude' (a chapter put between two)."""
    number = re.match(r"\d+[a-z]?[\s._-]+", stem) or re.match(r"\d+[\s._-]*", stem)
    words = stem[number.end():] if number else stem
    words = re.sub(r"[_-]+", " ", words).strip()
    return (words[:1].upper() + words[1:]) if words else stem


def read_book_toml(path: Path) -> dict:
    if path.is_dir():
        raise InputError(f"{path}: is a folder, expected the book's settings file")
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise InputError(not_utf8(path, exc)) from None
    except tomllib.TOMLDecodeError as exc:
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
        if key == "pronunciations":
            try:
                data[key] = parse_lexicon(value).entries
            except LexiconProblem as exc:
                raise InputError(f"{path}: {exc}") from None
            continue
        if not isinstance(value, str):
            raise InputError(f"{path}: key {key!r} must be a string, found {type(value).__name__}")
        if key == "language" and value.strip():
            tag = language_tag(value)
            if tag is None:
                code = LANGUAGE_NAMES.get(value.strip().lower())
                raise InputError(f"{path}: language {value!r} is not a language code: "
                                 + (f'write language = "{code}"' if code else 'write one such as "en", "de" or "pt-BR"'))
            data[key] = tag
    return data


_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")
# Languages people write by name where a code belongs ("german"): English and native names of common ones.
LANGUAGE_NAMES = {
    "english": "en", "german": "de", "deutsch": "de", "french": "fr", "francais": "fr", "français": "fr",
    "spanish": "es", "espanol": "es", "español": "es", "castellano": "es", "italian": "it", "italiano": "it",
    "portuguese": "pt", "português": "pt", "portugues": "pt", "dutch": "nl", "nederlands": "nl",
    "flemish": "nl", "russian": "ru", "polish": "pl", "polski": "pl", "swedish": "sv", "svenska": "sv",
    "norwegian": "no", "norsk": "no", "danish": "da", "dansk": "da", "finnish": "fi", "suomi": "fi",
    "greek": "el", "latin": "la", "czech": "cs", "hungarian": "hu", "magyar": "hu", "romanian": "ro",
    "turkish": "tr", "japanese": "ja", "chinese": "zh", "mandarin": "cmn", "cantonese": "yue", "korean": "ko",
    "arabic": "ar", "hebrew": "he", "hindi": "hi", "ukrainian": "uk", "catalan": "ca", "irish": "ga",
    "welsh": "cy", "esperanto": "eo", "icelandic": "is", "slovak": "sk", "slovenian": "sl", "croatian": "hr",
    "serbian": "sr", "bulgarian": "bg", "lithuanian": "lt", "latvian": "lv", "estonian": "et",
    "vietnamese": "vi", "thai": "th", "indonesian": "id", "malay": "ms", "persian": "fa", "farsi": "fa",
    "urdu": "ur", "bengali": "bn", "tamil": "ta", "afrikaans": "af", "scottish gaelic": "gd", "basque": "eu",
}


def language_tag(value: str) -> str | None:
    """`value` as a language tag ("en", "pt-BR"; "en_US" -> "en-US"), or None when it is not one ("german")."""
    value = value.strip()
    return value.replace("_", "-") if _LANGUAGE_TAG.fullmatch(value) and value.lower() not in LANGUAGE_NAMES \
        else None


def check_cover(cover: Path, named: str, toml_path: Path) -> None:
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
