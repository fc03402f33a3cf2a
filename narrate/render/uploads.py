"""Books whose chapters workers upload themselves (RenderOptions.upload_to): what the client asks of the URL."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .options import RenderOptions

if TYPE_CHECKING:
    from ..publish.remote import RemoteOutput


def destination(options: RenderOptions, book_dir: Path) -> RemoteOutput | None:
    """Where the workers put the book's chapters, when not into `book_dir` (a staging folder of this machine)."""
    if not options.upload_to:
        return None
    from ..publish.remote import RemoteOutput

    return RemoteOutput(options.upload_to.rstrip("/"), book_dir.parent)


def sizes(remote: RemoteOutput, book_dir: Path) -> dict[str, int]:
    """The book's files and their sizes: those at the URL, and those here, which are uploaded after the render
    (a re-tagged chapter) and so are the ones that count."""
    found = remote.sizes(book_dir.name)
    for path in book_dir.glob("*.mp3"):
        found[path.name] = path.stat().st_size
    return found


def let_go(book_dir: Path, names: list[str]) -> None:
    """Remove the copies here of chapters that workers render again: the URL's new file is the chapter now, and
    an old copy here would be taken for it (re-tagged, joined, or uploaded over it)."""
    for name in names:
        (book_dir / name).unlink(missing_ok=True)
