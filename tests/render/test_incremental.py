"""Incremental renders: tags are not audio, renumbered chapters keep their audio, gone chapters leave nothing."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import THREE_ROOMS, copy_book
from mutagen.id3 import ID3

from narrate.audio.mp3frames import audio_start
from narrate.render.pipeline import RenderOptions, render_book


def opts(tmp_path, **kw) -> RenderOptions:
    return RenderOptions(out_dir=tmp_path / "out", voices_dir=tmp_path / "no-voices", jobs=1, **kw)


def audio_of(path) -> bytes:
    """The MP3 frames of a file, without its ID3 tag."""
    data = path.read_bytes()
    return data[audio_start(data):]


def by_file(manifest) -> dict[str, dict]:
    return {c["file"]: c for c in manifest["chapters"]}


@pytest.fixture
def two_rooms(tmp_path):
    """THREE_ROOMS without its last chapter, rendered once."""
    book = copy_book(THREE_ROOMS, tmp_path / "three-rooms")
    third = (book / "03-the-bridge.txt").read_text(encoding="utf-8")
    (book / "03-the-bridge.txt").unlink()
    first = render_book(book, opts(tmp_path))
    assert first.rendered == (1, 2)
    return book, third, first


def test_adding_a_chapter_encodes_only_it_and_retags_the_others(two_rooms, tmp_path):
    book, third, first = two_rooms
    book_dir = first.book_dir
    before = {p.name: audio_of(p) for p in book_dir.glob("*.mp3")}
    (book / "03-the-bridge.txt").write_text(third, encoding="utf-8")

    result = render_book(book, opts(tmp_path))
    assert result.rendered == (3,) and result.retagged == (1, 2) and result.skipped == ()
    for name, audio in before.items():
        assert audio_of(book_dir / name) == audio, name  # the same frames, not encoded again
    entries = by_file(result.manifest)
    for index, name in enumerate(sorted(entries), start=1):
        tags = ID3(book_dir / name)
        assert str(tags["TRCK"]) == f"{index}/3"
        assert entries[name]["bytes"] == (book_dir / name).stat().st_size
        chaps = tags.getall("CHAP")
        assert chaps and chaps[-1].end_time == entries[name]["duration_ms"] == int(str(tags["TLEN"]))
    # Nothing changed since: everything is kept as it is.
    again = render_book(book, opts(tmp_path))
    assert again.rendered == () and again.retagged == () and again.skipped == (1, 2, 3)


def test_a_new_title_or_cover_only_retags(two_rooms, tmp_path):
    book, _, first = two_rooms
    book_dir = first.book_dir
    before = {p.name: audio_of(p) for p in book_dir.glob("*.mp3")}
    toml = (book / "book.toml").read_text(encoding="utf-8")
    (book / "book.toml").write_text(toml.replace('title = "Three Rooms"', 'title = "Two Rooms"')
                                    + 'cover = "cover.png"\n', encoding="utf-8")
    (book / "cover.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)

    result = render_book(book, opts(tmp_path))
    assert result.rendered == () and result.retagged == (1, 2)
    assert result.manifest["title"] == "Two Rooms"
    for name, audio in before.items():
        tags = ID3(book_dir / name)
        assert audio_of(book_dir / name) == audio
        assert str(tags["TALB"]) == "Two Rooms"
        assert tags.getall("APIC")[0].data == (book / "cover.png").read_bytes()
        assert by_file(result.manifest)[name]["bytes"] == (book_dir / name).stat().st_size
    # The cover's content, not its name, is what counts.
    (book / "cover.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\1" * 64)
    assert render_book(book, opts(tmp_path)).retagged == (1, 2)
    assert ID3(book_dir / "01-the-porch.mp3").getall("APIC")[0].data.endswith(b"\1" * 64)
    assert (book_dir / "cover.png").is_file()
    # The cover taken out of book.toml: the tags lose it, and so does the folder (a feed would serve it).
    (book / "book.toml").write_text(toml.replace('title = "Three Rooms"', 'title = "Two Rooms"'), encoding="utf-8")
    assert render_book(book, opts(tmp_path)).retagged == (1, 2)
    assert not (book_dir / "cover.png").exists() and not ID3(book_dir / "01-the-porch.mp3").getall("APIC")


def test_a_chapter_inserted_in_front_renumbers_the_others_without_encoding(tmp_path):
    """Chapter files named alike ("Part") swap names when renumbered: 02-part.mp3 is both the
    old chapter 2's file and the new chapter 2's (the old chapter 1)."""
    book = tmp_path / "parts"
    book.mkdir()
    (book / "01-part.txt").write_text("Chapter One\n\nThe lamp was lit at dusk.\n", encoding="utf-8")
    (book / "02-part.txt").write_text("Chapter Two\n\nNobody came back that night.\n", encoding="utf-8")
    first = render_book(book, opts(tmp_path))
    book_dir = first.book_dir
    one, two = audio_of(book_dir / "01-part.mp3"), audio_of(book_dir / "02-part.mp3")

    (book / "00-opening.txt").write_text("Prologue\n\nIt began with a letter.\n", encoding="utf-8")
    result = render_book(book, opts(tmp_path))
    assert result.rendered == (1,) and result.retagged == (2, 3)
    assert audio_of(book_dir / "02-part.mp3") == one
    assert audio_of(book_dir / "03-part.mp3") == two
    assert sorted(p.name for p in book_dir.glob("*.mp3")) == ["01-opening.mp3", "02-part.mp3", "03-part.mp3"]
    assert [(c["index"], c["title"], c["file"]) for c in result.manifest["chapters"]] == [
        (1, "Prologue", "01-opening.mp3"), (2, "Chapter One", "02-part.mp3"), (3, "Chapter Two", "03-part.mp3")]
    assert str(ID3(book_dir / "02-part.mp3")["TIT2"]) == "Chapter One"
    assert str(ID3(book_dir / "03-part.mp3")["TRCK"]) == "3/3"
    assert not [p for p in book_dir.glob(".*") if p.name != ".cast.json"]  # no snapshot or temp file left
    on_disk = json.loads((book_dir / "book.json").read_text(encoding="utf-8"))
    assert on_disk["chapters"] == result.manifest["chapters"]


def test_files_of_deleted_or_renamed_chapters_are_removed_and_nothing_else(two_rooms, tmp_path):
    book, _, first = two_rooms
    book_dir = first.book_dir
    # Files narrate made for chapter 2 (its MP3 and feed files), and files it did not make.
    (book_dir / "02-the-diner.vtt").write_text("WEBVTT\n", encoding="utf-8")
    (book_dir / "02-the-diner.chapters.json").write_text("{}", encoding="utf-8")
    (book_dir / "notes.mp3").write_bytes(b"mine")
    (book_dir / "02-the-diner-mine.txt").write_text("mine", encoding="utf-8")
    scripts = book_dir / "script"
    scripts.mkdir()
    (scripts / "02-the-diner.json").write_text("{}", encoding="utf-8")

    (book / "02-the-diner.txt").rename(book / "02-the-cafe.txt")  # renamed: a new file name
    result = render_book(book, opts(tmp_path))
    assert result.skipped == (1,) and result.retagged == (2,)  # same text, same audio
    assert sorted(p.name for p in book_dir.glob("*.mp3")) == ["01-the-porch.mp3", "02-the-cafe.mp3", "notes.mp3"]
    assert not (book_dir / "02-the-diner.vtt").exists() and not (book_dir / "02-the-diner.chapters.json").exists()
    assert (book_dir / "02-the-diner-mine.txt").exists() and (scripts / "02-the-diner.json").exists()

    (book / "02-the-cafe.txt").unlink()  # deleted
    result = render_book(book, opts(tmp_path))
    assert [c["file"] for c in result.manifest["chapters"]] == ["01-the-porch.mp3"]
    assert sorted(p.name for p in book_dir.glob("*.mp3")) == ["01-the-porch.mp3", "notes.mp3"]
    assert str(ID3(book_dir / "01-the-porch.mp3")["TRCK"]) == "1/1"


def test_a_partial_render_removes_gone_chapters_too(two_rooms, tmp_path):
    book, _, first = two_rooms
    (book / "02-the-diner.txt").unlink()
    render_book(book, opts(tmp_path, chapters="1"))
    assert sorted(p.name for p in first.book_dir.glob("*.mp3")) == ["01-the-porch.mp3"]


def test_without_book_json_nothing_is_removed(two_rooms, tmp_path):
    book, _, first = two_rooms
    book_dir = first.book_dir
    (book / "02-the-diner.txt").unlink()
    (book_dir / "book.json").unlink()  # narrate no longer knows which files it made
    render_book(book, opts(tmp_path))
    assert (book_dir / "02-the-diner.mp3").exists()
    assert [c["file"] for c in json.loads((book_dir / "book.json").read_text())["chapters"]] == ["01-the-porch.mp3"]


def test_a_book_of_the_same_name_from_elsewhere_never_replaces_a_rendered_one(tmp_path):
    """`a/book/` and `b/book.txt` both render to out/book: the second is refused with one line naming both,
    and the first book's chapters and script corrections stay; the same book moved renders on as before."""
    from click.testing import CliRunner

    from narrate.cli.main import cli

    first = tmp_path / "a" / "book"
    first.mkdir(parents=True)
    (first / "01-hello.txt").write_text('"Hello," said Ann.\n', encoding="utf-8")
    other = tmp_path / "b" / "book.txt"
    other.parent.mkdir()
    other.write_text('"Goodbye," said Bob.\n', encoding="utf-8")
    out = tmp_path / "out"
    both = CliRunner().invoke(cli, ["render", str(first), str(other), "-o", str(out), "-q"])
    assert both.exit_code == 1
    assert f"{out / 'book'} holds the audiobook of {first}" in both.output and str(other) in both.output, both.output
    manifest = json.loads((out / "book" / "book.json").read_text(encoding="utf-8"))
    assert manifest["source"] == str(first) and [c["file"] for c in manifest["chapters"]] == ["01-hello.mp3"]
    assert (out / "book" / "01-hello.mp3").is_file()
    # Nor a folder of that name elsewhere, with a title of that name too: `narrate script` writes no script there.
    twin = tmp_path / "b" / "book"
    twin.mkdir()
    (twin / "01-bye.txt").write_text('"Goodbye," said Bob.\n', encoding="utf-8")
    script = CliRunner().invoke(cli, ["script", str(twin), "-o", str(out)])
    assert script.exit_code == 1 and f"holds the audiobook of {first}" in script.output, script.output
    assert not (out / "book" / "script").exists()
    # The same book in another folder (same name, same title) is the same book: kept, nothing encoded.
    moved = tmp_path / "c" / "book"
    moved.parent.mkdir()
    first.rename(moved)
    again = render_book(moved, opts(tmp_path))
    assert again.rendered == () and again.manifest["source"] == str(moved)
    # So is a copy of it (same title, same chapters) while the first is still there.
    copy = tmp_path / "d" / "book"
    shutil.copytree(moved, copy)
    assert render_book(copy, opts(tmp_path)).rendered == ()
    # --force replaces the other book.
    forced = CliRunner().invoke(cli, ["render", str(twin), "-o", str(out), "-q", "--force"])
    assert forced.exit_code == 0, forced.output
    assert [c["file"] for c in json.loads((out / "book" / "book.json").read_text(encoding="utf-8"))["chapters"]] \
        == ["01-bye.mp3"]


def test_a_book_read_through_a_link_stays_the_same_book_when_the_link_moves_to_a_new_draft(tmp_path):
    """`story.txt -> drafts/v3.txt`, then the link pointed at v4.txt: the same book (the link is the source)."""
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    (drafts / "v3.txt").write_text('"Hello," said Ann.\n', encoding="utf-8")
    (drafts / "v4.txt").write_text('"Hello again," said Ann.\n', encoding="utf-8")
    link = tmp_path / "story.txt"
    link.symlink_to(drafts / "v3.txt")
    render_book(link, opts(tmp_path))
    link.unlink()
    link.symlink_to(drafts / "v4.txt")
    assert render_book(link, opts(tmp_path)).rendered == (1,)


def _guids(book_dir) -> dict[str, str]:
    """Episode guid by enclosure file name, from the feed as a podcast app reads it."""
    import feedparser

    feed = feedparser.parse((book_dir / "feed.xml").read_bytes())
    return {e.enclosures[0].href.rsplit("/", 1)[1]: e.id for e in feed.entries}


def test_episode_guids_stay_with_their_chapters_when_one_is_inserted_or_edited(two_rooms, tmp_path):
    """A podcast app knows episodes by guid: after a chapter is inserted the later ones keep theirs (a guid that
    moved to other audio would leave the app with the old download under it), the new one gets a guid never seen;
    an edited chapter keeps its guid; a book.json from before guids were recorded keeps the feed's old guids."""
    book, third, first = two_rooms
    url = "http://127.0.0.1:8000/three-rooms/"
    before = _guids(render_book(book, opts(tmp_path, base_url=url)).book_dir)
    assert before == {"01-the-porch.mp3": "urn:narrate:three-rooms:chapter:1",
                      "02-the-diner.mp3": "urn:narrate:three-rooms:chapter:2"}
    # A book.json written before guids were kept: none recorded; the feed's guids are taken as they were.
    path = first.book_dir / "book.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for entry in manifest["chapters"]:
        del entry["guid"]
    path.write_text(json.dumps(manifest), encoding="utf-8")
    (book / "01b-the-yard.txt").write_text(third, encoding="utf-8")
    after = _guids(render_book(book, opts(tmp_path, base_url=url)).book_dir)
    assert after["01-the-porch.mp3"] == before["01-the-porch.mp3"]
    assert after["03-the-diner.mp3"] == before["02-the-diner.mp3"]  # the diner moved to 3, its guid with it
    assert after["02-the-yard.mp3"] not in before.values()
    # Its text edited, the yard is encoded again but stays the same episode.
    (book / "01b-the-yard.txt").write_text(third.replace("bridge", "yard"), encoding="utf-8")
    edited = render_book(book, opts(tmp_path, base_url=url))
    assert edited.rendered == (2,) and _guids(edited.book_dir) == after


def test_guids_of_a_one_file_book_follow_titles_and_a_failed_or_gone_chapter_keeps_or_retires_its_own(tmp_path,
                                                                                                    monkeypatch):
    """In a book of one file (every chapter has that file as its source) a new chapter never takes the guid of
    an edited or a removed one; a chapter whose re-render fails keeps its guid for the next run; a guid of a
    chapter that left is never given to a later one."""
    import narrate.render.parallel as parallel
    from narrate.errors import RenderError

    rooms = sorted(THREE_ROOMS.glob("0*.txt"))
    parts = {p.stem.split("-", 2)[-1]: p.read_text(encoding="utf-8").split("\n", 1)[1] for p in rooms}

    def write(*names: str, edit: str = "") -> None:
        text = "\n\n".join(f"# The {n.title()}\n\n{parts[n]}" + (" It rained." if n == edit else "") for n in names)
        (tmp_path / "story.md").write_text(text, encoding="utf-8")

    def guids(result) -> dict[str, str]:
        return {c["title"]: c["guid"] for c in result.manifest["chapters"]}

    write("porch", "diner", "bridge")
    first = guids(render_book(tmp_path / "story.md", opts(tmp_path)))
    assert len(set(first.values())) == 3
    # A chapter inserted and another edited in one render: each keeps or gets its own.
    parts["yard"] = parts["bridge"].replace("bridge", "yard")
    write("porch", "yard", "diner", "bridge", edit="bridge")
    second = guids(render_book(tmp_path / "story.md", opts(tmp_path)))
    assert {t: second[t] for t in first} == first and second["The Yard"] not in first.values()
    # The diner edited, and its render fails: its guid waits for it.
    real = parallel.render_chapter

    def failing(job, progress=None):
        if job.chapter.title == "The Diner":
            raise RenderError("disk full")
        return real(job, progress)

    monkeypatch.setattr(parallel, "render_chapter", failing)
    write("porch", "yard", "diner", "bridge", edit="diner")
    with pytest.raises(RenderError):
        render_book(tmp_path / "story.md", opts(tmp_path))
    monkeypatch.setattr(parallel, "render_chapter", real)
    third = guids(render_book(tmp_path / "story.md", opts(tmp_path)))
    assert third == second
    # The diner leaves; a new last chapter gets a guid no chapter had, not the diner's.
    parts["shed"] = parts["porch"].replace("porch", "shed")
    write("porch", "yard", "bridge")
    render_book(tmp_path / "story.md", opts(tmp_path))
    write("porch", "yard", "bridge", "shed")
    fourth = guids(render_book(tmp_path / "story.md", opts(tmp_path)))
    assert fourth["The Shed"] not in third.values()
    assert {t: fourth[t] for t in ("The Porch", "The Yard", "The Bridge")} == \
        {t: third[t] for t in ("The Porch", "The Yard", "The Bridge")}


def test_a_changed_chapter_left_out_of_chapters_keeps_its_audio_when_a_chapter_comes_before_it(two_rooms, tmp_path):
    """A chapter put first renumbers the others; one of them also changed (a correction) and `--chapters 1`
    renders only the new one: the changed chapter's audio so far stays, under its old name, listed once, until
    it is rendered (it was deleted as "no longer in the book")."""
    book, third, first = two_rooms
    book_dir = first.book_dir
    before = audio_of(book_dir / "01-the-porch.mp3")
    porch = book / "01-the-porch.txt"
    porch.write_text(porch.read_text(encoding="utf-8") + "\nIt rained.\n", encoding="utf-8")
    (book / "00-the-yard.txt").write_text(third, encoding="utf-8")
    result = render_book(book, opts(tmp_path, chapters="1"))
    assert result.rendered == (1,)
    files = by_file(result.manifest)
    assert (book_dir / "01-the-porch.mp3").is_file() and files["01-the-porch.mp3"]["index"] == 2
    assert sorted(c["index"] for c in result.manifest["chapters"]) == [1, 2, 3]
    assert audio_of(book_dir / "01-the-porch.mp3") == before  # as it was: not yet rendered with the change
    # Rendered in its turn, it takes its new name and the old file goes.
    done = render_book(book, opts(tmp_path))
    assert done.rendered == (2,) and sorted(by_file(done.manifest)) == [
        "01-the-yard.mp3", "02-the-porch.mp3", "03-the-diner.mp3"]
    assert not (book_dir / "01-the-porch.mp3").exists()


def test_a_chapter_whose_re_render_fails_stays_listed_with_the_audio_it_had(two_rooms, tmp_path, monkeypatch):
    """Its file is replaced only once the new one is whole: book.json (and a feed made from it) keep the episode
    subscribers have, as it was, and the next render makes it again."""
    import narrate.render.parallel as parallel
    from narrate.errors import RenderError

    book, _, first = two_rooms
    url = "http://127.0.0.1:8000/three-rooms/"
    render_book(book, opts(tmp_path, base_url=url))
    before = by_file(json.loads((first.book_dir / "book.json").read_text(encoding="utf-8")))
    diner = book / "02-the-diner.txt"
    diner.write_text(diner.read_text(encoding="utf-8") + "\nIt rained.\n", encoding="utf-8")
    real = parallel.render_chapter

    def failing(job, progress=None):
        if job.chapter.index == 2:
            raise RenderError("disk full")
        return real(job, progress)

    monkeypatch.setattr(parallel, "render_chapter", failing)
    with pytest.raises(RenderError):
        render_book(book, opts(tmp_path, base_url=url))
    kept = by_file(json.loads((first.book_dir / "book.json").read_text(encoding="utf-8")))
    assert kept == before  # the same entries, the diner's old fingerprint included
    assert len(_guids(first.book_dir)) == 2
    monkeypatch.setattr(parallel, "render_chapter", real)
    assert render_book(book, opts(tmp_path, base_url=url)).rendered == (2,)


def test_two_stories_of_one_file_name_are_two_books_and_a_link_to_a_folder_is_its_book(tmp_path):
    """`a/story.txt` and `b/story.txt` both take "Story" as their title and chapter title: still two books (their
    texts differ); a folder rendered by its real path and then through a link is one book."""
    for folder, text in (("a", '"Hello," said Ann.\n'), ("b", '"Goodbye," said Bob.\n')):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "story.txt").write_text(text, encoding="utf-8")
    render_book(tmp_path / "a" / "story.txt", opts(tmp_path))
    from narrate.errors import RenderError

    with pytest.raises(RenderError, match="holds the audiobook of"):
        render_book(tmp_path / "b" / "story.txt", opts(tmp_path))
    real = copy_book(THREE_ROOMS, tmp_path / "real" / "three-rooms")
    render_book(real, opts(tmp_path))
    (tmp_path / "link").symlink_to(tmp_path / "real")
    (real / "04-the-yard.txt").write_text("The yard was empty. It rained on it.\n", encoding="utf-8")
    assert render_book(tmp_path / "link" / "three-rooms", opts(tmp_path)).rendered == (4,)


def test_a_changed_chapter_of_a_one_file_book_left_out_of_chapters_keeps_its_audio_and_guid(tmp_path):
    """In a book of one file (every chapter has it as its source) the chapter is found by its title; and when the
    chapter put before it goes again, it is back at its old number with its old file, kept as it was."""
    rooms = sorted(THREE_ROOMS.glob("0*.txt"))
    parts = {p.stem.split("-", 2)[-1]: p.read_text(encoding="utf-8").split("\n", 1)[1] for p in rooms}

    def write(*names: str, edit: str = "") -> None:
        text = "\n\n".join(f"# The {n.title()}\n\n{parts[n]}" + (" It rained." if n == edit else "") for n in names)
        (tmp_path / "story.md").write_text(text, encoding="utf-8")

    write("porch", "diner", "bridge")
    first = render_book(tmp_path / "story.md", opts(tmp_path))
    diner = by_file(first.manifest)["02-the-diner.mp3"]
    parts["yard"] = parts["bridge"].replace("bridge", "yard")
    write("porch", "yard", "diner", "bridge", edit="diner")
    second = render_book(tmp_path / "story.md", opts(tmp_path, chapters="2"))
    kept = by_file(second.manifest)["02-the-diner.mp3"]
    assert (kept["index"], kept["guid"], kept["fingerprint"]) == (3, diner["guid"], diner["fingerprint"])
    assert (second.book_dir / "02-the-diner.mp3").is_file() and "02-the-yard.mp3" in by_file(second.manifest)
    # The yard goes again: the diner is chapter 2 once more, its old file kept, still not rendered.
    write("porch", "diner", "bridge", edit="diner")
    third = render_book(tmp_path / "story.md", opts(tmp_path, chapters="1"))
    back = by_file(third.manifest)["02-the-diner.mp3"]
    assert (back["index"], back["guid"], back["fingerprint"]) == (2, diner["guid"], diner["fingerprint"])
    assert render_book(tmp_path / "story.md", opts(tmp_path)).rendered == (2,)


def test_renaming_a_speaker_keeps_the_audio_and_names_them_anew_in_book_json_and_transcripts(tmp_path):
    """A speaker renamed in the voice map (their voice as it was) is a new label, not new audio: no chapter is
    encoded or even re-tagged, but book.json, the feed's transcripts and the next renders say the new name."""
    from narrate.publish.feed import write_feed

    book = copy_book(THREE_ROOMS, tmp_path / "three-rooms")
    voices = tmp_path / "voices.toml"
    jess = 'voice = "en-us+m3"\nrate = 170\npitch = 30\n'
    voices.write_text(f"[speakers.Jess]\n{jess}", encoding="utf-8")
    first = render_book(book, opts(tmp_path, voices_path=voices))
    assert first.rendered == (1, 2, 3)
    write_feed(first.book_dir, "http://example.test/book/")
    before = {p.name: p.read_bytes() for p in first.book_dir.glob("*.mp3")}
    lines_of_jess = [s["speaker"] for c in first.manifest["chapters"] for s in c["segments"]].count("Jess")
    assert lines_of_jess >= 3

    voices.write_text(f'[speakers."Jess Mariano"]\naliases = ["Jess"]\n{jess}', encoding="utf-8")
    result = render_book(book, opts(tmp_path, voices_path=voices))
    assert result.rendered == () and result.retagged == () and result.skipped == (1, 2, 3)
    assert {p.name: p.read_bytes() for p in result.book_dir.glob("*.mp3")} == before
    said = [s["speaker"] for c in result.manifest["chapters"] for s in c["segments"] if s["kind"] == "dialogue"]
    assert said.count("Jess Mariano") == lines_of_jess and "Jess" not in said
    vtt = (result.book_dir / "01-the-porch.vtt").read_text(encoding="utf-8")
    assert "<v Jess Mariano>" in vtt and "<v Jess>" not in vtt
    # A new voice for the renamed speaker is new audio: the chapters they speak in are encoded again.
    voices.write_text(f'[speakers."Jess Mariano"]\naliases = ["Jess"]\n{jess.replace("30", "40")}', encoding="utf-8")
    assert render_book(book, opts(tmp_path, voices_path=voices)).rendered == (1, 2, 3)


def _render_as_before(book, options, monkeypatch):
    """Render as narrate did when speaker names were part of a chapter's audio fingerprint."""
    from narrate.render import fingerprint, pipeline

    with monkeypatch.context() as m:
        m.setattr(pipeline, "audio_fingerprint",
                  lambda lines, opts: fingerprint.audio_fingerprint(lines, opts, [ln.speaker for ln in lines]))
        return render_book(book, options)


def test_a_book_rendered_when_speaker_names_shaped_the_fingerprint_is_not_encoded_again(tmp_path, monkeypatch):
    """book.json files of earlier versions hold fingerprints with the speakers' names in them: those chapters, and
    the whole-book MP3 made from them, are kept (not encoded for a change of formula), also with a speaker renamed."""
    book = copy_book(THREE_ROOMS, tmp_path / "three-rooms")
    voices = tmp_path / "voices.toml"
    jess = 'voice = "en-us+m3"\nrate = 170\npitch = 30\n'
    voices.write_text(f"[speakers.Jess]\n{jess}", encoding="utf-8")
    first = _render_as_before(book, opts(tmp_path, voices_path=voices, single_file=True), monkeypatch)
    whole = first.book_dir / "three-rooms.mp3"
    made = {p.name: p.stat().st_mtime_ns for p in first.book_dir.glob("*.mp3")}
    assert whole.name in made and len(made) == 4

    voices.write_text(f'[speakers."Jess Mariano"]\naliases = ["Jess"]\n{jess}', encoding="utf-8")
    result = render_book(book, opts(tmp_path, voices_path=voices, single_file=True))
    assert result.rendered == () and result.retagged == ()
    assert {p.name: p.stat().st_mtime_ns for p in result.book_dir.glob("*.mp3")} == made
    old = {c["file"]: c["fingerprint"] for c in first.manifest["chapters"]}
    assert all(c["fingerprint"] != old[c["file"]] for c in result.manifest["chapters"])  # the formula of now
    assert any(s["speaker"] == "Jess Mariano" for c in result.manifest["chapters"] for s in c["segments"])
    again = render_book(book, opts(tmp_path, voices_path=voices, single_file=True))
    assert again.rendered == () and again.manifest == result.manifest


def test_the_studio_sees_no_chapter_waiting_in_a_book_rendered_when_names_shaped_the_fingerprint(
        tmp_path, monkeypatch):
    from narrate.render import pipeline
    from narrate.text.reader import load_book

    book = copy_book(THREE_ROOMS, tmp_path / "three-rooms")
    _render_as_before(book, opts(tmp_path), monkeypatch)
    loaded = load_book(book)
    options = opts(tmp_path)
    scripts = pipeline.script_book(loaded, options.out_dir / loaded.slug, None)
    assert pipeline.pending_chapters(loaded, scripts, pipeline.resolve_voices(loaded, scripts, options), options) == []


def test_a_book_published_with_others_keeps_its_episode_urls_when_rendered_alone_with_the_same_base_url(
        tmp_path, caplog):
    """Several books with one --base-url put each book's feed at URL/<book>/; rendering one of them again alone
    with that URL must not move its episodes to URL/ (where nothing serves them): subscribers would get 404s."""
    book = copy_book(THREE_ROOMS, tmp_path / "three-rooms")
    url = "http://127.0.0.1:8000/"
    first = render_book(book, opts(tmp_path, base_url=url, feed_per_book=True))
    feed = (first.book_dir / "feed.xml").read_text(encoding="utf-8")
    assert f"{url}three-rooms/01-the-porch.mp3" in feed
    (book / "03-the-bridge.txt").write_text("The Bridge\n\nThey crossed it at dawn.\n", encoding="utf-8")
    with caplog.at_level("WARNING"):
        render_book(book, opts(tmp_path, base_url=url))
    feed = (first.book_dir / "feed.xml").read_text(encoding="utf-8")
    assert f"{url}three-rooms/03-the-bridge.mp3" in feed and f'"{url}01-the-porch.mp3"' not in feed
    assert f"--base-url {url}" in caplog.text
    # One book rendered alone from the start: --base-url is its own folder's URL, as ever.
    other = render_book(book, RenderOptions(out_dir=tmp_path / "out2", voices_dir=tmp_path / "none", jobs=1,
                                            base_url="http://127.0.0.1:8000/rooms/"))
    assert "http://127.0.0.1:8000/rooms/01-the-porch.mp3" in (other.book_dir / "feed.xml").read_text(encoding="utf-8")


def test_a_chapter_put_before_a_book_recorded_with_names_in_its_fingerprints_re_encodes_only_itself(
        tmp_path, monkeypatch):
    book = copy_book(THREE_ROOMS, tmp_path / "three-rooms")
    _render_as_before(book, opts(tmp_path), monkeypatch)
    (book / "00-prologue.txt").write_text('Prologue\n\n"Hello," said Tom.\n', encoding="utf-8")
    result = render_book(book, opts(tmp_path))
    assert result.rendered == (1,) and result.retagged == (2, 3, 4)
