"""Podcast feed: a rendered book folder -> feed.xml, JSON chapters and WebVTT transcripts."""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path, PurePosixPath
from urllib.parse import quote, urlsplit

from ..errors import ExportError, InputError
from .artwork import artwork_problem

log = logging.getLogger(__name__)

MANIFEST = "book.json"
FEED = "feed.xml"

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
ATOM_NS = "http://www.w3.org/2005/Atom"
# The Podcasting 2.0 spec names https://podcastindex.org/namespace/1.0 as canonical and requires
# clients to treat its original GitHub URI as identical. podcastparser (gPodder, <= 0.6.11) only
# knows the GitHub spelling, feedparser matches on the prefix, so the GitHub URI works everywhere.
PODCAST_NS = "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md"
# Namespace for the channel's podcast:guid (UUIDv5 of the feed URL), fixed by the Podcasting 2.0 spec.
_PODCAST_GUID_NS = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
# Books carry no publication date yet; episodes are dated from this base (or the manifest's
# optional "published" ISO date), one minute apart, so date-sorting players keep chapter order.
_DEFAULT_BASE_DATE = datetime(2000, 1, 1, tzinfo=timezone.utc)
# XML 1.0 Char: tab, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF; anything else is illegal.
_XML_ILLEGAL = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Characters RFC 3986 allows in a URL (unreserved, reserved), plus % when it starts %XX.
_URL_BAD_CHAR = re.compile(r"[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]|%(?![0-9A-Fa-f]{2})")



@dataclass(frozen=True)
class ManifestSection:
    """A titled span of a chapter file (becomes one JSON chapter marker)."""

    title: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class ManifestSegment:
    """A spoken span of a chapter file (becomes one transcript cue)."""

    kind: str
    speaker: str | None
    text: str
    start_ms: int
    end_ms: int
    sentences: tuple[tuple[int, int, int], ...] = ()
    """(end offset in `text`, start_ms, end_ms) of each sentence, when the segment has several."""


@dataclass(frozen=True)
class ManifestChapter:
    """One chapter MP3 as recorded in book.json."""

    index: int
    title: str
    subtitle: str | None
    file: str
    duration_ms: int
    sections: tuple[ManifestSection, ...]
    segments: tuple[ManifestSegment, ...]
    guid: str | None = None
    """The episode's guid as book.json records it (it stays with the chapter when others are inserted)."""

    @property
    def stem(self) -> str:
        """File name without extension, the prefix of the chapter's side files."""
        return PurePosixPath(self.file).stem


@dataclass(frozen=True)
class Manifest:
    """The parts of book.json the feed needs."""

    slug: str
    title: str
    author: str
    language: str
    description: str
    cover: str | None
    published: datetime | None
    chapters: tuple[ManifestChapter, ...]
    source: str | None = None
    """The folder or file the book was rendered from (None for a pipe, or a book.json written before)."""


def load_manifest(book_dir: Path) -> Manifest:
    """Read and validate `book_dir/book.json`; raise InputError naming the file and the problem."""
    path = Path(book_dir) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: not found (is this a rendered book folder?)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON: {exc}") from exc
    try:
        return _parse_manifest(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{path}: malformed manifest: {_describe(exc)}") from exc


def _describe(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing key {exc.args[0]!r}"
    return str(exc)


def _str(obj: dict, key: str, where: str, optional: bool = False) -> str | None:
    value = obj.get(key) if optional else obj[key]
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{where}{key}: expected a string, found {type(value).__name__}")
    return value


def _int(obj: dict, key: str, where: str) -> int:
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{where}{key}: expected a non-negative integer, found {value!r}")
    return value


def _relative_file(name: str, where: str) -> str:
    parts = PurePosixPath(name).parts
    if not parts or name.startswith("/") or "\\" in name or ".." in parts:
        raise ValueError(f"{where}: {name!r} is not a file name inside the book folder")
    return name


def _parse_manifest(data: object) -> Manifest:
    if not isinstance(data, dict):
        raise TypeError("expected a JSON object at the top level")
    chapters_data = data["chapters"]
    if not isinstance(chapters_data, list) or not chapters_data:
        raise ValueError("chapters: expected a non-empty list")
    chapters = tuple(_parse_chapter(c, n) for n, c in enumerate(chapters_data))
    indexes = [c.index for c in chapters]
    if len(set(indexes)) != len(indexes):
        raise ValueError("chapters: duplicate chapter index")
    cover = _str(data, "cover", "", optional=True)
    published_text = _str(data, "published", "", optional=True)
    published = None
    if published_text:
        published = datetime.fromisoformat(published_text)
        if published.tzinfo is None:
            published = published.replace(tzinfo=timezone.utc)
    return Manifest(
        slug=_str(data, "slug", ""),
        title=_str(data, "title", ""),
        author=_str(data, "author", "", optional=True) or "",
        language=_str(data, "language", "", optional=True) or "en",
        description=_str(data, "description", "", optional=True) or "",
        cover=_relative_file(cover, "cover") if cover else None,
        published=published,
        chapters=tuple(sorted(chapters, key=lambda c: c.index)),
        source=_str(data, "source", "", optional=True),
    )


def _sentence_times(segment: object, where: str) -> tuple[tuple[int, int, int], ...]:
    raw = segment.get("sentences") if isinstance(segment, dict) else None
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(
            isinstance(t, list) and len(t) == 3 and all(isinstance(v, int) and not isinstance(v, bool) for v in t)
            for t in raw):
        raise TypeError(f"{where}: expected a list of [end, start_ms, end_ms]")
    return tuple((t[0], t[1], t[2]) for t in raw)


def _parse_chapter(data: object, n: int) -> ManifestChapter:
    where = f"chapters[{n}]."
    if not isinstance(data, dict):
        raise TypeError(f"chapters[{n}]: expected an object")
    sections = tuple(
        ManifestSection(
            title=_str(s, "title", f"{where}sections[{i}]."),
            start_ms=_int(s, "start_ms", f"{where}sections[{i}]."),
            end_ms=_int(s, "end_ms", f"{where}sections[{i}]."),
        )
        for i, s in enumerate(data.get("sections") or [])
    )
    segments = tuple(
        ManifestSegment(
            kind=_str(s, "kind", f"{where}segments[{i}]."),
            speaker=_str(s, "speaker", f"{where}segments[{i}].", optional=True),
            text=_str(s, "text", f"{where}segments[{i}]."),
            start_ms=_int(s, "start_ms", f"{where}segments[{i}]."),
            end_ms=_int(s, "end_ms", f"{where}segments[{i}]."),
            sentences=_sentence_times(s, f"{where}segments[{i}].sentences"),
        )
        for i, s in enumerate(data.get("segments") or [])
    )
    return ManifestChapter(
        index=_int(data, "index", where),
        title=_str(data, "title", where),
        subtitle=_str(data, "subtitle", where, optional=True),
        file=_relative_file(_str(data, "file", where), f"{where}file"),
        duration_ms=_int(data, "duration_ms", where),
        sections=sections,
        segments=segments,
        guid=_str(data, "guid", where, optional=True),
    )


def episode_guid(slug: str, index: int) -> str:
    """The guid of chapter `index` of a book first rendered before book.json recorded guids (and of every
    chapter of a first render): what its feed said, so subscribers' episodes keep theirs."""
    return f"urn:narrate:{slug}:chapter:{index}"


def check_base_url(base_url: str) -> str:
    """Validate the URL a book folder is served at; return it ending in "/" (InputError if unusable).

    It must be http(s) with a host and a valid port, and written as a URL is: no spaces, control
    or non-ASCII characters (percent-encode them, e.g. %20), every % followed by two hex digits.
    """
    bad = _URL_BAD_CHAR.search(base_url)
    if bad:
        char = bad.group()
        hint = "percent-encode it, e.g. %20 for a space" if char != "%" else "a % must be followed by two hex digits"
        raise InputError(f"base URL {base_url!r}: {char!r} at position {bad.start() + 1} is not allowed "
                         f"in a URL ({hint})")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"base URL {base_url!r}: expected an http:// or https:// URL with a host")
    try:
        parts.port
    except ValueError:
        raise InputError(f"base URL {base_url!r}: the port must be a number from 0 to 65535") from None
    if parts.query or parts.fragment:
        raise InputError(f"base URL {base_url!r}: must not have a query or fragment")
    return base_url if base_url.endswith("/") else base_url + "/"



def _url(base: str, name: str) -> str:
    return base + quote(name, safe="/")


def chapters_json(chapter: ManifestChapter) -> dict:
    """The Podcasting 2.0 JSON chapters document (version 1.2.0) for one chapter file."""
    sections = chapter.sections or (ManifestSection(chapter.title, 0, chapter.duration_ms),)
    return {
        "version": "1.2.0",
        "chapters": [{"startTime": s.start_ms / 1000, "title": s.title} for s in sections],
    }


def _vtt_time(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _vtt_escape(text: str) -> str:
    # Cue text is HTML-like: &, < and > must be escaped; a blank line would end the cue.
    text = " ".join(text.split())
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# Plain-text emphasis (_so_ in Project Gutenberg texts, *so* in fan fiction) is italics in a caption; a marker
# whose partner a cue boundary cut off is dropped.
_EMPHASIS = re.compile(r"(?<![\w_*])([_*])(?=\S)([^_*\n]*?\S)\1(?![\w_*])")
_STRAY_MARK = re.compile(r"(?<![\w_*])[_*](?=\w)|(?<=[\w.,;:!?'\u2019])[_*](?![\w_*])")


def _caption(text: str) -> str:
    """Cue text: escaped, emphasis as <i>."""
    text = _EMPHASIS.sub(r"<i>\2</i>", _vtt_escape(text))
    return _STRAY_MARK.sub("", text)


def transcript_vtt(chapter: ManifestChapter) -> str:
    """A WebVTT transcript, voiced by each segment's speaker: a cue per sentence where book.json times its
    sentences (a paragraph-long cue fills a phone's screen and stays on it for a minute), else per segment."""
    lines = ["WEBVTT", ""]
    for seg in chapter.segments:
        speaker = _vtt_escape(seg.speaker if seg.kind == "dialogue" and seg.speaker else "Narrator")
        for text, start_ms, end_ms in _cues(seg):
            text = _caption(text)
            if not text:
                continue
            end_ms = max(end_ms, start_ms + 1)  # a cue must end after it starts
            lines += [f"{_vtt_time(start_ms)} --> {_vtt_time(end_ms)}", f"<v {speaker}>{text}", ""]
    return "\n".join(lines)


def _cues(seg: ManifestSegment) -> list[tuple[str, int, int]]:
    """(text, start_ms, end_ms) of each cue of a segment: its sentences when they are timed and fit its text."""
    cues, start = [], 0
    for end, start_ms, end_ms in seg.sentences:
        if not start <= end <= len(seg.text) or start_ms > end_ms:
            return [(seg.text, seg.start_ms, seg.end_ms)]  # not this text's sentences: one cue, as before
        cues.append((seg.text[start:end], start_ms, end_ms))
        start = end
    if not cues:
        return [(seg.text, seg.start_ms, seg.end_ms)]
    text, start_ms, end_ms = cues[-1]
    cues[-1] = (text + seg.text[start:], start_ms, end_ms)  # what follows the last sentence end (a quote mark)
    return [part for cue in cues for part in _clauses(*cue)]


CUE_CHARS = 100
"""About two lines of a phone's captions: a longer sentence is shown clause by clause."""
_CLAUSE_END = re.compile(r"(?<=[,;:])\s+|\s+(?=[\u2014\u2013]|--)")


def _clauses(text: str, start_ms: int, end_ms: int) -> list[tuple[str, int, int]]:
    """A cue longer than CUE_CHARS cut at its clauses (commas, semicolons, colons, dashes) into pieces of
    about CUE_CHARS, each timed by its share of the characters (speech runs at an even pace within a sentence)."""
    text = " ".join(text.split())
    if len(text) <= CUE_CHARS:
        return [(text, start_ms, end_ms)]
    cuts = [m.end() for m in _CLAUSE_END.finditer(text)]
    pieces, begin = [], 0
    for i, cut in enumerate(cuts):
        following = cuts[i + 1] if i + 1 < len(cuts) else len(text)
        if cut - begin >= CUE_CHARS // 3 and following - begin > CUE_CHARS:
            pieces.append((begin, cut))
            begin = cut
    pieces.append((begin, len(text)))
    # A clause still far too long (no comma for 140 characters) is halved at the space nearest its middle.
    halved = []
    while pieces:
        a, b = pieces.pop(0)
        mid = text.rfind(" ", a, (a + b) // 2 + 1)
        if b - a > CUE_CHARS * 7 // 5 and mid > a:
            pieces[:0] = [(a, mid + 1), (mid + 1, b)]
        else:
            halved.append((a, b))
    pieces = halved
    span = end_ms - start_ms
    return [(text[a:b].strip(), start_ms + span * a // len(text), start_ms + span * b // len(text))
            for a, b in pieces]


def _duration(ms: int) -> str:
    hours, rest = divmod(round(ms / 1000), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}"


def xml_text(text: str) -> str:
    """`text` without the characters XML 1.0 forbids (controls, lone surrogates, U+FFFE/FFFF),
    which book.toml or a chapter may hold but would make feed.xml ill-formed."""
    return _XML_ILLEGAL.sub(lambda m: " " if m.group().isspace() else "", text)


def _sub(parent: ET.Element, tag: str, text: str | None = None, /, **attrs: str) -> ET.Element:
    # Every string reaching the feed passes here, so none can make it ill-formed.
    el = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        el.text = xml_text(text)
    return el


def _it(name: str) -> str:
    return f"{{{ITUNES_NS}}}{name}"


def _pc(name: str) -> str:
    return f"{{{PODCAST_NS}}}{name}"


def build_feed(manifest: Manifest, book_dir: Path, base_url: str, now: datetime) -> ET.Element:
    """The RSS 2.0 element tree for a book; enclosure lengths are read from the files on disk."""
    base = check_base_url(base_url)
    rss = ET.Element("rss", {"version": "2.0"})
    channel = _sub(rss, "channel")
    _sub(channel, "title", manifest.title)
    _sub(channel, "link", base)
    description = manifest.description or (
        f"{manifest.title} by {manifest.author}" if manifest.author else manifest.title)
    _sub(channel, "description", description)
    _sub(channel, "language", manifest.language)
    _sub(channel, "generator", "narrate")
    _sub(channel, "lastBuildDate", format_datetime(now.astimezone(timezone.utc), usegmt=True))
    feed_url = _url(base, FEED)
    _sub(channel, f"{{{ATOM_NS}}}link", href=feed_url, rel="self", type="application/rss+xml")
    if manifest.author:
        _sub(channel, _it("author"), manifest.author)
    _sub(channel, _it("summary"), description)
    if manifest.cover:
        cover_path = book_dir / manifest.cover
        if not cover_path.is_file():
            raise InputError(f"{book_dir / MANIFEST}: cover {manifest.cover!r} not found in {book_dir}")
        cover_url = _url(base, manifest.cover)
        _sub(channel, _it("image"), href=cover_url)
        image = _sub(channel, "image")
        _sub(image, "url", cover_url)
        _sub(image, "title", manifest.title)
        _sub(image, "link", base)
    category = _sub(channel, _it("category"), text="Arts")
    _sub(category, _it("category"), text="Books")
    _sub(channel, _it("explicit"), "false")
    _sub(channel, _it("type"), "serial")
    guid_source = feed_url.split("://", 1)[1].rstrip("/")
    _sub(channel, _pc("guid"), str(uuid.uuid5(_PODCAST_GUID_NS, guid_source)))
    base_date = manifest.published or _DEFAULT_BASE_DATE
    for chapter in manifest.chapters:
        _add_item(channel, manifest, chapter, book_dir, base, base_date)
    return rss


def _add_item(channel: ET.Element, manifest: Manifest, chapter: ManifestChapter,
              book_dir: Path, base: str, base_date: datetime) -> None:
    audio = book_dir / chapter.file
    try:
        size = audio.stat().st_size
    except OSError as exc:
        raise InputError(f"{audio}: chapter {chapter.index} audio is missing: {exc.strerror}") from exc
    item = _sub(channel, "item")
    _sub(item, "title", chapter.title)
    _sub(item, "description", chapter.subtitle or f"Chapter {chapter.index} of {manifest.title}")
    # Stable across re-renders: book.json keeps each chapter's guid, whatever chapters come before it later.
    _sub(item, "guid", chapter.guid or episode_guid(manifest.slug, chapter.index), isPermaLink="false")
    published = base_date + timedelta(minutes=chapter.index)
    _sub(item, "pubDate", format_datetime(published.astimezone(timezone.utc), usegmt=True))
    _sub(item, "enclosure", url=_url(base, chapter.file), length=str(size), type="audio/mpeg")
    _sub(item, _it("title"), chapter.title)
    _sub(item, _it("duration"), _duration(chapter.duration_ms))
    _sub(item, _it("episode"), str(chapter.index))
    _sub(item, _it("episodeType"), "full")
    _sub(item, _it("explicit"), "false")
    _sub(item, _pc("chapters"), url=_url(base, chapter.stem + ".chapters.json"),
         type="application/json+chapters")
    _sub(item, _pc("transcript"), url=_url(base, chapter.stem + ".vtt"), type="text/vtt",
         language=manifest.language, rel="captions")


def _write_atomic(path: Path, data: bytes) -> None:
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(tmp, 0o644)  # mkstemp makes 0600; a web server may run as another user
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ExportError(f"{path}: cannot write: {exc.strerror or exc}") from exc


def write_feed(book_dir: Path, base_url: str, *, now: datetime | None = None) -> Path:
    """Write feed.xml plus per-chapter JSON chapters and VTT transcripts into `book_dir`.

    `base_url` is the http(s) URL at which `book_dir` itself is served; `now` (default: the
    current time) only sets lastBuildDate. Returns the path of feed.xml.
    """
    book_dir = Path(book_dir)
    manifest = load_manifest(book_dir)
    check_base_url(base_url)
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    rss = build_feed(manifest, book_dir, base_url, now)
    for chapter in manifest.chapters:
        doc = json.dumps(chapters_json(chapter), ensure_ascii=False, indent=2) + "\n"
        _write_changed(book_dir / f"{chapter.stem}.chapters.json", doc.encode("utf-8"))
        _write_changed(book_dir / f"{chapter.stem}.vtt", transcript_vtt(chapter).encode("utf-8"))
    for prefix, uri in (("itunes", ITUNES_NS), ("podcast", PODCAST_NS), ("atom", ATOM_NS)):
        ET.register_namespace(prefix, uri)
    ET.indent(rss)
    xml = ET.tostring(rss, encoding="utf-8", xml_declaration=True)
    path = book_dir / FEED
    if _write_changed(path, xml + b"\n", _BUILD_DATE):
        log.info("wrote %s (%d episodes)", path, len(manifest.chapters))
        # Said when the feed changes, not at every render that leaves it as it was.
        problem = artwork_problem((book_dir / manifest.cover).read_bytes() if manifest.cover else None,
                                  _settings_file(manifest.source))
        if problem:
            log.warning("%s: %s", path, problem)
    return path


def _settings_file(source: str | None) -> str:
    """Where the settings of a book rendered from `source` go: book.toml in its folder, `<stem>.toml` beside a
    single file (`novel.md` -> `novel.toml`)."""
    if not source:
        return "book.toml"
    path = Path(source)
    if path.is_file() or not path.is_dir() and path.suffix:
        return str(path.with_suffix(".toml"))
    return str(path / "book.toml")


_BUILD_DATE = re.compile(rb"<lastBuildDate>[^<]*</lastBuildDate>")


def _write_changed(path: Path, data: bytes, volatile: re.Pattern[bytes] | None = None) -> bool:
    """Write `data` to `path` unless the file holds it already (but for what `volatile` matches: the feed's
    build date); return whether it was written. A file left as it was keeps its ETag and date, so podcast
    apps polling it get 304 Not Modified after a render that changed nothing."""
    try:
        old = path.read_bytes()
    except OSError:
        old = None
    if old is not None and (old == data or volatile is not None
                            and volatile.sub(b"", old) == volatile.sub(b"", data)):
        return False
    _write_atomic(path, data)
    return True


def feed_is_current(book_dir: Path) -> bool:
    """Does an existing feed.xml in `book_dir` list the chapters book.json lists, with the sizes their files have?"""
    book_dir = Path(book_dir)
    try:
        channel = ET.parse(book_dir / FEED).getroot().find("channel")
        manifest = load_manifest(book_dir)
    except (OSError, ET.ParseError, InputError):
        return False
    enclosures = [e.attrib for e in channel.iter("enclosure")] if channel is not None else []
    if len(enclosures) != len(manifest.chapters):
        return False
    for enclosure, chapter in zip(enclosures, manifest.chapters):
        try:
            size = (book_dir / chapter.file).stat().st_size
        except OSError:
            return False
        if not enclosure.get("url", "").endswith("/" + quote(chapter.file, safe="/")) or enclosure.get("length") != str(size):
            return False
    return True


def feed_base_url(book_dir: Path) -> str | None:
    """The base URL an existing feed.xml in `book_dir` was written for (its channel link), or None
    when there is no feed or it cannot be read."""
    try:
        link = ET.parse(Path(book_dir) / FEED).getroot().findtext("channel/link")
    except (OSError, ET.ParseError):
        return None
    try:
        return check_base_url(link.strip()) if link else None
    except InputError:
        return None
