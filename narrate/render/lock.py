"""Render lock: one render at a time writes into a book's output folder."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from ..errors import RenderError

log = logging.getLogger(__name__)


@contextlib.contextmanager
def book_lock(book_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on `book_dir` (an existing folder); raise RenderError if a render has it.

    The lock is flock(2) on the folder itself: no lock file to leave behind, and the kernel lets go
    of it when its process ends however it ends, so a render that was killed never blocks the next.
    Worker processes do not inherit it (Python opens files close-on-exec).
    """
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    try:
        fd = os.open(book_dir, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        raise RenderError(f"{book_dir}: cannot open the output folder ({exc.strerror})") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                # e.g. a network file system without flock: render, but say what is not guarded.
                log.warning("%s: cannot be locked (%s); do not render into it twice at once", book_dir,
                            exc.strerror)
            else:
                raise RenderError(f"{book_dir}: another render is writing this book right now; wait for it "
                                  "to finish, or render into another output folder (-o)") from None
        yield
    finally:
        os.close(fd)
