"""Tests for narrate.publish.feed: feed.xml read back by podcastparser and feedparser, chapters JSON, VTT."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path

import feedparser
import podcastparser
import pytest
from podcast_fixtures import make_book

from narrate.errors import NarrateError
from narrate.publish.feed import ITUNES_NS, PODCAST_NS, write_feed

BASE = "https://example.org/books/rory-and-jess/"
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return make_book(tmp_path)


def _podcastparser(path: Path) -> dict:
    return podcastparser.parse(BASE + "feed.xml", io.BytesIO(path.read_bytes()))


def test_feed_parses_with_podcastparser(book: Path) -> None:
    feed = write_feed(book, BASE, now=NOW)
    assert feed == book / "feed.xml"
    parsed = _podcastparser(feed)
    assert parsed["title"] == "Rory and Jess"
    assert parsed["type"] == "serial"
    assert parsed["cover_url"] == BASE + "cover.jpg"
    assert parsed["itunes_author"] == "A. Writer"
    assert parsed["language"] == "en"
    assert parsed["explicit"] is False
    assert "Arts" in parsed["itunes_categories"][0]
    episodes = sorted(parsed["episodes"], key=lambda e: e["published"])
    assert [e["title"] for e in episodes] == ["Come away with me", "Stars & <Hollow>"]
    assert [e["number"] for e in episodes] == [1, 2]
    assert [e["total_time"] for e in episodes] == [2, 2]  # 1.5 s rounds to 2 (HH:MM:SS)
    for episode, name in zip(episodes, ["01-come-away-with-me", "02-stars-hollow"]):
        (enclosure,) = episode["enclosures"]
        assert enclosure["url"] == BASE + name + ".mp3"
        assert enclosure["file_size"] == (book / f"{name}.mp3").stat().st_size
        assert enclosure["mime_type"] == "audio/mpeg"
        assert episode["chapters_json_url"] == BASE + name + ".chapters.json"
        assert episode["transcript_url"] == BASE + name + ".vtt"
        assert episode["type"] == "full"
        assert episode["explicit"] is False


def test_feed_parses_with_feedparser(book: Path) -> None:
    parsed = feedparser.parse(write_feed(book, BASE, now=NOW).read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == "Rory and Jess"
    assert parsed.feed.author == "A. Writer"
    assert parsed.feed.image.href == BASE + "cover.jpg"
    assert not parsed.feed.itunes_explicit  # feedparser maps only yes/clean; "false" -> None
    titles = [e.title for e in parsed.entries]
    assert titles == ["Come away with me", "Stars & <Hollow>"]
    dates = [e.published_parsed for e in parsed.entries]
    assert dates == sorted(dates) and len(set(dates)) == 2
    for entry in parsed.entries:
        (enc,) = entry.enclosures
        assert int(enc.length) == (book / Path(enc.href).name).stat().st_size
        assert enc.type == "audio/mpeg"
        assert entry.itunes_duration == "00:00:02"
        assert entry.podcast_chapters["type"] == "application/json+chapters"
        assert entry.podcast_transcript["url"].endswith(".vtt")
        assert entry.guidislink is False


def test_feed_raw_xml_details(book: Path) -> None:
    root = ET.parse(write_feed(book, BASE, now=NOW)).getroot()
    channel = root.find("channel")
    assert channel.findtext(f"{{{ITUNES_NS}}}explicit") == "false"
    assert channel.find(f"{{{ITUNES_NS}}}category").get("text") == "Arts"
    assert channel.find(f"{{{PODCAST_NS}}}guid") is not None
    items = channel.findall("item")
    assert [i.findtext(f"{{{ITUNES_NS}}}episodeType") for i in items] == ["full", "full"]
    assert items[0].find("guid").get("isPermaLink") == "false"
    assert channel.findtext("lastBuildDate") == "Wed, 01 May 2024 12:00:00 GMT"


def test_guids_and_dates_are_stable_across_rerenders(book: Path) -> None:
    def ids() -> list[tuple[str, str]]:
        root = ET.parse(write_feed(book, BASE)).getroot()
        return [(i.findtext("guid"), i.findtext("pubDate")) for i in root.iter("item")]

    first = ids()
    # Re-render: the audio changes size, the guids and dates must not.
    mp3 = book / "01-come-away-with-me.mp3"
    mp3.write_bytes(mp3.read_bytes() * 2)
    assert ids() == first
    assert len({g for g, _ in first}) == 2


def test_a_feed_with_nothing_new_is_left_as_it_was_for_apps_polling_it(book: Path) -> None:
    """Only the build date would change: feed.xml (and its sidecars) keep their bytes and dates, so an app's
    conditional GET gets 304; new audio, or another base URL, writes them anew."""
    feed = write_feed(book, BASE, now=NOW)
    files = sorted(p for p in book.iterdir() if p.suffix in (".xml", ".vtt", ".json") and p.name != "book.json")
    assert len(files) == 5
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}
    write_feed(book, BASE, now=datetime(2025, 1, 1, tzinfo=timezone.utc))
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files} == before
    mp3 = book / "01-come-away-with-me.mp3"
    mp3.write_bytes(mp3.read_bytes() * 2)
    write_feed(book, BASE, now=datetime(2025, 1, 1, tzinfo=timezone.utc))
    assert b"<lastBuildDate>Wed, 01 Jan 2025" in feed.read_bytes() and feed.read_bytes() != before[feed][0]
    write_feed(book, "https://example.org/elsewhere/", now=datetime(2025, 1, 1, tzinfo=timezone.utc))
    assert b"https://example.org/elsewhere/01-come-away-with-me.mp3" in feed.read_bytes()


def test_enclosure_url_is_quoted(tmp_path: Path) -> None:
    book = make_book(tmp_path)
    manifest = json.loads((book / "book.json").read_text())
    (book / "01-come-away-with-me.mp3").rename(book / "01 café.mp3")
    manifest["chapters"][0]["file"] = "01 café.mp3"
    (book / "book.json").write_text(json.dumps(manifest))
    parsed = feedparser.parse(write_feed(book, BASE).read_bytes())
    assert parsed.entries[0].enclosures[0].href == BASE + "01%20caf%C3%A9.mp3"
    assert (book / "01 café.chapters.json").is_file()


def test_chapters_json(book: Path) -> None:
    write_feed(book, BASE)
    doc = json.loads((book / "01-come-away-with-me.chapters.json").read_text(encoding="utf-8"))
    assert doc["version"] == "1.2.0"
    assert doc["chapters"] == [{"startTime": 0.0, "title": "Come away with me"},
                               {"startTime": 0.5, "title": "Later"}]
    assert all(isinstance(c["startTime"], float) for c in doc["chapters"])


_CUE_TIME = re.compile(r"^(\d{2}):(\d{2}):(\d{2})\.(\d{3}) --> (\d{2}):(\d{2}):(\d{2})\.(\d{3})$")


def _ms(h: str, m: str, s: str, ms: str) -> int:
    return ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(ms)


def test_vtt_transcript(book: Path) -> None:
    write_feed(book, BASE)
    text = (book / "02-stars-hollow.vtt").read_text(encoding="utf-8")
    assert text.startswith("WEBVTT\n\n")
    blocks = [b for b in text.split("\n\n")[1:] if b.strip()]
    cues = []
    for block in blocks:
        timing, payload = block.strip("\n").split("\n")
        m = _CUE_TIME.match(timing)
        assert m, timing
        start, end = _ms(*m.groups()[:4]), _ms(*m.groups()[4:])
        assert end > start
        cues.append((start, end, payload))
    assert [c[:2] for c in cues] == [(0, 400), (400, 900), (900, 2000)]  # blank segment dropped
    assert cues[0][2] == "<v Narrator>Stars &amp; &lt;Hollow&gt;"
    assert cues[1][2] == "<v Narrator>She said, quietly:"
    assert cues[2][2] == "<v Jess>Come away with me."


def test_plain_text_emphasis_is_italics_in_captions() -> None:
    """_so_ (Project Gutenberg) and *so* (fan fiction) show as italics, never as underscores or asterisks;
    a marker whose partner another cue holds goes; snake_case, "* * *" and & < > are left as they are."""
    from narrate.publish.feed import ManifestChapter, ManifestSegment, transcript_vtt

    texts = ["I did _not_ say that, _Jess_.", "It was *so* cold, x < y & snake_case.", "* * *",
             "_A long phrase", "cut in two._"]
    segments = tuple(ManifestSegment("narration", None, t, 1000 * n, 1000 * n + 900, ())
                     for n, t in enumerate(texts))
    vtt = transcript_vtt(ManifestChapter(1, "One", None, "01-one.mp3", 6000, (), segments))
    payloads = [line.split(">", 1)[1] for line in vtt.splitlines() if line.startswith("<v ")]
    assert payloads == ["I did <i>not</i> say that, <i>Jess</i>.", "It was <i>so</i> cold, x &lt; y &amp; snake_case.",
                        "* * *", "A long phrase", "cut in two."]


def test_no_cover_no_image(tmp_path: Path) -> None:
    book = make_book(tmp_path, cover=False)
    parsed = _podcastparser(write_feed(book, BASE))
    assert not parsed.get("cover_url")
    assert len(parsed["episodes"]) == 2


def test_no_temp_files_left(book: Path) -> None:
    write_feed(book, BASE)
    assert not [p.name for p in book.iterdir() if p.name.startswith(".") and p.name != ".cast.json"]


@pytest.mark.parametrize("url", ["ftp://example.org/", "example.org/books", "https://", "/books/",
                                 "http://example.org/my book/", "http://example.org/a\tb/", "http:///books/",
                                 "http://example.org:99999/", "http://example.org/100%/", "http://example.org/é/",
                                 "http://exa mple.org/", 'http://example.org/"x"/'])
def test_bad_base_url(book: Path, url: str) -> None:
    with pytest.raises(NarrateError, match="base URL"):
        write_feed(book, url)
    assert not (book / "feed.xml").exists()


def test_percent_encoded_base_url_is_kept(book: Path) -> None:
    base = "http://127.0.0.1:8000/my%20book/"
    root = ET.parse(write_feed(book, base)).getroot()
    assert root.find("channel/link").text == base
    assert root.find("channel/item/enclosure").get("url") == base + "01-come-away-with-me.mp3"


def test_characters_xml_forbids_never_reach_the_feed(book: Path) -> None:
    manifest = json.loads((book / "book.json").read_text(encoding="utf-8"))
    manifest["title"] = "Bad\u0001Title"
    manifest["author"] = "A.\u000cWriter"
    manifest["language"] = "en\u0002"
    manifest["chapters"][0]["title"] = "Lone \ud800 surrogate \uffff"
    manifest["chapters"][1]["subtitle"] = "Sub\u001btitle"
    (book / "book.json").write_text(json.dumps(manifest), encoding="utf-8")  # ensure_ascii: escapes survive
    # ElementTree's expat parser is strict: an ill-formed document raises ParseError.
    root = ET.parse(write_feed(book, BASE, now=NOW)).getroot()
    channel = root.find("channel")
    assert channel.find("title").text == "BadTitle"
    assert channel.find(f"{{{ITUNES_NS}}}author").text == "A. Writer"
    assert channel.find("language").text == "en"
    titles = [item.find("title").text for item in channel.findall("item")]
    assert titles == ["Lone  surrogate ", "Stars & <Hollow>"]
    assert channel.findall("item")[1].find("description").text == "Subtitle"
    assert not feedparser.parse((book / "feed.xml").read_bytes()).bozo


def test_render_with_a_control_character_in_book_toml_writes_a_well_formed_feed(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from narrate.cli.main import cli

    src = tmp_path / "bad-book"
    src.mkdir()
    (src / "01-one.txt").write_text('"Hi," said Ann.\n', encoding="utf-8")
    (src / "book.toml").write_text('title = "Bad\\u0001Title"\n', encoding="utf-8")
    res = CliRunner().invoke(cli, ["render", str(src), "-o", str(tmp_path / "o"), "-q", "-j", "1",
                                   "--base-url", "http://127.0.0.1:8000/bad-book/"])
    assert res.exit_code == 0, res.output
    root = ET.parse(tmp_path / "o" / "bad-book" / "feed.xml").getroot()
    assert root.find("channel/title").text == "BadTitle"


def test_render_refuses_a_bad_base_url_before_rendering(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from narrate.cli.main import cli

    src = tmp_path / "one.txt"
    src.write_text('"Hi," said Ann.\n', encoding="utf-8")
    res = CliRunner().invoke(cli, ["render", str(src), "-o", str(tmp_path / "o"), "-q", "-j", "1",
                                   "--base-url", "http://127.0.0.1:8000/my book/"])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert res.output.startswith("narrate: error: base URL") and "%20" in res.output
    assert not (tmp_path / "o").exists()


def test_missing_manifest(tmp_path: Path) -> None:
    with pytest.raises(NarrateError, match=r"book\.json: not found"):
        write_feed(tmp_path, BASE)


@pytest.mark.parametrize("content, problem", [
    ("{not json", "not valid JSON"),
    ('{"slug": "x", "title": "X"}', "missing key 'chapters'"),
    ('{"slug": "x", "title": "X", "chapters": [{"index": 1, "title": "A", "file": "a.mp3", '
     '"duration_ms": -5}]}', "duration_ms"),
    ('{"slug": "x", "title": "X", "chapters": [{"index": 1, "title": "A", '
     '"file": "../a.mp3", "duration_ms": 5}]}', "inside the book folder"),
])
def test_malformed_manifest(tmp_path: Path, content: str, problem: str) -> None:
    (tmp_path / "book.json").write_text(content)
    with pytest.raises(NarrateError, match=re.escape(problem)) as info:
        write_feed(tmp_path, BASE)
    assert "book.json" in str(info.value)


def test_missing_chapter_audio(book: Path) -> None:
    (book / "02-stars-hollow.mp3").unlink()
    with pytest.raises(NarrateError, match="02-stars-hollow.mp3"):
        write_feed(book, BASE)


def _cli():  # noqa: ANN202
    import click

    from narrate.cli.podcast import COMMANDS

    group = click.Group("narrate")
    for command in COMMANDS:
        group.add_command(command)
    return group


def test_cli_feed(book: Path) -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(_cli(), ["feed", str(book), "--base-url", BASE])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(book / "feed.xml")
    assert (book / "feed.xml").is_file()
    quiet = CliRunner().invoke(_cli(), ["feed", str(book), "--base-url", BASE, "--quiet"])
    assert quiet.exit_code == 0 and quiet.output == ""


def test_cli_feed_errors(book: Path) -> None:
    from click.testing import CliRunner

    missing = CliRunner().invoke(_cli(), ["feed", str(book)])
    assert missing.exit_code == 2 and "--base-url" in missing.output
    bad = CliRunner().invoke(_cli(), ["feed", str(book), "--base-url", "ftp://x/"])
    # NarrateError propagates to the main CLI's single error boundary.
    assert isinstance(bad.exception, NarrateError) and "base URL" in str(bad.exception)


@pytest.mark.parametrize("name", ["feed", "serve", "check"])
def test_cli_help(name: str) -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(_cli(), [name, "--help"])
    assert result.exit_code == 0
    assert len(result.output.splitlines()) > 5
    assert _cli().commands[name].get_short_help_str()


def _enclosures(feed: Path) -> list[tuple[str, int]]:
    channel = ET.parse(feed).getroot().find("channel")
    return [(e.get("url").rsplit("/", 1)[1], int(e.get("length"))) for e in channel.iter("enclosure")]


def _book_with_a_feed(tmp_path: Path, first: str) -> tuple[Path, Path, object]:
    """A two-chapter book rendered, then given a feed with `narrate feed`: (source, book folder, render)."""
    from click.testing import CliRunner

    from narrate.cli.main import cli

    src = tmp_path / "book"
    src.mkdir()
    (src / "01-one.txt").write_text(first, encoding="utf-8")
    (src / "02-two.txt").write_text('"Bye," said Ann.\n', encoding="utf-8")
    out = tmp_path / "o"

    def render(code: int = 0):  # noqa: ANN202
        res = CliRunner().invoke(cli, ["render", str(src), "-o", str(out), "-q", "-j", "1"])
        assert res.exit_code == code, res.output
        return res

    render()
    res = CliRunner().invoke(cli, ["feed", str(out / "book"), "--base-url", "http://127.0.0.1:8000/book/", "-q"])
    assert res.exit_code == 0, res.output
    return src, out / "book", render


def test_a_render_after_narrate_feed_keeps_the_feed_true_to_the_chapters(tmp_path: Path) -> None:
    """A feed made with `narrate feed` and a chapter re-rendered (its text changed) or removed later:
    the render rewrites feed.xml, the chapters JSON and the transcript for the audio now there."""
    src, book, render = _book_with_a_feed(tmp_path, '"Hi," said Ann.\n\n"Hello," said Bob.\n')
    feed = book / "feed.xml"
    before = feed.read_bytes()
    render()  # nothing changed: the feed is left as it was
    assert feed.read_bytes() == before
    (src / "01-one.txt").write_text('"Hi there, how are you today?" said Ann.\n\n"Hello," said Bob.\n',
                                    encoding="utf-8")
    render()
    manifest = json.loads((book / "book.json").read_text(encoding="utf-8"))
    files = [c["file"] for c in manifest["chapters"]]
    assert _enclosures(feed) == [(f, (book / f).stat().st_size) for f in files]
    first = manifest["chapters"][0]
    vtt = (book / f"{Path(first['file']).stem}.vtt").read_text(encoding="utf-8")
    assert "Hi there, how are you today?" in vtt
    assert ET.parse(feed).getroot().findtext("channel/link") == "http://127.0.0.1:8000/book/"
    (src / "02-two.txt").unlink()
    render()
    assert [f for f, _ in _enclosures(feed)] == files[:1]


def test_a_feed_follows_the_chapters_while_one_keeps_failing(tmp_path: Path) -> None:
    src, book, render = _book_with_a_feed(tmp_path, '"Hi," said Ann.\n')
    (src / "01-one.txt").write_text('"Hi there, and welcome," said Ann.\n', encoding="utf-8")
    (book / "01-one.mp3").unlink()  # the chapter re-made cannot be written: a folder is in its place
    (book / "01-one.mp3").mkdir()
    res = render(1)
    assert "1 chapter(s) failed" in res.output, res.output
    manifest = json.loads((book / "book.json").read_text(encoding="utf-8"))
    assert [c["file"] for c in manifest["chapters"]] == ["02-two.mp3"]
    assert _enclosures(book / "feed.xml") == [("02-two.mp3", (book / "02-two.mp3").stat().st_size)]
