"""A line the engine cannot say fails its chapter clearly, or falls back to the narrator; other chapters render."""

from __future__ import annotations

import json
import logging

import pytest
from fake_engine import BrokenEngine

from narrate.errors import EngineError
from narrate.render.pipeline import RenderOptions, render_book
from narrate.voices.engines import register_engine


@pytest.fixture()
def book(tmp_path):
    register_engine("broken", BrokenEngine)
    src = tmp_path / "src"
    src.mkdir()
    (src / "01.txt").write_text('"Watch out, KABOOM!" shouted Mo. The rest was quiet.\n', encoding="utf-8")
    (src / "02.txt").write_text('"All is well," said Lee.\n', encoding="utf-8")
    vm = tmp_path / "v.toml"
    vm.write_text('[speakers."Mo"]\nengine = "broken"\nvoice = "low"\n', encoding="utf-8")
    return src, vm


def test_fail_mode_keeps_the_other_chapters(book, tmp_path):
    src, vm = book
    opts = RenderOptions(out_dir=tmp_path / "out", voices_path=vm, jobs=1)
    with pytest.raises(EngineError, match=r"01.txt: cannot say .*1 chapter\(s\) failed; 1 rendered"):
        render_book(src, opts)
    manifest = json.loads((tmp_path / "out" / "src" / "book.json").read_text())
    assert [c["index"] for c in manifest["chapters"]] == [2]
    assert not list((tmp_path / "out" / "src").glob("01-*.mp3"))
    assert not [p for p in (tmp_path / "out" / "src").glob(".*") if p.name != ".cast.json"]


def test_narrator_fallback_renders_with_a_warning(book, tmp_path, caplog):
    src, vm = book
    opts = RenderOptions(out_dir=tmp_path / "out", voices_path=vm, jobs=1, on_engine_error="narrator")
    with caplog.at_level(logging.WARNING):
        result = render_book(src, opts)
    assert result.rendered == (1, 2)
    assert "read with the narrator's voice instead" in caplog.text
    seg = next(s for s in result.manifest["chapters"][0]["segments"] if "KABOOM" in s["text"])
    assert seg["speaker"] == "Mo"
    narrator = result.manifest["chapters"][0]["segments"][0]
    assert (seg["engine"], seg["voice"]) == (narrator["engine"], narrator["voice"]) != ("broken", "low")


def test_any_executor_can_run_the_chapter_jobs(tmp_path):
    """The unit of work is a picklable job; a user may hand in another executor (e.g. Dask's)."""
    from concurrent.futures import ThreadPoolExecutor

    src = tmp_path / "src"
    src.mkdir()
    for n in (1, 2, 3):
        (src / f"{n:02d}.txt").write_text(f'"Part {n}," said Lee.\n', encoding="utf-8")
    used = []

    def factory(workers):
        used.append(workers)
        return ThreadPoolExecutor(workers)

    result = render_book(src, RenderOptions(out_dir=tmp_path / "out", jobs=2, executor=factory))
    assert used == [2] and sorted(result.rendered) == [1, 2, 3]
    assert len(result.manifest["chapters"]) == 3
