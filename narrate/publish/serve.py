"""Serve: the output folder over HTTP with byte ranges, for podcast players on the local network."""

from __future__ import annotations

import ipaddress
import logging
import mimetypes
import os
import re
import socket
import threading
import time
from collections.abc import Callable
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..errors import InputError, NarrateError
from .feed import MANIFEST

log = logging.getLogger(__name__)

Logger = Callable[[str], None]

CONTENT_TYPES = {
    ".mp3": "audio/mpeg",
    ".xml": "application/rss+xml; charset=utf-8",
    ".json": "application/json",
    ".vtt": "text/vtt; charset=utf-8",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".txt": "text/plain; charset=utf-8",
    ".m4b": "audio/mp4",
}
INDEX = "feed.xml"
PRIVATE_FOLDER = "script"
"""A book's folder of script files (render.pipeline.SCRIPT_DIR): not served."""
_CHUNK = 64 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")

IDLE_TIMEOUT_S = 15.0
"""A connection that sends nothing (or reads nothing) for this long is closed, freeing its thread."""
MAX_THREADS = 32
"""Connections served at once; more wait in the listen backlog until a thread is free."""
LISTEN_BACKLOG = 256
"""Connections the kernel queues before accepting (socketserver's 5 made 200 clients wait ~1 s)."""


class NarrateHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server bound to one root folder; quiet unless given a logger.

    At most `max_threads` connections are served at once, an idle connection is closed after
    `idle_timeout_s`, and unless `allow_remote`, requests must name a loopback Host (so a web page
    cannot reach the server through DNS rebinding).
    """

    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, address: tuple[str, int], root: Path, logger: Logger | None, *,
                 allow_remote: bool = False, idle_timeout_s: float = IDLE_TIMEOUT_S,
                 max_threads: int = MAX_THREADS) -> None:
        self.root = root
        self.logger = logger
        self.check_host = not allow_remote
        self.idle_timeout_s = idle_timeout_s
        self._slots = threading.BoundedSemaphore(max_threads)
        self._closing = threading.Event()
        super().__init__(address, _Handler)

    def process_request(self, request, client_address) -> None:  # noqa: ANN001 (stdlib signature)
        # Wait for a free thread; meanwhile further connections queue in the listen backlog.
        while not self._slots.acquire(timeout=0.1):
            if self._closing.is_set():
                self.shutdown_request(request)
                return
        try:
            super().process_request(request, client_address)
        except Exception:  # the thread did not start (a Ctrl-C may land after it did: not released twice)
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address) -> None:  # noqa: ANN001 (stdlib signature)
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def shutdown(self) -> None:
        self._closing.set()
        super().shutdown()

    def server_close(self) -> None:
        self._closing.set()
        super().server_close()

    @property
    def url(self) -> str:
        """The base URL clients use, e.g. http://127.0.0.1:8000/."""
        host, port = self.server_address[:2]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}/"

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001 (stdlib signature)
        # Players drop connections while seeking; never print tracebacks to stderr.
        log.debug("error while serving %s", client_address, exc_info=True)


class _NarrateHTTPServer6(NarrateHTTPServer):
    address_family = socket.AF_INET6


def _content_type(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def parse_range(header: str | None, size: int) -> tuple[int, int] | None | bool:
    """Resolve a Range header against a file size.

    Returns (first, last) inclusive for a satisfiable single range, None to send the whole
    file (no header, or a header we ignore as allowed by RFC 9110: malformed or multi-range),
    and False when the range cannot be satisfied (416).
    """
    if not header:
        return None
    m = _RANGE.match(header.strip())
    if not m:
        return None
    first_text, last_text = m.groups()
    if not first_text:
        if not last_text:
            return None
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            return False
        return max(0, size - suffix), size - 1
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if last_text and last < first:
        return None
    if first >= size:
        return False
    return first, min(last, size - 1)


def loopback_host(header: str | None) -> bool:
    """Whether a Host header names this machine: localhost, *.localhost or a loopback address.

    No header at all is accepted: browsers, the only DNS-rebinding vector, always send one.
    """
    if header is None:
        return True
    host = header.strip().lower()
    if host.startswith("["):
        host = host[1:].partition("]")[0]
    elif host.count(":") == 1:
        host = host.partition(":")[0]
    host = host.rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def etag(stat: os.stat_result) -> str:
    """A strong entity tag: changes whenever the file is replaced or rewritten."""
    return f'"{stat.st_ino:x}-{stat.st_size:x}-{stat.st_mtime_ns:x}"'


def if_range_matches(header: str, stat: os.stat_result, now: float | None = None) -> bool:
    """Whether an If-Range validator still names the file, so its Range may be honoured (RFC 9110 13.1.5).

    An entity tag must match ours exactly (a weak tag never does); a date must equal Last-Modified
    and be strong: the file last changed at least a second before `now`.
    """
    value = header.strip()
    if value.startswith(('"', "W/")):
        return value == etag(stat)
    try:
        date = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return False
    now = time.time() if now is None else now
    return int(date.timestamp()) == int(stat.st_mtime) and stat.st_mtime <= now - 1


def not_modified(headers, stat: os.stat_result) -> bool:  # noqa: ANN001 (http.client.HTTPMessage)
    """Whether a conditional GET's copy is still the file (RFC 9110 13.1.2, 13.1.3): If-None-Match names our
    entity tag (weakly compared, or "*"), else If-Modified-Since is not older than the file."""
    match = headers.get("If-None-Match")
    if match is not None:
        ours = etag(stat)
        tags = [t.strip().removeprefix("W/") for t in match.split(",")]
        return "*" in tags or ours in tags
    since = headers.get("If-Modified-Since")
    if since is None:
        return False
    try:
        date = parsedate_to_datetime(since)
    except (TypeError, ValueError, IndexError):
        return False
    # Dates count whole seconds: a file changed within the second of the client's copy is sent again.
    return int(stat.st_mtime) <= int(date.timestamp()) and stat.st_mtime <= time.time() - 1


class _Handler(BaseHTTPRequestHandler):
    server: NarrateHTTPServer
    server_version = "narrate"
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        # The socket timeout closes a connection that stays idle (or stops reading) too long.
        self.timeout = self.server.idle_timeout_s
        super().setup()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib name)
        if self.server.logger is not None:
            self.server.logger(f"{self.address_string()} {format % args}")

    def do_GET(self) -> None:
        self._serve(body=True)

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def _resolve(self) -> Path | None:
        """The file a request path names inside the root, or None (-> 404)."""
        raw = urlsplit(self.path).path
        text = unquote(raw, errors="strict") if "%" in raw else raw
        if "\x00" in text or "\\" in text:
            return None
        parts = [p for p in text.split("/") if p]
        # No dot-files (temp files of atomic writes), no "." or ".." segments at all.
        if any(p.startswith(".") for p in parts):
            return None
        path = self._inside_root(self.server.root.joinpath(*parts))
        if path is not None and path.is_dir():
            path = self._inside_root(path / INDEX)
        elif text.endswith("/"):  # "file.mp3/" names a folder that does not exist
            return None
        return path if path is not None and path.is_file() and not _private(path) else None

    def _inside_root(self, path: Path) -> Path | None:
        try:
            resolved = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        # After resolving symlinks the file must still lie inside the root.
        return resolved if resolved.is_relative_to(self.server.root) else None

    def _serve(self, body: bool) -> None:
        if self.server.check_host and not loopback_host(self.headers.get("Host")):
            self._error(HTTPStatus.FORBIDDEN, "Host not allowed: this server answers only to localhost "
                                              "(start it with --allow-remote to serve other names)")
            return
        try:
            path = self._resolve()
        except UnicodeDecodeError:
            path = None
        if path is None:
            self._error(HTTPStatus.NOT_FOUND)
            return
        try:
            f = path.open("rb")
        except OSError:
            self._error(HTTPStatus.NOT_FOUND)
            return
        with f:
            stat = path.stat()
            size = stat.st_size
            if not_modified(self.headers, stat):
                # A podcast app polling its feed: nothing changed since its copy, nothing sent again.
                self.send_response(HTTPStatus.NOT_MODIFIED)
                self.send_header("Last-Modified", formatdate(stat.st_mtime, usegmt=True))
                self.send_header("ETag", etag(stat))
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                return
            if_range = self.headers.get("If-Range")
            if if_range is not None and not if_range_matches(if_range, stat):
                wanted = None  # the client's copy is stale: send the whole current file
            else:
                wanted = parse_range(self.headers.get("Range"), size)
            if wanted is False:
                self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if wanted is None:
                first, last = 0, size - 1
                self.send_response(HTTPStatus.OK)
            else:
                first, last = wanted
                self.send_response(HTTPStatus.PARTIAL_CONTENT)
                self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
            length = max(0, last - first + 1)
            self.send_header("Content-Type", _content_type(path))
            self.send_header("Content-Length", str(length))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Last-Modified", formatdate(stat.st_mtime, usegmt=True))
            self.send_header("ETag", etag(stat))
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            if body:
                self._copy(f, first, length)

    def _copy(self, f, first: int, length: int) -> None:  # noqa: ANN001 (binary file)
        f.seek(first)
        remaining = length
        try:
            while remaining > 0:
                chunk = f.read(min(_CHUNK, remaining))
                if not chunk:
                    break
                self.wfile.write(chunk)
                remaining -= len(chunk)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True

    def _error(self, status: HTTPStatus, detail: str = "") -> None:
        body = f"{status.value} {status.phrase}{': ' + detail if detail else ''}\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def make_server(root: Path, host: str = "127.0.0.1", port: int = 0, *,
                allow_remote: bool = False, logger: Logger | None = None,
                idle_timeout_s: float = IDLE_TIMEOUT_S, max_threads: int = MAX_THREADS) -> NarrateHTTPServer:
    """Bind (but do not start) a server for `root`; port 0 picks a free port.

    Refuses a non-loopback `host`, and requests naming a Host other than this machine, unless
    `allow_remote` is set. Requests are not logged unless `logger` is given; it receives one
    line per request.
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: not a folder")
    if not allow_remote and not _is_loopback(host):
        raise NarrateError(f"refusing to serve on {host!r}: not a loopback address; "
                           "allow remote access explicitly (--allow-remote)")
    server_class = _NarrateHTTPServer6 if ":" in host else NarrateHTTPServer
    try:
        return server_class((host, port), root.resolve(), logger, allow_remote=allow_remote,
                            idle_timeout_s=idle_timeout_s, max_threads=max_threads)
    except OSError as exc:
        raise NarrateError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


def _private(path: Path) -> bool:
    """A book's working files: book.json and its script files hold the book's whole text and where it lies on this
    disk, which no podcast app needs (with --allow-remote, the whole network could read them)."""
    if path.name.lower() == MANIFEST:
        return True
    return path.parent.name.lower() == PRIVATE_FOLDER and (path.parent.parent / MANIFEST).is_file()


def served_feeds(root: Path, url: str) -> list[tuple[Path, str]]:
    """Every feed.xml a server of `root` at `url` serves (the root's own, and its books'), with its URL."""
    root = Path(root)
    feeds = [(root / INDEX, url)] if (root / INDEX).is_file() else []
    return feeds + [(feed, f"{url}{feed.parent.name}/") for feed in sorted(root.glob(f"*/{INDEX}"))]


def misplaced_feed(feed: Path, served_at: str) -> str | None:
    """The base URL feed.xml `feed` gives its episodes, when a server with it at `served_at` has them elsewhere:
    a feed written for another folder's URL (its path differs) or for another port of this machine. None
    when they agree (or the feed cannot be read: nothing to say)."""
    from .feed import feed_base_url

    base = feed_base_url(feed.parent)
    if base is None:
        return None
    ours, theirs = urlsplit(served_at), urlsplit(base)
    if ours.path.rstrip("/") != unquote(theirs.path).rstrip("/"):
        return base
    # Only a feed for this machine's own names can tell its port is not ours (a LAN address may well be ours).
    local = theirs.hostname is not None and _is_loopback(theirs.hostname)
    return base if local and (theirs.port or 80) != ours.port else None


def serve(root: Path, host: str = "127.0.0.1", port: int = 8000, *, allow_remote: bool = False,
          logger: Logger | None = None, on_ready: Callable[[str], None] | None = None) -> None:
    """Serve `root` until interrupted (Ctrl-C); `on_ready` receives the base URL once listening."""
    with make_server(root, host, port, allow_remote=allow_remote, logger=logger) as server:
        if on_ready is not None:
            on_ready(server.url)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
