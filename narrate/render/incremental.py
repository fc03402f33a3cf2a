"""Incremental renders: which chapters to encode, re-tag or keep, and the outputs of chapters gone from the book."""

from __future__ import annotations

import logging
import os
import secrets
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..audio.export import Section, retag_mp3
from ..model import Book, Chapter
from . import wholebook
from .fingerprint import former_fingerprint, relabelled
from .job import ChapterJob, Progress, ProgressFn
from .options import RenderOptions

log = logging.getLogger(__name__)

FEED_SIDECARS = (".chapters.json", ".vtt")
"""What `narrate feed` writes beside each chapter MP3 (same stem): stale once the chapter is gone."""


@dataclass(frozen=True)
class Plan:
    """What a render does with each chapter, decided from book.json and the files it names."""

    skip: dict[int, dict] = field(default_factory=dict)
    """Chapter index -> its manifest entry: audio and tags unchanged."""
    retag: tuple[tuple[ChapterJob, dict], ...] = ()
    """Same audio as an existing file (maybe under another name or number): only the tag changes."""
    encode: tuple[ChapterJob, ...] = ()
    keep: dict[int, dict] = field(default_factory=dict)
    """Entries of chapters outside --chapters that need rendering: kept as they are until selected."""
    orphans: tuple[str, ...] = ()
    """Chapter files book.json lists that belong to no chapter of the book any more."""
    relabelled: tuple[int, ...] = ()
    """Chapters of `skip` whose speakers were renamed: their entries there have the new names."""

    @property
    def rewritten(self) -> set[str]:
        """File names this render replaces."""
        return {job.path.name for job, _ in self.retag} | {job.path.name for job in self.encode}


def safe_name(name: object) -> bool:
    """A chapter file name narrate could have written: a plain .mp3 name inside the book folder."""
    return (isinstance(name, str) and name.endswith(".mp3") and not name.startswith(".")
            and Path(name).name == name and "\\" not in name)


def listed_entries(manifest: dict) -> list[dict]:
    """The chapter entries of a loaded book.json that name a file."""
    chapters = manifest.get("chapters", [])
    return [c for c in chapters if isinstance(c, dict) and safe_name(c.get("file"))] \
        if isinstance(chapters, list) else []


def _intact(book_dir: Path, entry: dict, sizes: dict[str, int] | None) -> bool:
    if sizes is not None:
        return sizes.get(entry["file"]) == entry.get("bytes")
    path = book_dir / entry["file"]
    return path.is_file() and path.stat().st_size == entry.get("bytes")


def _sections(entry: dict) -> list[Section] | None:
    """The CHAP sections an entry records, or None when it does not record them usably."""
    try:
        sections = [Section(str(s["title"]), int(s["start_ms"]), int(s["end_ms"])) for s in entry["sections"]]
        int(entry["duration_ms"])
    except (KeyError, TypeError, ValueError):
        return None
    return sections


def plan_render(jobs: list[ChapterJob], selected: list[int], manifest: dict, book_dir: Path,
                force: bool = False, sizes: dict[str, int] | None = None) -> Plan:
    """Decide, for every chapter of the book, whether to keep, re-tag or encode it.

    A chapter whose audio fingerprint matches a file book.json lists is never encoded again:
    with the same tags it is kept, otherwise that file's audio is re-tagged into the chapter's
    own file (a new track total, book title or cover; or a chapter renumbered). Only chapters
    in `selected` are encoded; `force` encodes them even when unchanged. `sizes` (file name -> bytes) says
    which files the book has where its chapters are kept, when that is not `book_dir` (chapters on storage).
    """
    entries = listed_entries(manifest)
    intact = [e for e in entries if _intact(book_dir, e, sizes) and isinstance(e.get("index"), int)]
    by_index = {e["index"]: e for e in intact}
    by_audio: dict[str, dict] = {}
    for e in intact:
        if isinstance(e.get("fingerprint"), str) and _sections(e) is not None:
            by_audio.setdefault(e["fingerprint"], e)
    skip, keep, retag, encode = {}, {}, [], []
    relabel: list[int] = []
    for job in jobs:
        index = job.chapter.index
        chosen = index in selected
        own = by_index.get(index)
        if own is not None and own["file"] != job.path.name:
            own = None  # another chapter's file under this number before the book changed
        name = job.path.name
        if chosen and force:
            encode.append(job)
            log.info("%s: rendered again (--force)", name)
        elif own is not None and own.get("fingerprint") == job.fingerprint:
            if own.get("tags_fingerprint") == job.tags_fingerprint:
                labels = relabelled(own.get("segments"), job.lines)
                if labels is not None and labels != own["segments"]:
                    # A speaker renamed (their voice as it was): book.json and the transcripts say the new
                    # name; the MP3 holds no speaker names, and stays as it is.
                    skip[index] = {**own, "segments": labels}
                    relabel.append(index)
                    log.info("%s: speaker names changed; the audio is kept", name)
                else:
                    skip[index] = own
                    log.info("%s: %s", name, "unchanged, kept" if chosen else "not among --chapters, kept")
            else:
                retag.append((job, own))
        elif job.fingerprint in by_audio:
            retag.append((job, by_audio[job.fingerprint]))
        elif chosen:
            encode.append(job)
            log.info("%s: %s", name, "new" if own is None else "its text, voices or settings changed: rendered again")
        elif own is not None:
            keep[index] = own
        else:
            # Renumbered (a chapter put before it, or taken away) and changed, but not selected: its audio so far
            # stays, under its old file name, until it is rendered (a correction made meanwhile must not delete
            # it).
            was = _former(job.chapter, intact, entries)
            taken = {e["file"] for e in (*keep.values(), *skip.values(), *(e for _, e in retag))}
            if len(was) == 1 and was[0]["file"] not in taken | {j.path.name for j in jobs if j is not job}:
                keep[index] = {**was[0], "index": index}
    current = {job.path.name for job in jobs} | {e["file"] for e in keep.values()}
    orphans = sorted({e["file"] for e in entries} - current)
    return Plan(skip, tuple(retag), tuple(encode), keep, tuple(orphans), tuple(relabel))


def _former(chapter: Chapter, candidates: list[dict], listed: list[dict]) -> list[dict]:
    """The entries of `candidates` that were `chapter` before: the one of its own text file when no other entry of
    `listed` came from that file (every chapter of an EPUB or of a single text file has it as its source: no sign
    of which), else those of its title."""
    src = str(chapter.source)
    if sum(e.get("source") == src for e in listed) == 1:
        mine = [e for e in candidates if e.get("source") == src]
        if mine:
            return mine
    return [e for e in candidates if e.get("title") == chapter.title]


def with_guids(manifest: dict, slug: str) -> dict:
    """`manifest` with a guid in every chapter entry: one recorded before book.json kept guids had the one its
    feed gave it (by the chapter's number then), so a subscriber's episodes keep theirs."""
    from ..publish.feed import episode_guid

    for entry in listed_entries(manifest):
        if not isinstance(entry.get("guid"), str):
            entry["guid"] = episode_guid(slug, entry["index"]) if isinstance(entry.get("index"), int) else None
    return manifest


def _episodes(manifest: dict) -> dict[str, str]:
    """book.json's `episodes`: chapter file name -> guid, for every chapter the last render planned (one whose
    re-render failed too: its entry is withheld from book.json until its new audio is there)."""
    found = manifest.get("episodes")
    return {k: v for k, v in found.items() if isinstance(k, str) and isinstance(v, str)} \
        if isinstance(found, dict) else {}


def _ever(manifest: dict) -> set[str]:
    """Every guid the book's chapters have had: listed, planned, or retired with a chapter that left."""
    retired = manifest.get("retired_guids")
    return ({e["guid"] for e in listed_entries(manifest) if isinstance(e.get("guid"), str)}
            | set(_episodes(manifest).values())
            | ({g for g in retired if isinstance(g, str)} if isinstance(retired, list) else set()))


def new_guids(plan: Plan, manifest: dict, slug: str) -> dict[int, str]:
    """The podcast guid of each chapter `plan` encodes: the one its file had when last planned, else the one of
    the chapter it was before (its own text file, when no other chapter came from it; else the same title;
    else the same number and file name) when that guid is not another chapter's now; else a new one.

    A guid must stay with its episode: after a chapter is inserted, the chapters after it keep theirs (their
    audio is re-tagged, its entry carried over), and the new one gets a guid no episode ever had in this book.
    """
    import hashlib

    from ..publish.feed import episode_guid

    old = [e for e in listed_entries(manifest) if isinstance(e.get("guid"), str)]
    planned = _episodes(manifest)
    taken = {e["guid"] for e in (*plan.skip.values(), *plan.keep.values(), *(entry for _, entry in plan.retag))
             if isinstance(e.get("guid"), str)}
    ever = _ever(manifest)
    free = [e for e in old if e["guid"] not in taken]
    out: dict[int, str] = {}

    def claim(matches: list[dict]) -> str | None:
        if len(matches) != 1:  # none, or no way to tell which
            return None
        free.remove(matches[0])
        return matches[0]["guid"]

    for job in plan.encode:
        c = job.chapter
        guid = planned.get(job.path.name)
        if guid is not None and guid not in taken and guid not in out.values():
            free[:] = [e for e in free if e["guid"] != guid]
        else:
            guid = (claim(_former(c, free, old))
                    or claim([e for e in free if e.get("index") == c.index and e.get("file") == job.path.name]))
        if guid is None:
            guid = episode_guid(slug, c.index)
            if guid in ever or guid in taken or guid in out.values():
                guid += ":" + hashlib.sha256(c.text.encode("utf-8")).hexdigest()[:12]
        out[c.index] = guid
    return out


def book_fields(plan: Plan, manifest: dict, guids: dict[int, str], source: str | None) -> dict:
    """book.json's own fields for this render: `source` (whose audiobook the folder holds; kept from before for a
    story read from a pipe), `episodes` (file -> guid of every chapter planned) and `retired_guids` (those of
    chapters gone), so a guid is never given to another chapter, even after a failed render or a chapter removed."""
    episodes = {entry["file"]: entry["guid"] for entry in (*plan.skip.values(), *plan.keep.values())
                if isinstance(entry.get("guid"), str)}
    episodes.update({job.path.name: entry["guid"] for job, entry in plan.retag if isinstance(entry.get("guid"), str)})
    episodes.update({job.path.name: guids[job.chapter.index] for job in plan.encode})
    fields: dict = {"episodes": dict(sorted(episodes.items()))}
    retired = sorted(_ever(manifest) - set(episodes.values()))
    if retired:
        fields["retired_guids"] = retired
    old = manifest.get("source")
    if source is not None or isinstance(old, str):
        fields["source"] = source if source is not None else old
    return fields


def _snapshot(path: Path) -> Path:
    """A private name for `path`'s current content (a hard link, else a copy), safe from rewrites."""
    dest = path.parent / f".{path.name}.{secrets.token_hex(4)}.part"
    try:
        os.link(path, dest)
    except OSError:
        shutil.copyfile(path, dest)
    return dest


def apply_retags(plan: Plan, book_dir: Path, progress: ProgressFn | None = None) -> dict[int, dict]:
    """Re-tag every chapter of `plan.retag`; return their new manifest entries by index.

    Sources are snapshotted first: after a chapter is inserted, chapter 2's file may be the
    source of chapter 3 and the target of the chapter that was 1.
    """
    snapshots: dict[str, Path] = {}
    done: dict[int, dict] = {}
    try:
        for job, source in plan.retag:
            name = source["file"]
            if name != job.path.name and name not in snapshots:
                snapshots[name] = _snapshot(book_dir / name)
        for job, source in plan.retag:
            src = snapshots.get(source["file"], book_dir / source["file"])
            size = retag_mp3(src, job.path, job.tags, _sections(source) or [], int(source["duration_ms"]))
            entry = dict(source)
            labels = relabelled(source.get("segments"), job.lines)
            if labels is not None:
                entry["segments"] = labels
            entry.update(index=job.chapter.index, title=job.chapter.title, subtitle=job.chapter.subtitle,
                         file=job.path.name, source=str(job.chapter.source), bytes=size,
                         fingerprint=job.fingerprint, tags_fingerprint=job.tags_fingerprint)
            done[job.chapter.index] = entry
            log.info("%s: same audio, new tags", job.path)
            if progress:
                progress(Progress(job.chapter.index, job.chapter.title, len(job.lines), len(job.lines),
                                  "retagged"))
    finally:
        for snap in snapshots.values():
            snap.unlink(missing_ok=True)
    return done


def remove_orphans(book_dir: Path, names: tuple[str, ...]) -> None:
    """Delete chapter files of chapters no longer in the book, and the feed files made from them.

    Only names book.json listed as chapter files are given here: nothing else in the folder
    (and never a script file a user edited) is touched.
    """
    for name in names:
        path = book_dir / name
        stem = path.name[: -len(".mp3")]
        for victim in (path, *(book_dir / (stem + suffix) for suffix in FEED_SIDECARS)):
            if victim.is_file():
                victim.unlink()
                log.info("%s: removed (its chapter is no longer in the book)", victim)


def upgrade_fingerprints(manifest: dict, jobs: Sequence[ChapterJob], book: Book, options: RenderOptions) -> dict:
    """`manifest` (a loaded book.json) with the fingerprint of each chapter recorded when speaker names were part
    of it, and whose audio is what its job makes now, made the one it has now; and its whole-book records
    with them, where they were up to date. Nothing is encoded again for the change of formula."""
    by_index = {job.chapter.index: job for job in jobs}
    # A chapter renumbered since (one inserted before it) is found by what it says: its lines' texts.
    by_text = {"\x1f".join(ln.text for ln in job.lines): job for job in jobs}
    current = {job.fingerprint for job in jobs}
    entries = {e["index"]: e for e in listed_entries(manifest) if isinstance(e.get("index"), int)}
    upgraded = {}
    for index, entry in entries.items():
        if entry.get("fingerprint") in current:
            continue
        segments = entry.get("segments")
        said = "\x1f".join(str(seg.get("text")) for seg in segments if isinstance(seg, dict)) \
            if isinstance(segments, list) else None
        for job in dict.fromkeys(j for j in (by_index.get(index), by_text.get(said)) if j is not None):
            if entry.get("fingerprint") == former_fingerprint(entry, job.lines, options):
                upgraded[index] = {**entry, "fingerprint": job.fingerprint}
                break
    if not upgraded:
        return manifest
    new = {id(entries[index]): entry for index, entry in upgraded.items()}
    out = dict(manifest, chapters=[new.get(id(e), e) for e in manifest["chapters"]])
    whole = manifest.get(wholebook.KEY)
    if isinstance(whole, dict):
        before = wholebook.fingerprints(book, entries, options)
        after = wholebook.fingerprints(book, {**entries, **upgraded}, options)
        out[wholebook.KEY] = {kind: {**rec, "fingerprint": after[kind]}
                              if isinstance(rec, dict) and kind in before and rec.get("fingerprint") == before[kind]
                              else rec for kind, rec in whole.items()}
    return out
