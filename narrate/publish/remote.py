"""Outputs on fsspec storage (-o s3://...): a book rendered in a staging folder here, uploaded, book.json last."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ExportError
from ..storage import open_filesystem, put_whole

log = logging.getLogger(__name__)

MANIFEST = "book.json"
PUBLISHED = ".published.json"
"""In the staging folder: each file as last uploaded (size, mtime), so an unchanged file is not sent again."""


def staging_root(url: str) -> Path:
    """Where books bound for `url` are rendered first: a folder of this machine's cache, one per URL, kept
    between runs so that a render resumes and re-renders only what changed."""
    import platformdirs

    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    return Path(platformdirs.user_cache_dir("narrate")) / "outputs" / digest


@dataclass(frozen=True)
class RemoteOutput:
    """The output URL of every book of a call (books go to URL/<book>/) and its staging folder here."""

    url: str
    staging: Path

    @staticmethod
    def open(url: str) -> RemoteOutput:
        return RemoteOutput(url.rstrip("/"), staging_root(url.rstrip("/")))

    def _fs(self) -> tuple[Any, str, bool]:
        return open_filesystem(self.url)

    def fetch(self, slug: str, chapters: bool = True) -> None:
        """Bring a book's published files into the staging folder when it lacks them (a first run on this
        machine, or one whose staging folder was removed), so the render keeps what is already done: its
        chapters, and the feed, transcripts, chapter marks, cover and script corrections beside them (an upload
        removes from the URL what the staging folder does not have).

        Without `chapters` (workers upload the chapters themselves), the chapters stay at the URL: the render
        finds them there (sizes), and copies here that may be older than the URL's are removed.
        """
        fs, base, _ = self._fs()
        here = self.staging / slug
        try:
            remote = fs.cat_file(f"{base}/{slug}/{MANIFEST}")
        except FileNotFoundError:
            return
        except OSError as exc:
            raise ExportError(f"{self.url}/{slug}/{MANIFEST}: cannot read ({exc})") from None
        local = here / MANIFEST
        if local.is_file() and local.read_bytes() == remote:
            return
        try:
            listed = [c["file"] for c in json.loads(remote).get("chapters", [])]
        except (ValueError, AttributeError, KeyError, TypeError):
            log.warning("%s/%s/%s is unreadable; its chapters will be rendered again", self.url, slug, MANIFEST)
            return
        here.mkdir(parents=True, exist_ok=True)
        for name in listed:
            if not chapters:
                (here / name).unlink(missing_ok=True)
                continue
            try:
                fs.get_file(f"{base}/{slug}/{name}", str(here / name))
            except FileNotFoundError:
                continue  # listed but gone: rendered again
        target = f"{base}/{slug}"
        for path in _remote_files(fs, target):
            name = path[len(target) + 1:]
            dest = here / name
            if name == MANIFEST or name in listed or dest.is_file() or any(p.startswith(".") for p in name.split("/")):
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                fs.get_file(path, str(dest))
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise ExportError(f"{self.url}/{slug}/{name}: cannot download ({exc})") from None
        local.write_bytes(remote)
        _remember(here, {p.name: _stamp(p) for p in _files(here)})

    def publish(self, book_dir: Path) -> str:
        """Upload what changed in a rendered book folder to URL/<book>/, each file whole, book.json last, then
        remove the files it no longer lists. Returns the book's URL."""
        fs, base, atomic = self._fs()
        target = f"{base}/{book_dir.name}"
        published = _published(book_dir)
        files = _files(book_dir)
        try:
            for path in sorted(files, key=lambda p: p.name == MANIFEST):  # book.json last
                name = path.relative_to(book_dir).as_posix()
                if published.get(name) == _stamp(path) and name != MANIFEST:
                    continue
                put_whole(fs, str(path), f"{target}/{name}", atomic)
                published[name] = _stamp(path)
                _remember(book_dir, published)
            # Files book.json lists stay even when not here: workers uploaded them (RenderOptions.upload_to).
            kept = {p.relative_to(book_dir).as_posix() for p in files} | _listed(book_dir)
            stale = [p for p in _remote_files(fs, target) if p[len(target) + 1:] not in kept]
            if stale:
                fs.rm(stale)
        except OSError as exc:
            raise ExportError(f"{self.url}/{book_dir.name}: cannot upload ({exc}); the book is kept in "
                              f"{book_dir}, and the next render uploads it") from None
        return f"{self.url}/{book_dir.name}"

    def sizes(self, slug: str) -> dict[str, int]:
        """The size of each file of the book at the URL, by name (one listing)."""
        fs, base, _ = self._fs()
        target = f"{base}/{slug}"
        try:
            found = fs.find(target, detail=True)
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise ExportError(f"{self.url}/{slug}: cannot list ({exc})") from None
        return {path[len(target) + 1:]: int(info.get("size") or 0) for path, info in found.items()}

    def bring(self, book_dir: Path, names: list[str]) -> None:
        """Download the files `names` of a book that this staging folder lacks (chapters that workers uploaded,
        wanted here to re-tag or join them); they count as published, so they are not sent back."""
        missing = [name for name in names if not (book_dir / name).is_file()]
        if not missing:
            return
        fs, base, _ = self._fs()
        published = _published(book_dir)
        for name in missing:
            url = f"{self.url}/{book_dir.name}/{name}"
            tmp = book_dir / f".{name}.{os.getpid()}.part"
            try:
                fs.get_file(f"{base}/{book_dir.name}/{name}", str(tmp))
                os.replace(tmp, book_dir / name)
            except OSError as exc:
                raise ExportError(f"{url}: cannot download ({exc})") from None
            finally:
                tmp.unlink(missing_ok=True)
            published[name] = _stamp(book_dir / name)
        _remember(book_dir, published)

    def put(self, book_dir: Path, name: str) -> None:
        """Upload one file of a book folder now, whole (book.json letting go of chapters about to be replaced)."""
        fs, base, atomic = self._fs()
        try:
            put_whole(fs, str(book_dir / name), f"{base}/{book_dir.name}/{name}", atomic)
        except OSError as exc:
            raise ExportError(f"{self.url}/{book_dir.name}/{name}: cannot upload ({exc})") from None


def _listed(book_dir: Path) -> set[str]:
    """The files the book folder's book.json names: its chapters and whole-book files."""
    try:
        manifest = json.loads((book_dir / MANIFEST).read_text(encoding="utf-8"))
        names = {c["file"] for c in manifest.get("chapters", [])}
        names |= {r["file"] for r in (manifest.get("whole_book") or {}).values()}
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        return set()
    return {n for n in names if isinstance(n, str) and n and not n.startswith(".") and "/" not in n}


def _files(book_dir: Path) -> list[Path]:
    """The files of a book folder that are the book (not leftovers of a render or the lock)."""
    return [p for p in book_dir.rglob("*") if p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(book_dir).parts)]


def _remote_files(fs: Any, target: str) -> list[str]:
    try:
        return list(fs.find(target))
    except FileNotFoundError:
        return []


def _stamp(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def _published(book_dir: Path) -> dict[str, list[int]]:
    try:
        data = json.loads((book_dir / PUBLISHED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _remember(book_dir: Path, published: dict[str, list[int]]) -> None:
    tmp = book_dir / f"{PUBLISHED}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(published), encoding="utf-8")
    os.replace(tmp, book_dir / PUBLISHED)
