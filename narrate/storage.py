"""fsspec storage URLs (s3://bucket/path) for the clip cache and outputs: open one, write a file whole."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import NarrateError

S3_HINT = "pip install 'narrate-audiobook[s3]'"
ATOMIC_PUT = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "memory"})
"""Object stores whose one PUT (s3fs: below 50 MB; a multipart upload appears whole too) is seen whole or not
at all. Elsewhere a file is written under a temporary name and moved into place."""


_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]+://")


def location(text: str | Path) -> Path | str:
    """Where a folder named by the user lives: a URL of fsspec storage (s3://bucket/narrate-cache) stays a
    string, anything else (file:// too) is a local folder, kept on the fast local code path."""
    if isinstance(text, Path):
        return text
    if text.startswith("file://"):
        return Path(text[len("file://"):])
    return text if _URL.match(text) else Path(text)


def is_remote(where: Path | str | None) -> bool:
    """Whether a location is fsspec storage rather than a local folder."""
    return isinstance(where, str) and bool(_URL.match(where))


def open_filesystem(url: str) -> tuple[Any, str, bool]:
    """The fsspec file system `url` names, the path inside it, and whether one PUT there is atomic.

    A missing backend (s3fs for s3://) is one line naming the extra to install.
    """
    try:
        import fsspec
    except ImportError:
        raise NarrateError(f"{url}: remote storage needs the s3 extra: {S3_HINT}") from None
    try:
        # Listings are not cached: a file another worker wrote a moment ago must be found.
        fs, path = fsspec.core.url_to_fs(url, use_listings_cache=False)
    except ImportError as exc:
        raise NarrateError(f"{url}: {exc} ({S3_HINT} for s3://)") from None
    except ValueError as exc:
        raise NarrateError(f"{url}: not a storage URL fsspec knows ({exc})") from None
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return fs, path.rstrip("/"), protocol in ATOMIC_PUT


def pipe_whole(fs: Any, path: str, data: bytes, atomic: bool) -> None:
    """Write `data` to `path` so that no reader ever sees part of it."""
    _whole(path, atomic, lambda target: fs.pipe_file(target, data), fs)


def put_whole(fs: Any, local: str, path: str, atomic: bool) -> None:
    """Upload the file `local` to `path` so that no reader ever sees part of it."""
    _whole(path, atomic, lambda target: fs.put_file(local, target), fs)


def _whole(path: str, atomic: bool, write: Callable[[str], None], fs: Any) -> None:
    """`write` straight to `path` where one write is atomic (an S3 PUT), else to a temporary name moved into place."""
    if atomic:
        write(path)
        return
    tmp = f"{path}.{secrets.token_hex(4)}.tmp"
    write(tmp)
    fs.mv(tmp, path)
