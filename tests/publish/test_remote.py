"""Outputs on S3 (-o s3://...), against moto's local S3 server: each file whole, book.json last, resumed anywhere."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import THREE_ROOMS, copy_book
from mutagen.id3 import ID3

from narrate.cli import cli
from narrate.publish import remote as remote_mod


@pytest.fixture()
def staging_here(tmp_path, monkeypatch):
    """Staging folders under the test's folder, not the user's cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg"


def test_a_book_rendered_to_s3_is_uploaded_whole_book_json_last_and_resumes_elsewhere(s3, tmp_path, staging_here,
                                                                                        monkeypatch):
    import s3fs

    url = f"{s3}/books"
    book = copy_book(THREE_ROOMS, tmp_path / "three-rooms")
    uploaded: list[str] = []
    put_whole = remote_mod.put_whole

    def record(fs, local, path, atomic):
        uploaded.append(path.rsplit("/", 1)[-1])
        put_whole(fs, local, path, atomic)

    monkeypatch.setattr(remote_mod, "put_whole", record)
    args = ["render", str(book), "-o", url, "--voices-dir", str(tmp_path / "nv"), "-j", "1", "-q"]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert uploaded[-1] == "book.json" and sorted(uploaded[:-1]) == ["01-the-porch.mp3", "02-the-diner.mp3",
                                                                      "03-the-bridge.mp3"]
    fs = s3fs.S3FileSystem()
    manifest = json.loads(fs.cat_file("narrate-test/books/three-rooms/book.json"))
    assert [c["file"] for c in manifest["chapters"]] == ["01-the-porch.mp3", "02-the-diner.mp3", "03-the-bridge.mp3"]
    for chapter in manifest["chapters"]:
        local = tmp_path / chapter["file"]
        fs.get_file(f"narrate-test/books/three-rooms/{chapter['file']}", str(local))
        assert local.stat().st_size == chapter["bytes"]
        assert str(ID3(local)["TIT2"]) == chapter["title"]

    # The feed and its files, and a script correction, are at the URL too.
    fed = CliRunner().invoke(cli, [*args, "--base-url", "http://x.example/three-rooms/"])
    assert fed.exit_code == 0, fed.output
    fs.pipe_file("narrate-test/books/three-rooms/script/notes.json", b"{}")
    served = sorted(p.rsplit("/", 1)[-1] for p in fs.find("narrate-test/books/three-rooms"))
    assert {"feed.xml", "01-the-porch.vtt", "01-the-porch.chapters.json", "notes.json"} <= set(served)

    # Another machine (no staging folder): what is on S3 is kept; a chapter gone from the book leaves S3 too,
    # with the feed files made from it; the feed, the others' files and the scripts stay (they were deleted).
    shutil.rmtree(staging_here)
    (book / "03-the-bridge.txt").unlink()
    uploaded.clear()
    again = CliRunner().invoke(cli, [*args[:-1]])
    assert again.exit_code == 0, again.output
    assert "0 rendered, 2 re-tagged, 0 unchanged" in again.output  # track n/2 now: tags only, no audio
    assert uploaded[-1] == "book.json"
    left = sorted(p.rsplit("/", 1)[-1] for p in fs.find("narrate-test/books/three-rooms"))
    assert [n for n in left if n.endswith(".mp3")] == ["01-the-porch.mp3", "02-the-diner.mp3"]
    assert {"feed.xml", "01-the-porch.vtt", "02-the-diner.chapters.json", "notes.json", "book.json"} <= set(left)
    assert not [n for n in left if n.startswith("03-")]
    assert b"03-the-bridge" not in fs.cat_file("narrate-test/books/three-rooms/feed.xml")
    fs.get_file("narrate-test/books/three-rooms/01-the-porch.mp3", str(tmp_path / "retagged.mp3"))
    assert str(ID3(tmp_path / "retagged.mp3")["TRCK"]) == "1/2"


def test_an_output_url_without_the_extra_is_one_line(tmp_path, staging_here):
    result = CliRunner().invoke(cli, ["render", str(THREE_ROOMS), "-o", "nosuchproto://x/y", "-j", "1"])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("narrate: error: nosuchproto://x/y") and "Traceback" not in result.output


@pytest.fixture(scope="module")
def rendered_three_rooms(tmp_path_factory):
    """The three-rooms book rendered here, into a local folder: (book_dir, manifest)."""
    from narrate.render.pipeline import RenderOptions, render_book

    out = tmp_path_factory.mktemp("local-render")
    result = render_book(THREE_ROOMS, RenderOptions(out_dir=out, voices_dir=out / "no-voices"))
    return result.book_dir, json.loads((result.book_dir / "book.json").read_text(encoding="utf-8"))


def _hide_from_workers(cluster_client, folder) -> None:
    """Make `folder` (the client's staging folder) absent on the cluster's workers, as on other machines: any
    file operation of theirs under it fails with "no such file" (a Python audit hook, for the workers' life)."""
    prefix = str(folder)

    def install() -> None:
        import errno
        import os
        import sys

        watched = {"open", "os.mkdir", "os.rename", "os.replace", "os.remove", "os.listdir", "os.scandir",
                   "os.link", "os.chmod", "shutil.copyfile", "tempfile.mkstemp", "os.truncate"}

        def hook(event, args):
            if event in watched:
                for arg in args:
                    if isinstance(arg, (str, bytes, os.PathLike)) and os.fsdecode(arg).startswith(prefix):
                        raise FileNotFoundError(errno.ENOENT, "not on this machine", os.fsdecode(arg))
                    # A test's way to make a chapter fail on its worker: files named so cannot be written there.
                    marker = os.environ.get("NARRATE_TEST_UNWRITABLE")
                    if marker and event in ("open", "tempfile.mkstemp") and isinstance(arg, (str, os.PathLike)) \
                            and marker in os.fspath(arg):
                        raise PermissionError(errno.EACCES, "not writable on this worker", os.fspath(arg))

        sys.addaudithook(hook)

    cluster_client.run(install)


def test_workers_on_other_machines_upload_their_chapters_and_the_book_resumes(s3, tmp_path, staging_here,
                                                                              rendered_three_rooms, monkeypatch):
    """-o s3://... --cluster ADDRESS with workers that cannot see the client's staging folder: each worker renders
    its chapter in a folder of its own and uploads it; the client uploads book.json last; later runs resume."""
    import s3fs
    from mutagen.mp3 import MP3

    distributed = pytest.importorskip("distributed")
    local_dir, local = rendered_three_rooms
    url = f"{s3}/elsewhere"
    book = copy_book(THREE_ROOMS, tmp_path / "three-rooms")
    fs = s3fs.S3FileSystem(use_listings_cache=False)  # sizes as they are now, not as first listed
    uploaded: list[str] = []
    put_whole = remote_mod.put_whole

    def record(fs_, local_file, path, atomic):
        name = path.rsplit("/", 1)[-1]
        uploaded.append(name)
        if name == "book.json":  # last: every chapter it lists is already whole at the URL
            for chapter in json.loads(Path(local_file).read_bytes())["chapters"]:
                assert fs.size(f"narrate-test/elsewhere/three-rooms/{chapter['file']}") == chapter["bytes"]
        put_whole(fs_, local_file, path, atomic)

    monkeypatch.setattr(remote_mod, "put_whole", record)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address="127.0.0.1:0") as cluster, \
            distributed.Client(cluster, set_as_default=False) as c:
        _hide_from_workers(c, staging_here)
        args = ["render", str(book), "-o", url, "--voices-dir", str(tmp_path / "nv"), "--cache", f"{s3}/elsewhere-cache",
                "--cluster", cluster.scheduler_address]
        first = CliRunner().invoke(cli, args)
        assert first.exit_code == 0, first.output
        assert "3 rendered, 0 unchanged" in first.output
        assert uploaded == ["book.json"]  # the chapters went up from the workers, not from here
        staging = remote_mod.staging_root(url) / "three-rooms"
        assert not list(staging.glob("*.mp3"))

        manifest = json.loads(fs.cat_file("narrate-test/elsewhere/three-rooms/book.json"))
        assert [c["file"] for c in manifest["chapters"]] == [c["file"] for c in local["chapters"]]
        assert sorted(p.rsplit("/", 1)[-1] for p in fs.find("narrate-test/elsewhere/three-rooms")) == [
            "01-the-porch.mp3", "02-the-diner.mp3", "03-the-bridge.mp3", "book.json"]
        for ours, theirs in zip(manifest["chapters"], local["chapters"], strict=True):
            got = tmp_path / "got" / ours["file"]
            got.parent.mkdir(exist_ok=True)
            fs.get_file(f"narrate-test/elsewhere/three-rooms/{ours['file']}", str(got))
            assert got.stat().st_size == ours["bytes"]
            assert abs(ours["duration_ms"] - theirs["duration_ms"]) <= 250
            assert abs(MP3(got).info.length * 1000 - ours["duration_ms"]) <= 250
            assert str(ID3(got)["TIT2"]) == str(ID3(local_dir / theirs["file"])["TIT2"]) == ours["title"]

        # The next run renders nothing, here and on a machine without the staging folder (it reads the URL's
        # book.json and finds the chapters there); the chapters stay at the URL.
        again = CliRunner().invoke(cli, args)
        assert again.exit_code == 0 and "0 rendered, 3 unchanged" in again.output, again.output
        shutil.rmtree(staging_here)
        elsewhere = CliRunner().invoke(cli, args)
        assert elsewhere.exit_code == 0 and "0 rendered, 3 unchanged" in elsewhere.output, elsewhere.output
        assert not list(staging.glob("*.mp3"))

        # A changed chapter is rendered again, alone, and replaces its file at the URL.
        diner = book / "02-the-diner.txt"
        diner.write_text(diner.read_text(encoding="utf-8") + "\n\nThe door swung shut behind them.\n", encoding="utf-8")
        uploaded.clear()
        changed = CliRunner().invoke(cli, args)
        assert changed.exit_code == 0 and "1 rendered, 2 unchanged" in changed.output, changed.output
        assert uploaded == ["book.json", "book.json"]  # first without the chapter its worker then replaces
    after = json.loads(fs.cat_file("narrate-test/elsewhere/three-rooms/book.json"))["chapters"]
    assert after[1]["duration_ms"] > manifest["chapters"][1]["duration_ms"]
    assert fs.size("narrate-test/elsewhere/three-rooms/02-the-diner.mp3") == after[1]["bytes"]
    assert [c["fingerprint"] for c in after[::2]] == [c["fingerprint"] for c in manifest["chapters"][::2]]


@pytest.fixture(scope="module")
def far_cluster(s3, tmp_path_factory):
    """A two-worker cluster whose workers do not see this process's staging folders: (client, address)."""
    distributed = pytest.importorskip("distributed")
    xdg = tmp_path_factory.mktemp("far-xdg")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(xdg))
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address="127.0.0.1:0") as cluster, \
                distributed.Client(cluster, set_as_default=False) as c:
            _hide_from_workers(c, xdg)
            yield c, cluster.scheduler_address


def _set_on_workers(client, value: str | None) -> None:
    import os

    def set_it() -> None:
        if value is None:
            os.environ.pop("NARRATE_TEST_UNWRITABLE", None)
        else:
            os.environ["NARRATE_TEST_UNWRITABLE"] = value

    client.run(set_it)


def test_a_chapter_failing_on_a_far_worker_fails_alone_and_the_next_run_renders_it_alone(s3, far_cluster, tmp_path):
    import s3fs

    client, address = far_cluster
    fs = s3fs.S3FileSystem(use_listings_cache=False)
    args = ["render", str(THREE_ROOMS), "-o", f"{s3}/failing", "--voices-dir", str(tmp_path / "nv"), "--cache",
            f"{s3}/failing-cache", "--cluster", address]
    _set_on_workers(client, "02-the-diner")
    try:
        failed = CliRunner().invoke(cli, args)
    finally:
        _set_on_workers(client, None)
    assert failed.exit_code == 1 and "Traceback" not in failed.output
    assert "02-the-diner.mp3: cannot write" in failed.output and "1 chapter(s) failed; 2 rendered and kept" in failed.output
    listed = json.loads(fs.cat_file("narrate-test/failing/three-rooms/book.json"))["chapters"]
    assert [c["file"] for c in listed] == ["01-the-porch.mp3", "03-the-bridge.mp3"]
    assert not fs.exists("narrate-test/failing/three-rooms/02-the-diner.mp3")
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0 and "1 rendered, 2 unchanged" in again.output, again.output
    assert len(json.loads(fs.cat_file("narrate-test/failing/three-rooms/book.json"))["chapters"]) == 3


def test_an_interrupted_render_on_far_workers_lists_what_they_uploaded_and_resumes(s3, far_cluster, tmp_path):
    """Ctrl-C: the chapters already uploaded are listed at the URL at once, so the next run (which starts from
    the URL's book.json) renders only the others."""
    import s3fs

    from narrate.cli.rendering import render_source
    from narrate.render.pipeline import RenderOptions
    from narrate.render.relay import ClusterRelay

    client, address = far_cluster
    fs = s3fs.S3FileSystem(use_listings_cache=False)
    remote = remote_mod.RemoteOutput.open(f"{s3}/interrupted")
    relay = ClusterRelay(client)

    def interrupt_after_first(p) -> None:
        if p.status == "done":
            relay.interruption.set()

    opts = RenderOptions(out_dir=remote.staging, voices_dir=tmp_path / "nv", cache_dir=f"{s3}/interrupted-cache",
                         executor=relay.executor, jobs=2, upload_to=remote.url)
    try:
        with pytest.raises(KeyboardInterrupt):
            render_source(THREE_ROOMS, opts, interrupt_after_first, remote)
    finally:
        relay.close()
    kept = json.loads(fs.cat_file("narrate-test/interrupted/three-rooms/book.json"))["chapters"]
    assert 1 <= len(kept) < 3
    shutil.rmtree(remote.staging)  # and on another machine
    again = CliRunner().invoke(cli, ["render", str(THREE_ROOMS), "-o", remote.url, "--voices-dir", str(tmp_path / "nv"),
                                     "--cache", f"{s3}/interrupted-cache", "--cluster", address])
    assert again.exit_code == 0 and f"{3 - len(kept)} rendered, {len(kept)} unchanged" in again.output, again.output
    names = sorted(p.rsplit("/", 1)[-1] for p in fs.find("narrate-test/interrupted/three-rooms"))
    assert names == ["01-the-porch.mp3", "02-the-diner.mp3", "03-the-bridge.mp3", "book.json"]


def test_whole_book_files_and_the_feed_are_made_here_from_the_chapters_far_workers_uploaded(s3, far_cluster, tmp_path):
    import s3fs

    _, address = far_cluster
    fs = s3fs.S3FileSystem(use_listings_cache=False)
    result = CliRunner().invoke(cli, ["render", str(THREE_ROOMS), "-o", f"{s3}/whole", "--voices-dir",
                                      str(tmp_path / "nv"), "--cache", f"{s3}/whole-cache", "--cluster", address,
                                      "--single-file", "--base-url", "https://example.com/three-rooms/"])
    assert result.exit_code == 0, result.output
    manifest = json.loads(fs.cat_file("narrate-test/whole/three-rooms/book.json"))
    joined = manifest["whole_book"]["mp3"]
    assert fs.size(f"narrate-test/whole/three-rooms/{joined['file']}") == joined["bytes"]
    feed = fs.cat_file("narrate-test/whole/three-rooms/feed.xml").decode("utf-8")
    for chapter in manifest["chapters"]:
        assert f'length="{chapter["bytes"]}"' in feed
        assert fs.size(f"narrate-test/whole/three-rooms/{chapter['file']}") == chapter["bytes"]


def test_far_workers_chapters_are_retagged_here_and_a_chapter_gone_leaves_the_url(s3, far_cluster, tmp_path):
    import s3fs

    _, address = far_cluster
    fs = s3fs.S3FileSystem(use_listings_cache=False)
    book = copy_book(THREE_ROOMS, tmp_path / "three-rooms")
    args = ["render", str(book), "-o", f"{s3}/retag", "--voices-dir", str(tmp_path / "nv"), "--cache",
            f"{s3}/retag-cache", "--cluster", address]
    assert CliRunner().invoke(cli, args).exit_code == 0
    (book / "03-the-bridge.txt").unlink()
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0 and "0 rendered, 2 re-tagged, 0 unchanged" in again.output, again.output
    assert sorted(p.rsplit("/", 1)[-1] for p in fs.find("narrate-test/retag/three-rooms")) == [
        "01-the-porch.mp3", "02-the-diner.mp3", "book.json"]
    listed = json.loads(fs.cat_file("narrate-test/retag/three-rooms/book.json"))["chapters"]
    for chapter in listed:
        got = tmp_path / chapter["file"]
        fs.get_file(f"narrate-test/retag/three-rooms/{chapter['file']}", str(got))
        assert got.stat().st_size == chapter["bytes"] and str(ID3(got)["TRCK"]) == f"{chapter['index']}/2"
