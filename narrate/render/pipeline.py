"""Pipeline: render_book() chains read -> script -> cast -> synthesize -> stitch -> export, in parallel."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .._version import __version__
from ..audio.export import Tags, check_bitrate, ensure_folder, write_atomic
from ..audio.settings import Pacing
from ..errors import InputError, NarrateError, RenderError
from ..model import NARRATOR_SPEAKER, Book, Chapter, Character, Script, Segment, VoiceMap
from ..text.reader import load_book
from ..voices.casting import (
    adjusted_cast,
    auto_cast,
    canonical_stats,
    check_voices,
    load_voice_map,
    speaker_stats,
    warn_same_voices,
    warn_unused_speakers,
)
from ..voices.castrecord import CAST_FILE, read_cast, with_recorded, write_cast
from ..voices.synth import default_cache_dir
from . import uploads, wholebook
from .fingerprint import audio_fingerprint, digest
from .incremental import (
    Plan,
    apply_retags,
    book_fields,
    listed_entries,
    new_guids,
    plan_render,
    remove_orphans,
    upgrade_fingerprints,
    with_guids,
)
from .job import ChapterJob, Progress, ProgressFn, render_chapter
from .lock import book_lock
from .options import RenderOptions, acx_options, job_options
from .parallel import PRIVATE_CACHE_PREFIX, run_jobs
from .plan import Pronouncer, plan_chapter

if TYPE_CHECKING:
    from ..attribution.scriptfile import ScriptFile
    from ..publish.remote import RemoteOutput

__all__ = ["ChapterJob", "Progress", "ProgressFn", "RenderOptions", "RenderResult", "acx_options", "book_options",
           "load_manifest", "parse_chapter_spec", "pending_chapters", "render_book", "render_chapter", "resolve_voices",
           "script_book", "write_scripts"]

log = logging.getLogger(__name__)

MANIFEST = "book.json"


def parse_chapter_spec(spec: str | None, count: int) -> list[int]:
    """"1,3-5" -> [1, 3, 4, 5], checked against the number of chapters."""
    if not spec:
        return list(range(1, count + 1))
    chosen: set[int] = set()
    for part in spec.split(","):
        part = part.strip()
        try:
            if "-" in part:
                lo_s, hi_s = part.split("-", 1)
                lo = int(lo_s) if lo_s.strip() else 1
                hi = int(hi_s) if hi_s.strip() else count
            else:
                lo = hi = int(part)
        except ValueError:
            raise InputError(f"--chapters {spec!r}: expected numbers and ranges like 1,3-5") from None
        if lo > hi:
            raise InputError(f"--chapters {spec!r}: the range {part} is reversed; write {hi}-{lo}")
        if lo < 1 or hi > count:
            raise InputError(f"--chapters {spec!r}: the book has chapters 1-{count}")
        chosen.update(range(lo, hi + 1))
    return sorted(chosen)


SCRIPT_DIR = "script"


def script_path(book_dir: Path, chapter: Chapter) -> Path:
    """Where `narrate script BOOK` keeps a chapter's editable script."""
    return book_dir / SCRIPT_DIR / f"{chapter.slug}.json"


SCRIPT_CACHE_FORMAT = "scripts-1"


def _attribution_stamp() -> str:
    """What identifies the attribution code in use: its files' names, sizes and times (cheap to stat)."""
    from .. import attribution

    root = Path(attribution.__file__).parent
    parts = sorted((str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns)
                   for p in root.rglob("*") if p.is_file() and p.suffix != ".pyc")
    return hashlib.sha256(json.dumps(parts).encode("utf-8")).hexdigest()


def _script_to_json(script: Script) -> dict:
    return {"text": script.text, "segments": [dataclasses.asdict(s) for s in script.segments],
            "characters": [dataclasses.asdict(c) for c in script.characters]}


def _script_from_json(data: dict) -> Script:
    return Script(data["text"], tuple(Segment(**s) for s in data["segments"]),
                  tuple(Character(c["name"], c["gender"], tuple(c["aliases"])) for c in data["characters"]))


def _auto_scripts(book: Book, cache_dir: Path | str | None) -> list[Script]:
    """The attribution of every chapter, kept in the cache: an unchanged book is not attributed again.

    Attribution is book-wide (characters are found across chapters), so the key covers every
    chapter's text, with the narrate version and the attribution code.
    """
    from ..voices.synth import ClipCache

    texts = [c.text for c in book.chapters]
    cache = ClipCache(cache_dir) if cache_dir is not None else None
    key = hashlib.sha256(json.dumps([SCRIPT_CACHE_FORMAT, __version__, _attribution_stamp(), texts])
                         .encode("utf-8")).hexdigest()
    data = cache.get_blob("scripts", key) if cache else None
    if data:
        try:
            scripts = [_script_from_json(d) for d in json.loads(data)]
            if [s.text for s in scripts] == texts:
                return scripts
        except (ValueError, KeyError, TypeError):
            pass  # a damaged entry: attribute again
    from ..attribution.attribute import script_book as _script_book

    scripts = _script_book(texts)
    if cache:
        cache.put_blob("scripts", key, json.dumps([_script_to_json(s) for s in scripts]).encode("utf-8"))
    return scripts


def _source_id(book: Book) -> str | None:
    """The book's source as book.json records it: the absolute path of its folder or file as given (a symbolic
    link stays the link: pointed at a new draft, it is the same book), None for a pipe."""
    if book.source is None:
        return None
    path = Path(book.source)
    return os.path.abspath(path) if path.is_dir() or path.is_file() else None


def book_text_digest(book: Book) -> str:
    """A digest of the book's chapter texts, in order: book.json's sign of which book a folder holds."""
    h = hashlib.sha256()
    for chapter in book.chapters:
        h.update(hashlib.sha256(chapter.text.encode("utf-8")).digest())
    return h.hexdigest()


def check_same_book(book: Book, book_dir: Path, force: bool = False) -> None:
    """RenderError when `book_dir` holds the audiobook of another source: a book of the same name from another
    folder (`a/novel.epub`, `b/novel.epub`; `novel/` and `novel.txt`) would replace its chapters, script
    corrections and cast. The same book moved (its old place gone; same file or folder name, same title), or a
    copy of it (the same text, chapter for chapter), is the same book; `force` replaces the other one."""
    manifest = load_manifest(book_dir)
    old, new = manifest.get("source"), _source_id(book)
    if not isinstance(old, str) or new is None or old == new:
        return
    title = manifest.get("title")
    if Path(old).resolve() == Path(new).resolve():
        return  # the same folder or file reached by another path (a link, or the real path of one)
    if not Path(old).exists() and Path(old).name == Path(new).name and title == book.title:
        log.info("%s: the book was rendered from %s before; it is the same book, moved", book_dir, old)
        return
    if manifest.get("text_digest") == book_text_digest(book):
        log.info("%s: rendered from %s before; %s has the same text: the same book", book_dir, old, book.source)
        return
    if force:
        log.warning('%s: the audiobook of %s ("%s") is replaced (--force)', book_dir, old, title)
        return
    raise RenderError(f'{book_dir} holds the audiobook of {old} ("{title}"), another book of the same name: '
                      f"{book.source} would replace it; render it with -o to another folder, or with --force to "
                      "replace it")


def script_book(book: Book, book_dir: Path | None = None, cache_dir: Path | str | None = None,
                force: bool = False) -> list[Script]:
    """Split and attribute every chapter (characters discovered across the whole book).

    When `book_dir` holds an edited script for a chapter, that script is used instead, so a
    user's corrections decide who speaks. If the chapter text changed since the script was
    written, its corrections are carried over to the new text; those that fit no line of it are
    logged as warnings (naming the file and line) and not used. With `cache_dir`, the automatic
    attribution is kept there and reused while the book's text is unchanged.
    """
    if book_dir is not None:
        check_same_book(book, book_dir, force)
    scripts = _auto_scripts(book, cache_dir)
    if book_dir is None:
        return scripts
    from ..attribution.scriptfile import carry_corrections, read_script_file

    out = []
    moved = _moved_scripts(book_dir, book)
    known = sorted({form for script in scripts for c in script.characters for form in (c.name, *c.aliases)})
    for chapter, auto in zip(book.chapters, scripts, strict=True):
        path = _script_of(book_dir, chapter, moved)
        if path is None:
            out.append(auto)
            continue
        edited = read_script_file(path, chapter.text)
        _warn_near_names(edited, known)
        if edited.script.text == chapter.text:
            out.append(edited.script)
            continue
        merged, lost = carry_corrections(edited.script, auto)
        log.info("%s: the chapter text changed; corrections carried over to it "
                 "(`narrate script` updates the file)", path)
        for index in lost:
            log.warning("%s fits no line of the changed chapter text; it is not used", edited.describe(index))
        out.append(merged)
    return out


def _warn_near_names(edited: ScriptFile, known: list[str]) -> None:
    """A speaker typed into a script that is no character of the book but nearly one ("Rorry") is named once
    per file: a new name is a new character, with a voice of its own."""
    import difflib

    seen = set(known)
    for index, seg in enumerate(edited.script.segments):
        if not seg.speaker or seg.speaker in seen:
            continue
        seen.add(seg.speaker)
        close = difflib.get_close_matches(seg.speaker, known, n=1, cutoff=0.8) or \
            [k for k in known if _swapped(seg.speaker, k)][:1]
        if close:
            log.warning('%s: "%s" is no character of the book; did you mean "%s"? (a new name is a new character, '
                        "with a voice of its own)", edited.describe(index), seg.speaker, close[0])


def _swapped(typed: str, name: str) -> bool:
    """Whether `typed` is `name` with two neighbouring letters swapped ("Tmo" for "Tom"): a typo short names
    are too short for a similarity ratio to catch."""
    if len(typed) != len(name) or typed == name:
        return False
    diff = [i for i, (a, b) in enumerate(zip(typed, name)) if a != b]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and typed[diff[0]] == name[diff[1]] \
        and typed[diff[1]] == name[diff[0]]


def write_scripts(book: Book, out_dir: Path, force: bool = False,
                  auto_scripts: list[Script] | None = None) -> list[tuple[Chapter, Path, Script]]:
    """Write each chapter's editable script to DIR/<book>/script/, keeping user corrections unless `force`.

    Corrections follow an edited chapter text to their lines. When some fit no line of it, they
    are logged as warnings and the previous file is kept beside the new one as `<name>.bak`; so is a file whose
    corrections `force` replaces. `auto_scripts`: the book's automatic attribution, when the caller has it already.
    """
    from ..attribution.scriptfile import USER_RULE, carry_corrections, read_script_file, save_script

    book_dir = out_dir / book.slug
    check_same_book(book, book_dir, force)
    ensure_folder(book_dir / SCRIPT_DIR)
    written = []
    moved = _moved_scripts(book_dir, book)
    for chapter, auto in zip(book.chapters, auto_scripts or script_book(book), strict=True):
        path = script_path(book_dir, chapter)
        script = auto
        found = _script_of(book_dir, chapter, moved)
        if found is not None and not force:
            edited = read_script_file(found)
            script, lost = carry_corrections(edited.script, auto)
            if lost:
                kept = _backup(found)
                for index in lost:
                    log.warning("%s fits no line of the changed chapter text; the previous file is kept as %s",
                                edited.describe(index), kept)
        elif found is not None:
            # --force writes the automatic attribution over the user's corrections: kept aside, and said.
            try:
                corrected = sum(seg.rule == USER_RULE for seg in read_script_file(found).script.segments)
            except NarrateError:
                corrected = -1  # a file that does not read: kept aside all the same
            if corrected:
                kept = _backup(found)
                log.warning("%s: %s replaced (--force); the previous file is kept as %s", found,
                            f"{corrected} correction(s)" if corrected > 0 else "an unreadable script", kept)
        save_script(path, script, chapter.title, str(chapter.source), auto=auto)
        if found is not None and found != path and not force:
            # Its corrections now live under the chapter's new name: one file per chapter, the one render reads.
            found.unlink(missing_ok=True)
            log.info("%s: carried over to %s (the chapters were renumbered) and removed", found, path.name)
        written.append((chapter, path, script))
    return written


def _moved_scripts(book_dir: Path, book: Book) -> list[tuple[Path, dict]]:
    """The script files under no current chapter's name, read once per book: left behind when chapters
    were renumbered (a chapter inserted before Holmes makes "03-holmes.json" chapter 4's)."""
    folder = book_dir / SCRIPT_DIR
    if not folder.is_dir():
        return []
    current = {script_path(book_dir, c).name for c in book.chapters}
    moved = []
    for other in sorted(folder.glob("*.json")):
        if other.name in current:
            continue
        try:
            data = json.loads(other.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            moved.append((other, data))
    return moved


def _script_of(book_dir: Path, chapter: Chapter, moved: list[tuple[Path, dict]]) -> Path | None:
    """The script file holding a chapter's corrections: its own, else one of the `moved` ones written for
    the same chapter file or text."""
    from ..attribution.scriptfile import text_digest

    path = script_path(book_dir, chapter)

    def same_file(data: dict) -> bool:
        return chapter.source is not None and data.get("source") == str(chapter.source)

    if path.is_file():
        for other, data in moved:
            if same_file(data):
                log.warning("%s: left from before the chapters were renumbered, and not read: %s is this chapter's "
                            "script (`narrate script` carries edits over from the old file only while the new one "
                            "does not exist; delete the old one)", other, path.name)
        return path
    for other, data in moved:
        if same_file(data) or data.get("text_sha256") == text_digest(chapter.text):
            log.info("%s: the corrections of %s (its chapter file was renamed, or the chapters renumbered; "
                     "`narrate script` moves them to this name)", path.name, other)
            return other
    return None


def _backup(path: Path) -> Path:
    """Copy `path` to a free `<name>.bak[.N]` beside it, so corrections that could not be carried over stay on disk."""
    dest = path.with_name(path.name + ".bak")
    n = 1
    while dest.exists():
        dest = path.with_name(f"{path.name}.bak.{n}")
        n += 1
    write_atomic(dest, path.read_bytes())
    return dest


def resolve_voices(book: Book, scripts: list[Script], options: RenderOptions) -> VoiceMap:
    """The voice map in force: --voices, else voices/<book>.toml, else an automatic cast; gaps auto-cast,
    keeping the automatic voices the book was last rendered with (voices.castrecord)."""
    return adjusted_cast(_cast(book, scripts, options)[0])


def _cast(book: Book, scripts: list[Script], options: RenderOptions) -> tuple[VoiceMap, list[str], dict]:
    """resolve_voices before the map's rate and pitch adjustments (what the cast record keeps), with the speakers
    given automatic voices and the speaker counts."""
    path = options.voices_path
    if path is None:
        candidate = options.voices_dir / f"{book.slug}.toml"
        path = candidate if candidate.is_file() else None
        if path is None:
            _say_where_voice_maps_are(book, candidate)
    if path is not None:
        log.info("voice map: %s", path)
    existing = load_voice_map(path) if path else None
    stats = speaker_stats(scripts)
    if existing is not None:
        warn_unused_speakers(existing, stats)
        warn_same_voices(existing, stats)
        # Under the map's names, with the genders it gives: the lines of a table's aliases are its speaker's, for
        # the cast and its record.
        stats = canonical_stats(stats, existing)
    stats.pop(NARRATOR_SPEAKER, None)  # speaks with the narrator's voice unless the map says otherwise
    recorded = read_cast(options.out_dir / book.slug / CAST_FILE, book.language)
    voices = auto_cast(stats, with_recorded(existing, recorded, stats, book.language), language=book.language)
    check_voices(adjusted_cast(voices))
    automatic = [name for name in voices.speakers if existing is None or name not in existing.speakers]
    return voices, automatic, stats


def _say_where_voice_maps_are(book: Book, candidate: Path) -> None:
    """No voice map where one is looked for (voices/<book>.toml under the current folder): an automatic
    cast, said with -v; and a warning if there is one beside the book, as when run from another folder."""
    near = []
    if book.source is not None:
        src = Path(book.source).resolve()
        near = [folder / "voices" / candidate.name for folder in (src.parent, src.parent.parent)]
    found = next((p for p in near if p.is_file() and p.resolve() != candidate.resolve()), None)
    if found is not None:
        log.warning("no voice map at %s; the one at %s is not used (pass --voices %s, or run from %s)",
                    candidate, found, found, found.parent.parent)
    else:
        log.info("no voice map at %s: an automatic cast", candidate)


def plan_jobs(book: Book, scripts: list[Script], voices: VoiceMap, options: RenderOptions,
              book_dir: Path) -> list[ChapterJob]:
    """A job for every chapter, with two fingerprints: what shapes its audio, and what its tag holds."""
    jobs = []
    total = len(book.chapters)
    if options.executor is not None:
        # Workers elsewhere write where the client means, whatever their working folder.
        book_dir = book_dir.absolute()
    carried = job_options(options)
    upload_to = f"{options.upload_to.rstrip('/')}/{book_dir.name}" if options.upload_to else None
    cover_digest = hashlib.sha256(book.cover.read_bytes()).hexdigest() if book.cover else None
    pronouncer = Pronouncer(book.pronunciations)
    for chapter, script in zip(book.chapters, scripts, strict=True):
        lines = tuple(plan_chapter(chapter, script, voices, pronouncer))
        tags = Tags(title=chapter.title, subtitle=chapter.subtitle, album=book.title, artist=book.author,
                    track=chapter.index, track_total=total, language=book.language, cover=book.cover,
                    comment=f"Narrated by narrate {__version__}")
        tag_material = {"tags": dataclasses.asdict(tags), "cover_sha256": cover_digest}
        jobs.append(ChapterJob(chapter, lines, tags, book_dir / f"{chapter.slug}.mp3", carried,
                               audio_fingerprint(lines, options), tags_fingerprint=digest(tag_material),
                               upload_to=upload_to))
    return jobs


# -- the whole book ---------------------------------------------------------------------------

def load_manifest(book_dir: Path) -> dict:
    path = book_dir / MANIFEST
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, OSError):
        log.warning("%s is unreadable; chapters will be re-rendered", path)
        return {}
    return data if isinstance(data, dict) else {}


def _write_manifest(book: Book, book_dir: Path, entries: dict[int, dict], whole_book: dict | None,
                    fields: dict) -> None:
    """Write book.json: the book, its chapter entries, and `fields` (the book's own, made once per render: its
    source and text digest, the episodes' guids)."""
    manifest = {
        "narrate_version": __version__,
        "slug": book.slug,
        "title": book.title,
        "author": book.author,
        "language": book.language,
        "description": book.description,
        "cover": f"cover{book.cover.suffix.lower()}" if book.cover else None,
        "chapters": [entries[i] for i in sorted(entries)],
    }
    manifest.update(fields)
    if whole_book:
        manifest[wholebook.KEY] = whole_book
    write_atomic(book_dir / MANIFEST, _manifest_json(manifest))


_ENTRY_LINES: dict[int, tuple[object, str]] = {}


def _manifest_json(manifest: dict) -> bytes:
    """book.json: a top-level key per line and a chapter per line, each written by json's C encoder.

    The file is rewritten after every chapter; indented output goes through json's pure-Python
    encoder, which for a 300-chapter book (tens of MB of segments) cost seconds per chapter.
    """
    def dump(value: object) -> str:
        return json.dumps(value, ensure_ascii=False)

    def chapter(entry: object) -> str:
        # A finished chapter's entry is never changed again (a re-tag makes a new one), so its line
        # is made once per render, not once per chapter finished after it.
        held = _ENTRY_LINES.get(id(entry))
        if held is None or held[0] is not entry:
            if len(_ENTRY_LINES) > 4096:
                _ENTRY_LINES.clear()
            held = _ENTRY_LINES[id(entry)] = (entry, dump(entry))
        return held[1]

    fields = []
    for key, value in manifest.items():
        if isinstance(value, list) and value:
            value_text = "[\n  " + ",\n  ".join(chapter(v) if isinstance(v, dict) else dump(v) for v in value) + "\n ]"
        else:
            value_text = dump(value)
        fields.append(f" {dump(key)}: {value_text}")
    return ("{\n" + ",\n".join(fields) + "\n}\n").encode("utf-8")


@dataclass(frozen=True)
class RenderResult:
    book_dir: Path
    rendered: tuple[int, ...]
    skipped: tuple[int, ...]
    manifest: dict
    retagged: tuple[int, ...] = ()
    """Chapters whose audio was kept and only the ID3 tag rewritten (e.g. a new track total or cover)."""


def book_options(book: Book, options: RenderOptions) -> RenderOptions:
    """The options as a render of `book` applies them: the book's [pacing] when none is given, the ACX preset."""
    if options.pacing is None:
        try:
            options = dataclasses.replace(options, pacing=Pacing.from_dict(book.pacing, "[pacing]"))
        except ValueError as exc:
            raise InputError(f"{book.settings_file}: {exc}") from None
    if options.acx:
        options = acx_options(options)
    check_bitrate(options.encoding.bitrate_kbps, options.sample_rate)
    return options


def pending_chapters(book: Book, scripts: list[Script], voices: VoiceMap, options: RenderOptions) -> list[int]:
    """The chapters a render of the whole book would encode now: never rendered, or changed since (lines,
    voices, settings), as render_book decides it."""
    options = book_options(book, options)
    book_dir = options.out_dir / book.slug
    jobs = plan_jobs(book, scripts, voices, options, book_dir)
    manifest = upgrade_fingerprints(load_manifest(book_dir), jobs, book, options)
    plan = plan_render(jobs, [c.index for c in book.chapters], manifest, book_dir)
    return sorted(job.chapter.index for job in plan.encode)


def render_book(source: Path, options: RenderOptions | None = None,
                progress: ProgressFn | None = None) -> RenderResult:
    """Render a book (folder, .epub, .html, .md or single .txt) to DIR/<book>/ : one MP3 per chapter plus book.json."""
    options = options or RenderOptions()
    if options.base_url:
        from ..publish.feed import check_base_url

        check_base_url(options.base_url)  # before the render, not after it
    if options.m4b:
        from ..publish.bookfile import find_ffmpeg

        find_ffmpeg()  # what the M4B needs, found before hours of chapters are rendered for it
    book = load_book(source, all_documents=options.all_documents)
    options = book_options(book, options)
    selected = parse_chapter_spec(options.chapters, len(book.chapters))
    book_dir = options.out_dir / book.slug
    scripts_cache = (options.cache_dir or default_cache_dir()) if options.use_cache else None
    scripts = script_book(book, book_dir, scripts_cache, options.force)
    voices, automatic, stats = _cast(book, scripts, options)
    ensure_folder(book_dir)
    with book_lock(book_dir):
        write_cast(book_dir / CAST_FILE, voices, automatic, stats, book.language)
        return _render_locked(book, scripts, adjusted_cast(voices), options, book_dir, selected, progress)


def _render_locked(book: Book, scripts: list[Script], voices: VoiceMap, options: RenderOptions, book_dir: Path,
                   selected: list[int], progress: ProgressFn | None) -> RenderResult:
    """The part of render_book that writes into `book_dir`, which no other render may write into meanwhile."""
    jobs = plan_jobs(book, scripts, voices, options, book_dir)

    manifest = with_guids(upgrade_fingerprints(load_manifest(book_dir), jobs, book, options), book.slug)
    remote = uploads.destination(options, book_dir)
    sizes = uploads.sizes(remote, book_dir) if remote else None
    plan = plan_render(jobs, selected, manifest, book_dir, options.force, sizes)
    guids = new_guids(plan, manifest, book.slug)
    # Which book the folder holds (check_same_book), and its episodes' guids: the same for every write of book.json.
    fields = {**book_fields(plan, manifest, guids, _source_id(book)), "text_digest": book_text_digest(book)}
    if remote:
        remote.bring(book_dir, sorted({source["file"] for _, source in plan.retag}))  # re-tags read the audio here
    skipped = sorted(i for i in plan.skip if i in selected)
    if progress:
        for job in jobs:
            if job.chapter.index in skipped:
                progress(Progress(job.chapter.index, job.chapter.title, len(job.lines), len(job.lines), "skipped"))
    if book.cover:
        dest = book_dir / f"cover{book.cover.suffix.lower()}"
        cover = book.cover.read_bytes()
        if not dest.is_file() or dest.read_bytes() != cover:
            write_atomic(dest, cover)
    old_cover = manifest.get("cover")
    if old_cover in ("cover.jpg", "cover.jpeg", "cover.png") and \
            (not book.cover or old_cover != f"cover{book.cover.suffix.lower()}"):
        # The cover book.json named is no longer the book's (taken out, or now a .png): not left to be served.
        (book_dir / old_cover).unlink(missing_ok=True)
    whole = manifest.get(wholebook.KEY)
    whole = whole if isinstance(whole, dict) else {}
    entries = _retag_and_tidy(book, book_dir, manifest, plan, whole, progress, remote, fields)
    if remote:
        # After the re-tags, which may read a file that a chapter rendered now replaces at the URL.
        uploads.let_go(book_dir, [job.path.name for job in plan.encode])
    todo = list(plan.encode)

    def on_done(entry: dict) -> None:
        entries[entry["index"]] = {**entry, "guid": guids[entry["index"]]}
        # Written after every chapter so an interrupted render keeps what it finished.
        _write_manifest(book, book_dir, entries, whole, fields)

    # Longest chapters first: with chapters as the unit of parallel work, this keeps every
    # core busy until the end instead of leaving one long chapter running alone.
    todo.sort(key=lambda j: -sum(len(line.text) for line in j.lines))
    try:
        failures = run_jobs(todo, options.jobs, options.executor, progress, on_done, scratch_dir=book_dir)
    except BaseException:
        # Interrupted (Ctrl-C, a stop signal, a lost cluster): what the workers were writing is half-written.
        # Our pool's workers are stopped by now; a cluster's cancelled chapter may still be encoding, but
        # it checks before its file takes its name (and a .part it leaves goes with the next render).
        _remove_stale(book_dir)
        raise
    if failures and not remote:
        _keep_failed(book_dir, manifest, failures, entries, guids)
    _write_manifest(book, book_dir, entries, whole, fields)
    _remove_stale(book_dir)
    if failures and not remote:
        # book.json holds what is there now (chapters gone or re-made): a feed made earlier follows it
        # even while a chapter keeps failing.
        _refresh_feed(book_dir, changed=True)
    if failures:
        first = failures[0][1]
        done = len(todo) - len(failures)
        raise type(first)(f"{first} ({len(failures)} chapter(s) failed; {done} rendered and kept; "
                          "fix it and run again to finish)")
    if remote and (options.single_file or options.m4b or options.base_url):
        remote.bring(book_dir, [entries[i]["file"] for i in sorted(entries)])  # joined or measured here
    updated = wholebook.update_whole_book(book, book_dir, entries, options, whole)
    if updated != whole:
        _write_manifest(book, book_dir, entries, updated, fields)
    if options.base_url:
        from ..publish.feed import write_feed

        write_feed(book_dir, _feed_base(options, book_dir, book.slug))
    elif not remote:
        _refresh_feed(book_dir, changed=bool(todo or plan.retag or plan.relabelled))
    return RenderResult(book_dir, tuple(sorted(j.chapter.index for j in todo)), tuple(skipped),
                        load_manifest(book_dir), tuple(sorted(job.chapter.index for job, _ in plan.retag)))


def _feed_base(options: RenderOptions, book_dir: Path, slug: str) -> str:
    """The URL the book's feed gives its folder: --base-url itself for one book, URL/<book>/ for several. A book
    whose feed already has URL/<book>/ (rendered with others before) keeps it: the one base URL given for that
    output folder again must not move published episodes to addresses where they are not (subscribers' 404s)."""
    from ..publish.feed import feed_base_url

    base = options.base_url or ""
    nested = f"{base.rstrip('/')}/{slug}/"
    if options.feed_per_book:
        return nested
    if feed_base_url(book_dir) == nested and base.rstrip("/") + "/" != nested:
        log.warning("%s: its feed keeps the episodes at %s (the book's folder under %s, as it was written); "
                    "to move them, run: narrate feed %s --base-url %s", book_dir, nested, base, book_dir, base)
        return nested
    return base


def _keep_failed(book_dir: Path, manifest: dict, failures: list, entries: dict[int, dict],
                 guids: dict[int, str]) -> None:
    """A chapter whose re-render failed keeps the audio it had (its file is only replaced once the new one is
    whole): listed again in book.json, as it was, so the feed does not drop an episode subscribers have."""
    before = {e["file"]: e for e in listed_entries(manifest)}
    for job, _ in failures:
        old = before.get(job.path.name)
        if old is None or job.chapter.index in entries:
            continue
        try:
            intact = (book_dir / old["file"]).stat().st_size == old.get("bytes")
        except OSError:
            intact = False
        if intact:
            # Its fingerprint stays the old one: the next render makes it again.
            entries[job.chapter.index] = {**old, "index": job.chapter.index, "guid": guids[job.chapter.index]}
            log.info("%s: kept as it was until it renders", job.path.name)


def _refresh_feed(book_dir: Path, changed: bool) -> None:
    """Rewrite a podcast feed made earlier for this folder (`narrate feed`) when chapters were re-made
    or removed: its enclosure lengths, chapter times and transcripts would describe the old audio."""
    from ..publish.feed import FEED, feed_base_url, feed_is_current, write_feed

    if not (book_dir / FEED).is_file() or not changed and feed_is_current(book_dir):
        return
    base = feed_base_url(book_dir)
    if base is None:
        log.warning("%s: out of date with the chapters, and its base URL cannot be read; "
                    "run narrate feed again", book_dir / FEED)
        return
    try:
        write_feed(book_dir, base)
    except NarrateError as exc:  # e.g. no chapter left to list: the render's own outcome is what counts
        log.warning("%s: not updated (%s); run narrate feed again", book_dir / FEED, exc)
        return
    log.info("%s: updated for the chapters re-made", book_dir / FEED)


def _retag_and_tidy(book: Book, book_dir: Path, manifest: dict, plan: Plan, whole: dict,
                    progress: ProgressFn | None, remote: RemoteOutput | None, fields: dict) -> dict[int, dict]:
    """Re-tag what only needs new tags, remove files of chapters gone from the book, and write
    book.json for what is kept; return its entries by chapter index."""
    # Files about to be replaced leave book.json first: it never names a file whose audio changed.
    listed = listed_entries(manifest)
    if any(e["file"] in plan.rewritten for e in listed):
        write_atomic(book_dir / MANIFEST, _manifest_json(
            dict(manifest, chapters=[e for e in listed if e["file"] not in plan.rewritten])))
        if remote:
            remote.put(book_dir, MANIFEST)  # workers replace those files at the URL: there too
    entries = {**plan.keep, **plan.skip, **apply_retags(plan, book_dir, progress)}
    remove_orphans(book_dir, plan.orphans)
    _write_manifest(book, book_dir, entries, whole, fields)
    return entries


def _remove_stale(book_dir: Path) -> None:
    """Delete leftovers of interrupted renders (.part files, private clip caches); never touch other files."""
    for leftover in book_dir.glob(".*.part"):
        leftover.unlink(missing_ok=True)
    for leftover in book_dir.glob(f"{PRIVATE_CACHE_PREFIX}*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
