"""Tests for narrate.publish.serve: real loopback HTTP requests against a server in a thread."""

from __future__ import annotations

import http.client
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from narrate.errors import NarrateError
from narrate.publish.serve import NarrateHTTPServer, make_server, parse_range

AUDIO = bytes(range(256)) * 40  # 10240 bytes


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "output"
    book = root / "book"
    book.mkdir(parents=True)
    (book / "01-a.mp3").write_bytes(AUDIO)
    (book / "feed.xml").write_text("<rss/>")
    (book / "01-a.chapters.json").write_text("{}")
    (book / "01-a.vtt").write_text("WEBVTT\n")
    (book / "cover.jpg").write_bytes(b"\xff\xd8\xff")
    (book / ".feed.xml.tmp").write_text("partial")
    (root / "empty-dir").mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    return root


@pytest.fixture
def server(site: Path) -> Iterator[NarrateHTTPServer]:
    srv = make_server(site, "127.0.0.1", 0)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(timeout=5)


def request(srv: NarrateHTTPServer, path: str, method: str = "GET",
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", srv.server_address[1], timeout=5)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    finally:
        conn.close()


def test_full_get(server: NarrateHTTPServer) -> None:
    status, headers, body = request(server, "/book/01-a.mp3")
    assert status == 200
    assert body == AUDIO
    assert headers["content-type"] == "audio/mpeg"
    assert headers["content-length"] == str(len(AUDIO))
    assert headers["accept-ranges"] == "bytes"


def test_url_property(server: NarrateHTTPServer) -> None:
    assert server.url == f"http://127.0.0.1:{server.server_address[1]}/"


@pytest.mark.parametrize("spec, first, last", [
    ("bytes=0-99", 0, 99),
    ("bytes=100-", 100, len(AUDIO) - 1),
    ("bytes=-500", len(AUDIO) - 500, len(AUDIO) - 1),
    ("bytes=10000-99999", 10000, len(AUDIO) - 1),
    ("bytes=-99999", 0, len(AUDIO) - 1),
])
def test_byte_ranges(server: NarrateHTTPServer, spec: str, first: int, last: int) -> None:
    status, headers, body = request(server, "/book/01-a.mp3", headers={"Range": spec})
    assert status == 206
    assert body == AUDIO[first:last + 1]
    assert headers["content-range"] == f"bytes {first}-{last}/{len(AUDIO)}"
    assert headers["content-length"] == str(last - first + 1)


@pytest.mark.parametrize("spec", ["bytes=10240-", "bytes=99999-100000", "bytes=-0"])
def test_unsatisfiable_range(server: NarrateHTTPServer, spec: str) -> None:
    status, headers, body = request(server, "/book/01-a.mp3", headers={"Range": spec})
    assert status == 416
    assert headers["content-range"] == f"bytes */{len(AUDIO)}"
    assert body == b""


@pytest.mark.parametrize("spec", ["bytes=5-2", "items=0-5", "bytes=0-1,5-6", "bytes=abc"])
def test_ignored_range_sends_whole_file(server: NarrateHTTPServer, spec: str) -> None:
    status, _, body = request(server, "/book/01-a.mp3", headers={"Range": spec})
    assert status == 200 and body == AUDIO


def test_head(server: NarrateHTTPServer) -> None:
    status, headers, body = request(server, "/book/01-a.mp3", method="HEAD")
    assert status == 200
    assert body == b""
    assert headers["content-length"] == str(len(AUDIO))
    status, headers, _ = request(server, "/book/01-a.mp3", "HEAD", {"Range": "bytes=0-9"})
    assert status == 206 and headers["content-length"] == "10"


@pytest.mark.parametrize("path, ctype", [
    ("/book/feed.xml", "application/rss+xml"),
    ("/book/01-a.chapters.json", "application/json"),
    ("/book/01-a.vtt", "text/vtt"),
    ("/book/cover.jpg", "image/jpeg"),
])
def test_content_types(server: NarrateHTTPServer, path: str, ctype: str) -> None:
    status, headers, _ = request(server, path)
    assert status == 200
    assert headers["content-type"].split(";")[0] == ctype


def test_directory_serves_feed_or_404(server: NarrateHTTPServer) -> None:
    status, headers, body = request(server, "/book/")
    assert status == 200 and body == b"<rss/>"
    assert headers["content-type"].startswith("application/rss+xml")
    assert request(server, "/book")[0] == 200
    assert request(server, "/")[0] == 404  # no listing of the output folder
    assert request(server, "/empty-dir/")[0] == 404


@pytest.mark.parametrize("path", [
    "/../secret.txt",
    "/book/../../secret.txt",
    "/%2e%2e/secret.txt",
    "/book/%2E%2E/%2e%2e/secret.txt",
    "/..%2fsecret.txt",
    "/book/..%5c..%5csecret.txt",
    "/%00",
    "/book/.feed.xml.tmp",
    "/book/missing.mp3",
    "/book/01-a.mp3/",
    "/%ff%fe",
])
def test_nothing_outside_root(server: NarrateHTTPServer, path: str) -> None:
    status, _, body = request(server, path)
    assert status == 404
    assert b"secret" not in body and b"partial" not in body


def test_symlink_escaping_root_is_refused(server: NarrateHTTPServer, site: Path) -> None:
    os.symlink(site.parent / "secret.txt", site / "book" / "link.txt")
    os.symlink(site.parent, site / "up")
    (site / "empty-dir" / "feed.xml").symlink_to(site.parent / "secret.txt")
    assert request(server, "/empty-dir/")[0] == 404
    assert request(server, "/book/link.txt")[0] == 404
    assert request(server, "/up/secret.txt")[0] == 404


def test_symlink_inside_root_is_served(server: NarrateHTTPServer, site: Path) -> None:
    os.symlink(site / "book" / "01-a.mp3", site / "latest.mp3")
    status, _, body = request(server, "/latest.mp3")
    assert status == 200 and body == AUDIO


def test_other_methods_rejected(server: NarrateHTTPServer) -> None:
    status, _, _ = request(server, "/book/01-a.mp3", method="POST")
    assert status in (405, 501)


def test_quiet_by_default_and_logger(site: Path, capfd: pytest.CaptureFixture[str]) -> None:
    lines: list[str] = []
    for logger in (None, lines.append):
        srv = make_server(site, logger=logger)
        thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        try:
            request(srv, "/book/feed.xml")
            request(srv, "/nope")
        finally:
            srv.shutdown()
            srv.server_close()
            thread.join(timeout=5)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert len(lines) == 2 and "GET /book/feed.xml" in lines[0] and "404" in lines[1]


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.org", ""])
def test_remote_host_needs_explicit_option(site: Path, host: str) -> None:
    with pytest.raises(NarrateError, match="allow remote"):
        make_server(site, host, 0)


def test_allow_remote_binds(site: Path) -> None:
    srv = make_server(site, "0.0.0.0", 0, allow_remote=True)
    srv.server_close()


def test_missing_root(tmp_path: Path) -> None:
    with pytest.raises(NarrateError, match="not a folder"):
        make_server(tmp_path / "nope")


def test_parse_range_edge_cases() -> None:
    assert parse_range(None, 10) is None
    assert parse_range("bytes=0-0", 10) == (0, 0)
    assert parse_range("bytes=0-", 0) is False
    assert parse_range("bytes=-5", 0) is False
    assert parse_range("bytes=-", 10) is None


def _cli():  # noqa: ANN202
    import click

    from narrate.cli.podcast import serve_command

    group = click.Group("narrate")
    group.add_command(serve_command)
    return group


def test_cli_serve_prints_url_and_feeds(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    import narrate.publish.serve

    seen = {}

    def fake_serve(root, host, port, *, allow_remote, logger, on_ready):  # noqa: ANN001, ANN202
        # Bind for real (host checks), announce, and return instead of blocking.
        with make_server(root, host, 0, allow_remote=allow_remote, logger=logger) as srv:
            seen.update(root=root, port=port, url=srv.url)
            on_ready(srv.url)

    monkeypatch.setattr(narrate.publish.serve, "serve", fake_serve)
    result = CliRunner().invoke(_cli(), ["serve", str(site), "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert seen["port"] == 8123 and seen["root"] == site
    assert f"at {seen['url']}" in result.output
    assert f"{seen['url']}book/feed.xml" in result.output
    refused = CliRunner().invoke(_cli(), ["serve", str(site), "--host", "0.0.0.0"])
    assert isinstance(refused.exception, NarrateError)
    allowed = CliRunner().invoke(_cli(), ["serve", str(site), "--host", "0.0.0.0",
                                          "--allow-remote"])
    assert allowed.exit_code == 0, allowed.output


def test_a_books_working_files_are_not_served(server: NarrateHTTPServer, site: Path) -> None:
    """book.json and the script files hold the book's whole text and its place on this disk: no app needs them."""
    (site / "book" / "book.json").write_text('{"chapters": []}')
    (site / "book" / "script").mkdir()
    (site / "book" / "script" / "01-a.json").write_text("{}")
    for path in ("/book/book.json", "/book/script/01-a.json", "/book/script/", "/book/%62ook.json"):
        assert request(server, path)[0] == 404, path
    assert request(server, "/book/01-a.chapters.json")[0] == 200
    # A book whose slug is "script" is served like any other; only a book's own script folder is private.
    other = site / "script"
    other.mkdir()
    (other / "01-a.mp3").write_bytes(b"ID3")
    (other / "book.json").write_text("{}")
    assert request(server, "/script/01-a.mp3")[0] == 200 and request(server, "/script/book.json")[0] == 404


def test_cli_serve_warns_of_a_feed_whose_episodes_are_not_where_it_serves_them(
        site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    import narrate.publish.serve
    from narrate.cli.main import cli

    def fake_serve(root, host, port, *, allow_remote, logger, on_ready):  # noqa: ANN001, ANN202
        on_ready("http://127.0.0.1:8123/")

    def feed(link: str) -> None:
        (site / "book" / "feed.xml").write_text(f"<rss><channel><link>{link}</link></channel></rss>")

    monkeypatch.setattr(narrate.publish.serve, "serve", fake_serve)
    for link, wrong in (("http://127.0.0.1:8123/book/", False), ("http://192.168.1.5:8000/book/", False),
                        ("http://127.0.0.1:8123/", True), ("http://localhost:8000/book/", True),
                        ("https://example.org/podcasts/book/", True)):
        feed(link)
        result = CliRunner().invoke(cli, ["serve", str(site), "--port", "8123"])
        assert result.exit_code == 0, result.output
        warned = f"narrate feed {site / 'book'} --base-url http://127.0.0.1:8123/book/" in result.output
        assert warned == wrong, (link, result.output)


def test_serve_runs_until_ctrl_c(site: Path) -> None:
    import _thread

    from narrate.publish.serve import serve

    results: list[int] = []

    def client(url: str) -> None:
        def run() -> None:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", int(url.rsplit(":", 1)[1][:-1]),
                                                  timeout=5)
                conn.request("GET", "/book/feed.xml")
                results.append(conn.getresponse().status)
                conn.close()
            finally:
                _thread.interrupt_main()  # what Ctrl-C does

        threading.Thread(target=run, daemon=True).start()

    serve(site, port=0, on_ready=client)  # returns once interrupted
    assert results == [200]


# -- hardening: idle clients, bounded threads, backlog, Host names, If-Range ------------------

@pytest.fixture
def start(site: Path):
    """Start servers on `site` with the given options; all are stopped after the test."""
    running = []

    def start_server(**options) -> NarrateHTTPServer:
        srv = make_server(site, options.pop("host", "127.0.0.1"), 0, **options)
        thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        running.append((srv, thread))
        return srv

    yield start_server
    for srv, thread in running:
        srv.shutdown()
        srv.server_close()
        thread.join(timeout=5)


def _raw_get(srv: NarrateHTTPServer, path: str = "/book/feed.xml") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", srv.server_address[1]), timeout=5)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    return sock


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_an_idle_connection_is_closed(start) -> None:
    srv = start(idle_timeout_s=0.2)
    with socket.create_connection(("127.0.0.1", srv.server_address[1]), timeout=10) as idle:
        assert idle.recv(1) == b""  # the server hung up; without a timeout recv would wait 10 s and fail


def test_connections_served_at_once_are_bounded(start) -> None:
    srv = start(max_threads=2, idle_timeout_s=30)
    before = threading.active_count()
    idle = [socket.create_connection(("127.0.0.1", srv.server_address[1]), timeout=5) for _ in range(2)]
    waiting = _raw_get(srv)
    try:
        waiting.settimeout(0.5)
        with pytest.raises(TimeoutError):
            waiting.recv(1)  # both threads are held by idle clients
        assert threading.active_count() <= before + 2
        idle[0].close()  # a thread frees up and serves the waiting client
        waiting.settimeout(5)
        assert _read_all(waiting).startswith(b"HTTP/1.1 200")
    finally:
        waiting.close()
        for sock in idle:
            sock.close()


def test_the_listen_backlog_holds_many_clients(site: Path) -> None:
    srv = make_server(site, "127.0.0.1", 0)  # listening, not accepting: the kernel queues them
    clients = []
    try:
        for _ in range(200):
            # A full backlog drops the handshake, and connect() would time out here.
            clients.append(socket.create_connection(("127.0.0.1", srv.server_address[1]), timeout=2))
    finally:
        for sock in clients:
            sock.close()
        srv.server_close()
    assert len(clients) == 200


@pytest.mark.parametrize("host, allowed", [
    ("127.0.0.1:8000", True), ("localhost", True), ("LOCALHOST:1", True), ("[::1]:8000", True),
    ("127.0.0.2", True), ("book.localhost:8000", True), ("localhost.", True),
    ("evil.example", False), ("evil.example:8000", False), ("192.168.1.5:8000", False),
    ("localhost.evil.example", False), ("[::ffff:8.8.8.8]", False), ("", False),
])
def test_loopback_host(host: str, allowed: bool) -> None:
    from narrate.publish.serve import loopback_host

    assert loopback_host(host) is allowed


def test_a_foreign_host_name_is_refused_unless_remote_is_allowed(start) -> None:
    local = start()
    status, _, body = request(local, "/book/feed.xml", headers={"Host": "rebind.evil.example:8000"})
    assert status == 403 and b"<rss/>" not in body and b"--allow-remote" in body
    assert request(local, "/book/feed.xml", headers={"Host": f"localhost:{local.server_address[1]}"})[0] == 200
    assert request(local, "/book/feed.xml")[0] == 200  # http.client sends 127.0.0.1:port
    remote = start(host="127.0.0.1", allow_remote=True)
    status, _, body = request(remote, "/book/feed.xml", headers={"Host": "my-laptop.lan:8000"})
    assert status == 200 and body == b"<rss/>"


def test_if_range_with_the_current_etag_gets_the_range(server: NarrateHTTPServer) -> None:
    _, headers, _ = request(server, "/book/01-a.mp3", method="HEAD")
    tag = headers["etag"]
    status, _, body = request(server, "/book/01-a.mp3", headers={"Range": "bytes=0-9", "If-Range": tag})
    assert status == 206 and body == AUDIO[:10]


@pytest.mark.parametrize("validator", ['"stale-tag"', 'W/"weak"', "Mon, 01 Jan 2001 00:00:00 GMT", "garbage"])
def test_if_range_that_does_not_match_gets_the_whole_file(server: NarrateHTTPServer, validator: str) -> None:
    status, headers, body = request(server, "/book/01-a.mp3", headers={"Range": "bytes=0-9", "If-Range": validator})
    assert status == 200 and body == AUDIO and "content-range" not in headers


def test_a_feed_polled_again_unchanged_is_304_and_changed_is_sent(server: NarrateHTTPServer, site: Path) -> None:
    """A podcast app polling its feed with If-None-Match or If-Modified-Since gets 304 and no body while the
    file is unchanged, the new file once it changes; a HEAD says the same."""
    path = site / "book" / "feed.xml"
    os.utime(path, (1_600_000_000, 1_600_000_000))
    _, headers, _ = request(server, "/book/feed.xml")
    tag, date = headers["etag"], headers["last-modified"]
    for conditional in ({"If-None-Match": tag}, {"If-None-Match": f'"other", W/{tag}'}, {"If-None-Match": "*"},
                        {"If-Modified-Since": date}):
        status, got, body = request(server, "/book/feed.xml", headers=conditional)
        assert (status, body, got["etag"]) == (304, b"", tag), conditional
    assert request(server, "/book/feed.xml", method="HEAD", headers={"If-None-Match": tag})[0] == 304
    # If-None-Match decides when both are sent: a stale tag gets the file even with a current date.
    assert request(server, "/book/feed.xml", headers={"If-None-Match": '"old"', "If-Modified-Since": date})[0] == 200
    path.write_bytes(b"<rss>new</rss>")
    os.utime(path, (1_700_000_000, 1_700_000_000))
    for conditional in ({"If-None-Match": tag}, {"If-Modified-Since": date}):
        status, _, body = request(server, "/book/feed.xml", headers=conditional)
        assert (status, body) == (200, b"<rss>new</rss>"), conditional


def test_if_range_after_the_file_changed_gets_the_new_file(server: NarrateHTTPServer, site: Path) -> None:
    path = site / "book" / "01-a.mp3"
    os.utime(path, (1_600_000_000, 1_600_000_000))
    _, headers, _ = request(server, "/book/01-a.mp3", method="HEAD")
    old_tag, old_date = headers["etag"], headers["last-modified"]
    for validator in (old_tag, old_date):  # unchanged: the range is honoured
        status, _, body = request(server, "/book/01-a.mp3", headers={"Range": "bytes=5-9", "If-Range": validator})
        assert status == 206 and body == AUDIO[5:10]
    new = AUDIO[::-1]
    path.write_bytes(new)  # re-rendered: same size, new content
    for validator in (old_tag, old_date):
        status, _, body = request(server, "/book/01-a.mp3", headers={"Range": "bytes=5-9", "If-Range": validator})
        assert status == 200 and body == new


def test_if_range_date_of_a_file_changed_this_second_is_not_strong(server: NarrateHTTPServer, site: Path) -> None:
    from email.utils import formatdate

    from narrate.publish.serve import if_range_matches

    stat = (site / "book" / "01-a.mp3").stat()
    date = formatdate(stat.st_mtime, usegmt=True)
    assert not if_range_matches(date, stat, now=stat.st_mtime + 0.5)
    assert if_range_matches(date, stat, now=stat.st_mtime + 2)
