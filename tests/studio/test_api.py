"""Tests for narrate.studio's HTTP API through Starlette's TestClient: edits land in the CLI's files, with undo,
and every request that is not the studio's own is refused."""

from __future__ import annotations

import json
import wave
from io import BytesIO
from pathlib import Path

import pytest
from conftest import DATA, copy_book

pytest.importorskip("starlette", reason="the [studio] extra is not installed")

from starlette.testclient import TestClient

from narrate.attribution.scriptfile import read_script_file
from narrate.studio.app import create_app
from narrate.studio.workspace import StudioConfig, open_workspace
from narrate.voices.casting import load_voice_map

STUDIO_BOOK = DATA / "studio-book"
"""Two short chapters: Anna (female) and Tom (male); "And the sugar?" is Anna's but goes to Tom by turn-taking."""
PORT = 8765
TOKEN = "secret-token"
BASE = f"http://127.0.0.1:{PORT}"
OWN = {"origin": BASE}
SUGAR = 12  # chapter 1's segment "And the sugar?"


@pytest.fixture
def workspace(tmp_path: Path):
    book = copy_book(STUDIO_BOOK, tmp_path / "studio-book")
    return open_workspace(StudioConfig(book, tmp_path / "out", None, tmp_path / "voices", jobs=2))


@pytest.fixture
def client(workspace) -> TestClient:
    c = TestClient(create_app(workspace, TOKEN, PORT), base_url=BASE)
    assert c.get(f"/?token={TOKEN}").status_code == 200  # sets the cookie, as the printed link does
    return c


def script_file(ws, index: int = 1) -> Path:
    return ws.book_dir / "script" / f"{ws.chapter(index).slug}.json"


def segment(ws, index: int, i: int) -> dict:
    return json.loads(script_file(ws, index).read_text(encoding="utf-8"))["segments"][i]


def test_open_writes_the_scripts_and_the_voice_map_the_cli_reads(workspace):
    assert script_file(workspace, 1).is_file() and script_file(workspace, 2).is_file()
    assert set(load_voice_map(workspace.voices_path).speakers) == {"Anna", "Tom"}
    assert segment(workspace, 1, SUGAR)["text"] == "And the sugar?"


def test_book_and_chapter_views(client):
    book = client.get("/api/book").json()
    assert book["title"] == "Two Cups"
    assert [(c["index"], c["lines"], c["rendered"]) for c in book["chapters"]] == [(1, 5, False), (2, 2, False)]
    assert book["speakers"] == ["Tom", "Anna"]
    lines = client.get("/api/chapters/1").json()["lines"]
    sugar = lines[SUGAR]
    assert (sugar["kind"], sugar["speaker"], sugar["rule"], sugar["start_ms"]) == ("dialogue", "Tom", "turn-taking", None)
    assert lines[1]["kind"] == "narration" and lines[1]["speaker"] is None


def test_the_book_is_read_again_when_its_files_change_while_the_studio_runs(client, workspace):
    """A chapter added or edited in the book's folder while the studio is open: its pages and numbers are those
    a render reads (it showed the old text, and a stale "changed" for ever)."""
    folder = workspace.config.source
    first = sorted(folder.glob("*.txt"))[0]
    first.write_text(first.read_text(encoding="utf-8") + '\n"Wait," said Anna. "One more cup."\n', encoding="utf-8")
    (folder / "00-prologue.txt").write_text('Prologue\n\n"Hello," said Tom.\n', encoding="utf-8")
    book = client.get("/api/book").json()
    assert [c["title"] for c in book["chapters"]][0] == "Prologue" and len(book["chapters"]) == 3
    texts = [line["text"] for line in client.get("/api/chapters/2").json()["lines"]]
    assert "One more cup." in texts
    assert script_file(workspace, 2).is_file() and script_file(workspace, 1).is_file()
    assert not workspace.refresh()  # nothing changed since: not read again


def test_a_page_showing_old_chapter_numbers_cannot_change_a_line_by_them(client, workspace):
    """After a chapter is put first on disk, a page that still numbers the chapters as before (X-Narrate-Book)
    gets 409 for an edit (it would have landed in the new chapter 1), and the edit made with the new numbers
    lands where it should; undo steps naming the old script files are dropped."""
    version = client.get("/api/book").json()["version"]
    headers = {**OWN, "x-narrate-book": version}
    assert client.put("/api/chapters/1/lines/12", json={"speaker": "Anna"}, headers=headers).status_code == 200
    assert client.get("/api/book").json()["can_undo"]
    (workspace.config.source / "00-prologue.txt").write_text('Prologue\n\n"Hello," said Tom.\n', encoding="utf-8")
    stale = client.put("/api/chapters/1/lines/1", json={"kind": "narration"}, headers=headers)
    assert stale.status_code == 409 and stale.json()["reload"], stale.text
    book = client.get("/api/book").json()
    assert book["version"] != version and not book["can_undo"]
    assert segment(workspace, 2, SUGAR)["speaker"] == "Anna"  # the kitchen, now chapter 2, kept the edit
    moved = client.put("/api/chapters/2/lines/12", json={"speaker": "Tom"}, headers={**OWN, "x-narrate-book":
                                                                                        book["version"]})
    assert moved.status_code == 200 and segment(workspace, 2, SUGAR)["speaker"] == "Tom"


def test_a_page_showing_a_chapter_text_edited_since_cannot_change_a_line_by_its_old_number(client, workspace):
    """A line's number is its place in its chapter's text: a sentence added on disk before it moves it. A page
    that has not read the new text gets 409 (its edit would have changed another line), not a "saved"."""
    version = client.get("/api/book").json()["version"]
    headers = {**OWN, "x-narrate-book": version}
    chapter = workspace.config.source / "01-the-kitchen.txt"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "Tom sat by the window.", 'Tom sat by the window.\n\n"Hey," Tom said.'), encoding="utf-8")
    stale = client.put(f"/api/chapters/1/lines/{SUGAR}", json={"speaker": "Anna"}, headers=headers)
    assert stale.status_code == 409 and stale.json()["reload"], stale.text
    book = client.get("/api/book").json()
    lines = client.get("/api/chapters/1", headers={"x-narrate-book": book["version"]}).json()["lines"]
    sugar = next(i for i, line in enumerate(lines) if line["text"] == "And the sugar?")
    assert sugar != SUGAR and segment(workspace, 1, sugar)["speaker"] == "Tom"  # nothing was changed
    done = client.put(f"/api/chapters/1/lines/{sugar}", json={"speaker": "Anna"},
                      headers={**OWN, "x-narrate-book": book["version"]})
    assert done.status_code == 200 and segment(workspace, 1, sugar)["speaker"] == "Anna"


def test_undo_never_writes_over_a_change_made_outside_the_studio(client, workspace):
    """Undo puts back whole files: after a hand edit of the voice map (or a script rewritten for a new text) it
    would lose that edit. It refuses, and says so."""
    assert client.put("/api/cast/voice", json={"speaker": "Anna", "engine": "espeak", "voice": "en-us+f4", "rate": 160, "pitch": 66}, headers=OWN).status_code == 200
    text = workspace.voices_path.read_text(encoding="utf-8")
    workspace.voices_path.write_text(text + "\n# my own note\n", encoding="utf-8")
    r = client.post("/api/undo", headers=OWN)
    assert r.status_code == 400 and "changed outside the studio" in r.json()["error"]
    assert workspace.voices_path.read_text(encoding="utf-8").endswith("# my own note\n")
    assert not client.get("/api/book").json()["can_undo"]
    # Studio edits one after another undo one by one, as before.
    for voice in ("en-us+f2", "en-us+f3"):
        client.put("/api/cast/voice", json={"speaker": "Anna", "engine": "espeak", "voice": voice, "rate": 160, "pitch": 66}, headers=OWN)
    assert client.post("/api/undo", headers=OWN).status_code == 200
    assert client.post("/api/undo", headers=OWN).status_code == 200
    assert workspace.voices_path.read_text(encoding="utf-8").endswith("# my own note\n")


def test_a_voice_saved_from_a_stale_page_does_not_undo_another_tab_s_change(client, workspace):
    """Tab A gives Anna another voice; tab B, still showing the old row, changes her pitch: B's save would have
    put the old voice back (it sends every field). It gets 409 instead; saved on the row as it is now, it lands."""
    row = next(r for r in client.get("/api/cast").json()["rows"] if r["speaker"] == "Anna")
    shown = {k: row[k] for k in ("engine", "voice", "rate", "pitch")}
    tab_a = {**shown, "speaker": "Anna", "voice": "en-us+f4", "was": shown}
    assert client.put("/api/cast/voice", json=tab_a, headers=OWN).status_code == 200
    tab_b = {**shown, "speaker": "Anna", "pitch": 70, "was": shown}
    stale = client.put("/api/cast/voice", json=tab_b, headers=OWN)
    assert stale.status_code == 409 and stale.json()["reload"], stale.text
    anna = load_voice_map(workspace.voices_path).speakers["Anna"]
    assert (anna.voice, anna.pitch) == ("en-us+f4", shown["pitch"])
    now = {**shown, "voice": "en-us+f4"}
    assert client.put("/api/cast/voice", json={**now, "speaker": "Anna", "pitch": 70, "was": now},
                      headers=OWN).status_code == 200
    anna = load_voice_map(workspace.voices_path).speakers["Anna"]
    assert (anna.voice, anna.pitch) == ("en-us+f4", 70)


def test_a_voice_map_removed_while_the_studio_runs_is_made_again(client, workspace):
    workspace.voices_path.unlink()
    r = client.get("/api/cast")
    assert r.status_code == 200, r.text
    assert workspace.voices_path.is_file()
    assert client.put("/api/cast/voice", json={"speaker": "Tom", "engine": "espeak", "voice": "en-us+m2", "rate": 160, "pitch": 40}, headers=OWN).status_code == 200


def test_a_chapter_half_written_on_disk_leaves_the_studio_working_on_the_book_as_it_was(client, workspace,
                                                                                         monkeypatch):
    """A chapter file with a heading and no words yet: the studio keeps the book it had, says why, and tries
    again only when the files change; a notes file beside the chapters is no reason to read the book again."""
    import narrate.studio.workspace as wsmod

    folder = workspace.config.source
    (folder / "03-draft.txt").write_text("Chapter 3\n", encoding="utf-8")
    book = client.get("/api/book").json()
    assert len(book["chapters"]) == 2 and "no words" in book["warning"]
    assert client.get("/api/render").status_code == 200 and client.get("/api/cast").status_code == 200
    reads = []
    real = wsmod._read_book
    monkeypatch.setattr(wsmod, "_read_book", lambda config: reads.append(1) or real(config))
    client.get("/api/book")
    (folder / "notes.md").write_text("to do: chapter 3\n", encoding="utf-8")
    client.get("/api/book")
    assert reads == []
    (folder / "03-draft.txt").write_text('Chapter 3\n\n"Done," said Tom.\n', encoding="utf-8")
    book = client.get("/api/book").json()
    assert len(book["chapters"]) == 3 and book["warning"] is None and reads == [1]


def test_the_settings_file_beside_a_one_file_book_is_watched_too(tmp_path):
    """`story.md` and `story.toml`: a new title in the .toml is read while the studio runs."""
    (tmp_path / "story.md").write_text('# One\n\n"Hello," said Tom.\n\n# Two\n\n"Bye," said Anna.\n',
                                       encoding="utf-8")
    (tmp_path / "story.toml").write_text('title = "First Title"\n', encoding="utf-8")
    ws = open_workspace(StudioConfig(tmp_path / "story.md", tmp_path / "out", None, tmp_path / "voices"))
    assert ws.book.title == "First Title" and not ws.refresh()
    (tmp_path / "story.toml").write_text('title = "Second Title"\n', encoding="utf-8")
    assert ws.refresh() and ws.book.title == "Second Title"


def test_a_page_reads_each_script_once_and_sees_changes_made_outside(client, workspace, monkeypatch):
    import narrate.studio.workspace as wsmod

    reads = []
    real = wsmod.read_script_file
    monkeypatch.setattr(wsmod, "read_script_file", lambda path: reads.append(path) or real(path))
    client.get("/api/book")
    client.get("/api/book")
    assert len(reads) <= len(workspace.book.chapters)  # once each, not once per view of it
    path = script_file(workspace, 1)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["segments"][SUGAR]["speaker"] = "Anna"
    with path.open("r+", encoding="utf-8") as fh:  # an editor writing in place: same file, new content
        fh.write(json.dumps(data, indent=1))
        fh.truncate()
    assert client.get("/api/chapters/1").json()["lines"][SUGAR]["speaker"] == "Anna"


def test_a_speaker_change_lands_in_the_script_file_and_undo_puts_it_back(client, workspace):
    before = script_file(workspace).read_bytes()
    r = client.put(f"/api/chapters/1/lines/{SUGAR}", json={"speaker": "Anna"}, headers=OWN)
    assert r.status_code == 200, r.text
    assert r.json()["lines"][SUGAR]["speaker"] == "Anna"
    seg = segment(workspace, 1, SUGAR)
    assert (seg["speaker"], seg["rule"], seg["confidence"], seg["auto_speaker"]) == ("Anna", "user", 1.0, "Tom")
    # The file stays one the CLI reads: render and script use the correction.
    assert read_script_file(script_file(workspace)).script.segments[SUGAR].speaker == "Anna"
    assert client.get("/api/book").json()["can_undo"]
    r = client.post("/api/undo", headers=OWN)
    assert r.status_code == 200 and "speaker Anna" in r.json()["undone"]
    assert script_file(workspace).read_bytes() == before
    assert client.post("/api/undo", headers=OWN).json() == {"error": "nothing to undo"}


def test_a_new_name_and_narration_and_back_to_dialogue(client, workspace):
    assert client.put(f"/api/chapters/1/lines/{SUGAR}", json={"speaker": "  Mrs  Green "}, headers=OWN).status_code == 200
    assert segment(workspace, 1, SUGAR)["speaker"] == "Mrs Green"
    assert "Mrs Green" in client.get("/api/book").json()["speakers"]
    assert client.put(f"/api/chapters/1/lines/{SUGAR}", json={"kind": "narration"}, headers=OWN).status_code == 200
    seg = segment(workspace, 1, SUGAR)
    assert (seg["kind"], seg["speaker"], seg["rule"]) == ("narration", None, "user")
    r = client.put(f"/api/chapters/1/lines/{SUGAR}", json={"kind": "dialogue"}, headers=OWN)
    assert r.status_code == 200 and segment(workspace, 1, SUGAR)["speaker"] == "Tom"  # its automatic speaker
    for _ in range(3):
        client.post("/api/undo", headers=OWN)
    assert segment(workspace, 1, SUGAR)["rule"] == "turn-taking"


def test_rename_and_merge_are_aliases_in_the_voice_map_with_its_comments_kept(client, workspace):
    path = workspace.voices_path
    path.write_text("# my own note about the cast\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    before = path.read_bytes()
    r = client.post("/api/characters/merge", json={"old": "Tom", "new": "Thomas"}, headers=OWN)
    assert r.status_code == 200, r.text
    text = path.read_text(encoding="utf-8")
    assert "# my own note about the cast" in text and "# narrate voice map" in text
    cast = load_voice_map(path)
    assert cast.canonical("Tom") == "Thomas" and "Tom" not in cast.speakers
    assert cast.speakers["Thomas"].voice == "en-us+m3"  # a rename keeps the voice
    assert client.get("/api/chapters/1").json()["lines"][SUGAR]["speaker"] == "Thomas"
    # Merging Anna into Thomas: one voice for both, Tom still an alias.
    assert client.post("/api/characters/merge", json={"old": "Anna", "new": "Thomas"}, headers=OWN).status_code == 200
    cast = load_voice_map(path)
    assert cast.aliases == {"Tom": "Thomas", "Anna": "Thomas"} and list(cast.speakers) == ["Thomas"]
    client.post("/api/undo", headers=OWN)
    client.post("/api/undo", headers=OWN)
    assert path.read_bytes() == before


def test_voice_edits_keep_comments_and_previews_are_wav(client, workspace):
    path = workspace.voices_path
    path.write_text(path.read_text(encoding="utf-8").replace('voice = "en-us+f3"', 'voice = "en-us+f3"  # bright'),
                    encoding="utf-8")
    body = {"speaker": "Anna", "engine": "espeak", "voice": "en-us+f2", "rate": 160, "pitch": 66}
    r = client.put("/api/cast/voice", json=body, headers=OWN)
    assert r.status_code == 200, r.text
    row = next(r for r in r.json()["rows"] if r["speaker"] == "Anna")
    assert (row["voice"], row["rate"], row["pitch"]) == ("en-us+f2", 160, 66)
    text = path.read_text(encoding="utf-8")
    assert "# narrate voice map" in text and 'gender = "female"' in text
    assert load_voice_map(path).speakers["Anna"].voice == "en-us+f2"
    narrator = {"speaker": None, "engine": "espeak", "voice": "en-gb-x-rp+m3", "rate": 150, "pitch": 50}
    assert client.put("/api/cast/voice", json=narrator, headers=OWN).status_code == 200
    assert load_voice_map(path).narrator.voice == "en-gb-x-rp+m3"
    wav = client.get("/api/cast/preview", params={"speaker": "Anna"})
    assert wav.status_code == 200 and wav.headers["content-type"] == "audio/wav"
    with wave.open(BytesIO(wav.content)) as w:
        assert w.getnframes() / w.getframerate() > 0.5


def test_cast_edits_name_the_speaker_they_were_for_and_refuse_what_is_no_speaker(client, workspace):
    """An unknown voice for Anna is Anna's error (it said [narrator]); an empty or control-character speaker name
    is refused (it was written as a table); merging a name the book does not have, or two names of one speaker,
    says so."""
    before = workspace.voices_path.read_bytes()
    bad = {"speaker": "Anna", "engine": "espeak", "voice": "nonexistent-voice", "rate": 170, "pitch": 50}
    r = client.put("/api/cast/voice", json=bad, headers=OWN)
    assert r.status_code == 400 and r.json()["error"].startswith('[speakers."Anna"]: '), r.text
    for name, message in (("", "cannot be empty"), ("Anna\u0000x", "control characters")):
        r = client.put("/api/cast/voice", json={**bad, "speaker": name, "voice": "en-us+f2"}, headers=OWN)
        assert r.status_code == 400 and message in r.json()["error"], r.text
    r = client.post("/api/render", json={"chapterz": [1]}, headers=OWN)
    assert r.status_code == 400 and "unknown field(s): chapterz" in r.json()["error"]
    r = client.post("/api/characters/merge", json={"old": "Nobody", "new": "Anna"}, headers=OWN)
    assert r.status_code == 400 and "no speaker 'Nobody'" in r.json()["error"]
    assert client.post("/api/characters/merge", json={"old": "Tom", "new": "Thomas"}, headers=OWN).status_code == 200
    r = client.post("/api/characters/merge", json={"old": "Thomas", "new": "Tom"}, headers=OWN)
    assert r.status_code == 400 and "'Thomas' and 'Tom' are already one speaker" in r.json()["error"], r.text
    client.post("/api/undo", headers=OWN)
    assert workspace.voices_path.read_bytes() == before


def test_a_line_not_rendered_is_synthesized_on_demand(client):
    r = client.get(f"/api/chapters/1/lines/{SUGAR}/audio")
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    with wave.open(BytesIO(r.content)) as w:
        assert 0.3 < w.getnframes() / w.getframerate() < 3


def test_a_line_heard_on_demand_says_the_book_pronunciations(tmp_path):
    def seconds(with_lexicon: bool) -> float:
        book = copy_book(STUDIO_BOOK, tmp_path / f"book-{with_lexicon}" / "studio-book")
        if with_lexicon:  # a respelling four times as long: heard only if the studio applies it
            with open(book / "book.toml", "a", encoding="utf-8") as fh:
                fh.write('\n[pronunciations]\nsugar = "sugar and honey and treacle and syrup"\n')
        ws = open_workspace(StudioConfig(book, tmp_path / f"out-{with_lexicon}", None,
                                         tmp_path / f"voices-{with_lexicon}", jobs=1))
        c = TestClient(create_app(ws, TOKEN, PORT), base_url=BASE)
        c.get(f"/?token={TOKEN}")
        with wave.open(BytesIO(c.get(f"/api/chapters/1/lines/{SUGAR}/audio").content)) as w:
            return w.getnframes() / w.getframerate()

    assert seconds(True) > seconds(False) + 1.0


@pytest.mark.parametrize(("method", "path", "body", "message"), [
    ("PUT", "/api/chapters/9/lines/0", {"speaker": "Anna"}, "no chapter 9"),
    ("PUT", "/api/chapters/1/lines/999", {"speaker": "Anna"}, "has no line 999"),
    ("PUT", f"/api/chapters/1/lines/{SUGAR}", {"speaker": "   "}, "cannot be empty"),
    ("PUT", f"/api/chapters/1/lines/{SUGAR}", {"speaker": "x" * 200}, "at most"),
    ("PUT", f"/api/chapters/1/lines/{SUGAR}", {"speakr": "Anna"}, "unknown field"),
    ("PUT", f"/api/chapters/1/lines/{SUGAR}", {"kind": "song"}, 'kind must be "dialogue" or "narration"'),
    ("PUT", f"/api/chapters/1/lines/{SUGAR}", [1, 2], "must be a JSON object"),
    ("POST", "/api/characters/merge", {"old": "Tom"}, 'give "old" and "new"'),
    ("POST", "/api/characters/merge", {"old": "Tom", "new": "Tom"}, "the same speaker"),
    ("PUT", "/api/cast/voice", {"speaker": "Anna", "voice": "nope", "rate": 170, "pitch": 50}, "unknown espeak voice"),
    ("PUT", "/api/cast/voice", {"speaker": "Anna", "voice": "en", "rate": "fast", "pitch": 50}, "whole number"),
    ("POST", "/api/render", {"chapters": [7]}, "no chapter 7"),
])
def test_bad_requests_get_400_with_a_clear_message_and_change_nothing(client, workspace, method, path, body, message):
    files = [script_file(workspace, 1), script_file(workspace, 2), workspace.voices_path]
    before = [p.read_bytes() for p in files]
    r = client.request(method, path, json=body, headers=OWN)
    assert r.status_code == 400, r.text
    assert message in r.json()["error"]
    assert [p.read_bytes() for p in files] == before


def test_a_body_that_is_not_json_is_400(client):
    r = client.put(f"/api/chapters/1/lines/{SUGAR}", content=b"{speaker: Anna", headers=OWN)
    assert r.status_code == 400 and "not JSON" in r.json()["error"]


# -- who may talk to the studio ---------------------------------------------------------------

def test_the_token_is_required_once_then_a_cookie_or_header(workspace):
    c = TestClient(create_app(workspace, TOKEN, PORT), base_url=BASE)
    assert c.get("/").status_code == 401
    assert c.get("/api/book").status_code == 401
    assert c.get("/api/book?token=wrong").status_code == 401
    assert c.get("/api/book", headers={"x-studio-token": "wrong"}).status_code == 401
    assert c.get("/api/book", headers={"x-studio-token": TOKEN}).status_code == 200
    r = c.get(f"/?token={TOKEN}")
    assert r.status_code == 200 and "narrate studio" in r.text
    assert f"narrate-studio-{PORT}={TOKEN}" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]
    assert c.get("/api/book").status_code == 200  # the cookie from now on
    c.cookies.clear()
    assert c.get("/api/book").status_code == 401


@pytest.mark.parametrize("host", ["evil.example:8765", "evil.example", "127.0.0.1:9999", "192.168.1.5:8765",
                                  "127.0.0.1.evil.example:8765", ""])
def test_a_foreign_host_is_refused_even_with_the_token(client, host):
    r = client.get(f"/api/book?token={TOKEN}", headers={"host": host})
    assert r.status_code == 403 and "Host" in r.json()["error"]


@pytest.mark.parametrize("host", ["localhost:8765", "[::1]:8765", "127.0.0.1:8765"])
def test_loopback_names_with_the_port_are_served(client, host):
    r = client.put(f"/api/chapters/1/lines/{SUGAR}", json={"speaker": "Anna"},
                   headers={"host": host, "origin": f"http://{host}"})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("origin", [None, "http://evil.example", "null", "http://localhost:8765",
                                    "https://127.0.0.1:8765", "http://127.0.0.1:9999"])
def test_writes_need_the_studio_s_own_origin(client, workspace, origin):
    before = script_file(workspace).read_bytes()
    headers = {"origin": origin} if origin else {}
    r = client.put(f"/api/chapters/1/lines/{SUGAR}", json={"speaker": "Anna"}, headers=headers)
    assert r.status_code == 403 and "Origin" in r.json()["error"]
    assert client.post("/api/undo", headers=headers).status_code == 403
    assert client.post("/api/render", json={}, headers=headers).status_code == 403
    assert script_file(workspace).read_bytes() == before


@pytest.mark.parametrize("path", ["/static/..%2f..%2fworkspace.py", "/static/../app.py", "/static/%2e%2e/api.py",
                                  "/static/index.html", "/static/__init__.py", "/api/chapters/..%2f..%2fetc/audio",
                                  "/../../pyproject.toml", "/api/chapters/1/lines/-1/audio"])
def test_no_file_outside_the_studio_s_own_is_served(client, path):
    r = client.get(path)
    assert r.status_code in (400, 404), (path, r.status_code)
    assert b"import" not in r.content and b"[project]" not in r.content


def test_book_json_cannot_point_the_audio_route_outside_the_book(client, workspace, tmp_path):
    secret = tmp_path / "secret.mp3"
    secret.write_bytes(b"not for the browser")
    workspace.book_dir.mkdir(parents=True, exist_ok=True)
    (workspace.book_dir / "book.json").write_text(json.dumps({"chapters": [
        {"index": 1, "title": "Chapter 1", "file": "../../secret.mp3", "segments": []},
        {"index": 2, "title": "Chapter 2", "file": str(secret), "segments": []}]}), encoding="utf-8")
    for index in (1, 2):
        r = client.get(f"/api/chapters/{index}/audio")
        assert r.status_code == 404 and b"not for the browser" not in r.content


def test_static_files_are_served(client):
    page = client.get("/")
    assert "studio.js" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]  # nothing from elsewhere, no framing
    js = client.get("/static/studio.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert client.get("/static/studio.css").status_code == 200


# -- render -------------------------------------------------------------------------------------

def test_render_from_the_page_renders_the_chosen_chapter_and_lines_get_their_times(client, workspace):
    r = client.post("/api/render", json={"chapters": [2]}, headers=OWN)
    assert r.status_code == 202, r.text
    client.app.state.renderer.wait(120)
    state = client.get("/api/render").json()
    assert (state["running"], state["error"], state["rendered"]) == (False, None, [2])
    assert client.post("/api/render", json={"chapters": [2]}, headers=OWN).status_code == 202  # unchanged: skipped
    client.app.state.renderer.wait(120)
    assert client.get("/api/render").json()["rendered"] == []
    assert state["progress"]["2"]["status"] == "done"
    chapters = client.get("/api/book").json()["chapters"]
    assert [(c["rendered"], c["stale"]) for c in chapters] == [(False, False), (True, False)]
    lines = [ln for ln in client.get("/api/chapters/2").json()["lines"] if ln["words"]]
    assert all(ln["start_ms"] is not None and ln["fresh"] for ln in lines)
    assert client.get("/api/chapters/2/audio").headers["content-type"] == "audio/mpeg"
    anna = next(ln for ln in lines if ln["speaker"] == "Anna")
    client.put(f"/api/chapters/2/lines/{anna['i']}", json={"speaker": "Tom"}, headers=OWN)
    assert client.get("/api/book").json()["chapters"][1]["stale"]
    assert not client.get("/api/chapters/2").json()["lines"][anna["i"]]["fresh"]
    client.post("/api/undo", headers=OWN)
    assert not client.get("/api/book").json()["chapters"][1]["stale"]
    # A change of pitch alone waits for a render too, and her lines are no longer heard from the MP3.
    body = {"speaker": "Anna", "engine": "espeak", "voice": "en-us+f3", "rate": 175, "pitch": 80}
    assert client.put("/api/cast/voice", json=body, headers=OWN).status_code == 200
    assert [c["stale"] for c in client.get("/api/book").json()["chapters"]] == [False, True]
    now = {ln["i"]: ln for ln in client.get("/api/chapters/2").json()["lines"]}
    assert not now[anna["i"]]["fresh"]
    assert all(now[ln["i"]]["fresh"] for ln in lines if ln["speaker"] == "Tom")
    r = client.post("/api/render", json={}, headers=OWN)
    assert r.status_code == 202 and r.json()["chapters"] == [1, 2]  # chapter 1 was never rendered
    assert client.post("/api/render", json={}, headers=OWN).json() == {
        "error": "a render is already running; wait for it to finish"}
    client.app.state.renderer.wait(120)
    assert client.get("/api/render").json()["rendered"] == [1, 2]
    assert not any(c["stale"] for c in client.get("/api/book").json()["chapters"])


def test_a_known_name_typed_in_another_case_is_that_speaker(client, workspace):
    r = client.put(f"/api/chapters/1/lines/{SUGAR}", json={"speaker": "anna"}, headers=OWN)
    assert r.status_code == 200, r.text
    assert segment(workspace, 1, SUGAR)["speaker"] == "Anna"
    assert client.put(f"/api/chapters/1/lines/{SUGAR}", json={"speaker": "NARRATOR"}, headers=OWN).status_code == 200
    assert segment(workspace, 1, SUGAR)["speaker"] == "Narrator"
    assert client.put(f"/api/chapters/1/lines/{SUGAR}", json={"speaker": "Annabel"}, headers=OWN).status_code == 200
    assert segment(workspace, 1, SUGAR)["speaker"] == "Annabel"  # a new name stays new


def test_redo_makes_an_undone_edit_again_until_a_new_edit(client, workspace):
    before = script_file(workspace).read_bytes()
    assert client.put(f"/api/chapters/1/lines/{SUGAR}", json={"speaker": "Anna"}, headers=OWN).status_code == 200
    after = script_file(workspace).read_bytes()
    assert client.post("/api/undo", headers=OWN).json()["can_redo"]
    assert script_file(workspace).read_bytes() == before
    r = client.post("/api/redo", headers=OWN)
    assert r.status_code == 200 and "speaker Anna" in r.json()["redone"] and not r.json()["can_redo"]
    assert script_file(workspace).read_bytes() == after
    assert client.post("/api/undo", headers=OWN).status_code == 200
    assert client.put(f"/api/chapters/1/lines/{SUGAR}", json={"speaker": "Tom"}, headers=OWN).status_code == 200
    assert client.post("/api/redo", headers=OWN).json() == {"error": "nothing to redo"}  # a new edit: no redo
    assert client.post("/api/undo", headers=OWN).status_code == 200
    script_file(workspace).write_bytes(before + b"\n")  # changed by hand since
    r = client.post("/api/redo", headers=OWN)
    assert r.status_code == 400 and "changed outside the studio" in r.json()["error"]
    assert script_file(workspace).read_bytes() == before + b"\n"
