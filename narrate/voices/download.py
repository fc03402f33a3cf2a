"""Voice downloads: HTTP fetches that resume with Range requests and check size and MD5 before a file counts."""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import DownloadError

log = logging.getLogger(__name__)

TIMEOUT_S = 30
CHUNK_BYTES = 1 << 16
ATTEMPTS = 3
"""Tries per file within one call: a dropped connection resumes from what arrived."""
USER_AGENT = "narrate (voice download)"


@dataclass(frozen=True)
class Expected:
    """What the catalogue says a file is: its size and MD5."""

    size_bytes: int
    md5: str


@dataclass(frozen=True)
class Fetched:
    """Progress of one file: `done_bytes` of `total_bytes` are on disk."""

    url: str
    name: str
    done_bytes: int
    total_bytes: int


FetchProgress = Callable[[Fetched], None]


def _open(url: str, start: int = 0):
    headers = {"User-Agent": USER_AGENT}
    if start:
        headers["Range"] = f"bytes={start}-"
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=TIMEOUT_S)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and start:
            return None  # nothing past `start`: the part file is already whole (or too long)
        raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        reason = getattr(exc.reason, "strerror", None) or exc.reason
        raise DownloadError(f"{url}: cannot connect ({reason}); check the network or the URL") from None
    except (OSError, http.client.HTTPException) as exc:
        raise DownloadError(f"{url}: cannot connect ({exc})") from None


def fetch_bytes(url: str, limit_bytes: int = 64 << 20) -> bytes:
    """A small file (a catalogue index) in memory; DownloadError naming the URL on any problem."""
    response = _open(url)
    try:
        with response:
            data = response.read(limit_bytes + 1)
    except (OSError, http.client.HTTPException) as exc:
        raise DownloadError(f"{url}: download interrupted ({exc})") from None
    if len(data) > limit_bytes:
        raise DownloadError(f"{url}: larger than {limit_bytes >> 20} MB, not a voice catalogue")
    return data


def md5_of(path: Path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fetch_once(url: str, part: Path, expected: Expected, name: str, progress: FetchProgress | None) -> None:
    """Append to `part` what is missing (a Range request when it has bytes); raises when cut off."""
    have = part.stat().st_size if part.exists() else 0
    if have > expected.size_bytes:
        part.unlink()
        have = 0
    if have == expected.size_bytes:
        return
    response = _open(url, have)
    if response is None:
        return
    with response:
        if have and response.status != 206:
            log.info("%s: the server ignored the range request; downloading from the start", url)
            have = 0
        with open(part, "ab" if have else "wb") as fh:
            done = have
            try:
                while chunk := response.read(CHUNK_BYTES):
                    fh.write(chunk)
                    done += len(chunk)
                    if progress:
                        progress(Fetched(url, name, done, expected.size_bytes))
            except (OSError, http.client.HTTPException) as exc:
                fh.flush()
                raise _Interrupted(f"{url}: download interrupted after {done} of {expected.size_bytes} bytes "
                                   f"({exc})") from None
    if done < expected.size_bytes:
        raise _Interrupted(f"{url}: download interrupted after {done} of {expected.size_bytes} bytes")


class _Interrupted(DownloadError):
    """The connection dropped mid-file: what arrived is kept in the part file for the next try."""


def fetch_file(url: str, dest: Path, expected: Expected, progress: FetchProgress | None = None) -> Path:
    """Download `url` into `dest`.part (resuming what an earlier try left there) and check it.

    Returns the checked part file; the caller renames it into place, so nothing is installed until
    every file of a voice is whole. A wrong size or MD5 deletes the part file and raises.
    """
    part = dest.with_name(dest.name + ".part")
    part.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            _fetch_once(url, part, expected, dest.name, progress)
            break
        except _Interrupted as exc:
            if attempt == ATTEMPTS:
                raise DownloadError(f"{exc}; run the same command again to resume") from None
            log.info("%s; resuming", exc)
    size = part.stat().st_size
    digest = md5_of(part) if size == expected.size_bytes else None
    if digest != expected.md5:
        part.unlink(missing_ok=True)
        found = f"{size} bytes" if digest is None else f"MD5 {digest}"
        want = f"{expected.size_bytes} bytes" if digest is None else f"MD5 {expected.md5}"
        raise DownloadError(f"{url}: checksum mismatch (expected {want}, got {found}); nothing was installed")
    return part


def install_parts(parts: dict[Path, Path]) -> None:
    """Move checked part files (dest -> part) into place, configs first so a model never lacks its config."""
    for dest, part in sorted(parts.items(), key=lambda kv: not kv[0].name.endswith(".json")):
        os.replace(part, dest)
