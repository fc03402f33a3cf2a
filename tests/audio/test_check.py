"""Tests for narrate.audio.check: ACX and default rules on MP3s built from numpy signals."""

from __future__ import annotations

import math
from pathlib import Path

import lameenc
import numpy as np
import pytest
from podcast_fixtures import encode_mp3

from narrate.audio.check import check_file, measure_file
from narrate.errors import NarrateError

RATE = 44100


def speech_like(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Noise in syllable-sized bursts (3 per second) with gaps, peaks limited to 2.2 sigma."""
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    envelope = np.clip(np.sin(2 * np.pi * 3.0 * t), 0, None) ** 0.5
    x = np.convolve(rng.standard_normal(n), np.ones(8) / 8, mode="same")
    return np.clip(x, -2.2 * x.std(), 2.2 * x.std()) * envelope


def book_signal(rms_db: float, head_s: float = 0.7, tail_s: float = 2.0) -> np.ndarray:
    rng = np.random.default_rng(7)
    sig = np.concatenate([np.zeros(int(head_s * RATE)), speech_like(3.0, rng),
                          np.zeros(int(tail_s * RATE))])
    sig += rng.standard_normal(len(sig)) * 10 ** (-80 / 20)  # a very quiet room
    return sig * 10 ** (rms_db / 20) / np.sqrt(np.mean(sig ** 2))


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("check")
    good = root / "good.mp3"
    good.write_bytes(encode_mp3(book_signal(-21.0), rate=RATE, kbps=192))
    loud = root / "loud.mp3"
    loud.write_bytes(encode_mp3(book_signal(-10.0), rate=RATE, kbps=192))
    small = root / "small.mp3"
    small.write_bytes(encode_mp3(book_signal(-21.0, head_s=0.0, tail_s=0.2)[::2],
                                 rate=RATE // 2, kbps=64))
    enc = lameenc.Encoder()
    enc.set_in_sample_rate(RATE)
    enc.set_channels(1)
    enc.set_vbr(4)
    pcm = (book_signal(-21.0) * 32767).astype("<i2").tobytes()
    vbr = root / "vbr.mp3"
    vbr.write_bytes(bytes(enc.encode(pcm) + enc.flush()))
    return {"good": good, "loud": loud, "small": small, "vbr": vbr}


def rules(report) -> dict:  # noqa: ANN001
    return {r.name: r for r in report.rules}


def test_acx_pass(files: dict[str, Path]) -> None:
    report = check_file(files["good"], "acx")
    assert report.passed, [(r.name, r.measured_text()) for r in report.failures]
    m = report.measurements
    assert m.sample_rate == 44100 and m.channels == 1
    assert (m.bitrate_kbps, m.bitrate_mode) == (192, "CBR")
    assert m.rms_db == pytest.approx(-21.0, abs=0.5)
    assert m.peak_db <= -3 and m.peak_db >= m.sample_peak_db
    assert m.noise_floor_db < -70
    assert m.head_s == pytest.approx(0.7, abs=0.1)
    assert m.tail_s == pytest.approx(2.0, abs=0.3)
    assert m.duration_s == pytest.approx(5.7, abs=0.1)
    assert set(rules(report)) == {"rms", "peak", "noise floor", "room tone", "sample rate", "bitrate",
                                  "head room tone", "tail room tone", "length"}


def test_acx_flags_digital_silence(tmp_path: Path) -> None:
    """Pauses of nothing at all (-inf dB) are not room tone: ACX rejects them (issue 14, item 11)."""
    rng = np.random.default_rng(7)
    sig = np.concatenate([np.zeros(int(0.7 * RATE)), speech_like(3.0, rng), np.zeros(2 * RATE)])
    path = tmp_path / "gated.mp3"
    path.write_bytes(encode_mp3(sig * 10 ** (-21 / 20) / np.sqrt(np.mean(sig ** 2)), rate=RATE, kbps=192))
    by_name = rules(check_file(path, "acx"))
    assert by_name["noise floor"].passed and by_name["noise floor"].measured == -math.inf
    assert not by_name["room tone"].passed
    assert by_name["room tone"].measured_text() == "-inf dB"
    assert [name for name, rule in by_name.items() if not rule.passed] == ["room tone"]


def test_acx_too_loud_fails_rms_and_peak(files: dict[str, Path]) -> None:
    report = check_file(files["loud"], "acx")
    assert not report.passed
    failed = {r.name for r in report.failures}
    assert {"rms", "peak"} <= failed
    assert "sample rate" not in failed and "bitrate" not in failed
    by_name = rules(report)
    assert -13 < by_name["rms"].measured < -9  # -10 dB before clipping at full scale
    assert by_name["rms"].requirement == "between -23 and -18 dB"
    assert by_name["peak"].measured > -3


def test_acx_format_and_room_tone_failures(files: dict[str, Path]) -> None:
    by_name = rules(check_file(files["small"], "acx"))
    assert not by_name["sample rate"].passed and by_name["sample rate"].measured == 22050
    assert not by_name["bitrate"].passed and by_name["bitrate"].measured == "64 kbps CBR"
    assert not by_name["head room tone"].passed
    assert not by_name["tail room tone"].passed


def test_vbr_is_detected(files: dict[str, Path]) -> None:
    m = measure_file(files["vbr"])
    assert m.bitrate_mode == "VBR"
    assert not rules(check_file(files["vbr"], "acx"))["bitrate"].passed


def test_default_profile_loudness_target(files: dict[str, Path]) -> None:
    lufs = measure_file(files["good"]).integrated_lufs
    assert -30 < lufs < -10
    near = check_file(files["good"], target_lufs=round(lufs) + 0.0)
    assert near.profile == "default"
    assert [r.name for r in near.rules] == ["loudness", "peak"]
    assert near.passed
    far = check_file(files["good"], target_lufs=lufs - 3)
    assert [r.name for r in far.failures] == ["loudness"]
    assert rules(far)["loudness"].measured_text().endswith(" LUFS")
    assert not check_file(files["loud"]).passed


def test_silence_measures_minus_infinity(tmp_path: Path) -> None:
    path = tmp_path / "silence.mp3"
    path.write_bytes(encode_mp3(np.zeros(RATE), rate=RATE, kbps=192))
    m = measure_file(path)
    assert m.integrated_lufs == -math.inf and m.rms_db == -math.inf
    assert m.head_s == m.tail_s == pytest.approx(m.duration_s)
    assert rules(check_file(path))["loudness"].measured_text() == "-inf LUFS"


def test_not_an_mp3(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp3"
    path.write_text("this is not audio " * 100)
    with pytest.raises(NarrateError, match="notes.mp3"):
        check_file(path)


def test_an_m4b_is_pointed_to_the_mp3s_it_was_made_from(tmp_path: Path) -> None:
    path = tmp_path / "book.m4b"
    path.write_bytes(b"\0\0\0\x20ftypM4B " + bytes(200))
    with pytest.raises(NarrateError, match="book.m4b: narrate check reads MP3 files; check the chapter MP3s"):
        check_file(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NarrateError, match="nope.mp3: file not found"):
        check_file(tmp_path / "nope.mp3")


def test_unknown_profile(files: dict[str, Path]) -> None:
    with pytest.raises(NarrateError, match="unknown check profile"):
        check_file(files["good"], "broadcast")


def _cli():  # noqa: ANN202
    import click

    from narrate.cli.podcast import check_command

    group = click.Group("narrate")
    group.add_command(check_command)
    return group


def test_cli_check(files: dict[str, Path]) -> None:
    from click.testing import CliRunner

    ok = CliRunner().invoke(_cli(), ["check", "--acx", str(files["good"])])
    assert ok.exit_code == 0, ok.output
    assert f"{files['good']}: PASS (acx)" in ok.output
    assert "PASS  rms" in ok.output and "dB" in ok.output
    both = CliRunner().invoke(_cli(), ["check", "--acx", str(files["good"]), str(files["loud"])])
    assert both.exit_code == 1
    assert f"{files['loud']}: FAIL (acx)" in both.output
    assert "FAIL  peak" in both.output
    lufs = measure_file(files["good"]).integrated_lufs
    default = CliRunner().invoke(_cli(), ["check", str(files["good"]),
                                          "--target-lufs", f"{lufs:.1f}"])
    assert default.exit_code == 0 and "PASS  loudness" in default.output


def test_cli_check_errors(tmp_path: Path) -> None:
    from click.testing import CliRunner

    assert CliRunner().invoke(_cli(), ["check"]).exit_code == 2
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(b"nope")
    result = CliRunner().invoke(_cli(), ["check", str(bad)])
    assert isinstance(result.exception, NarrateError) and "bad.mp3" in str(result.exception)


def test_cli_check_goes_on_past_an_unreadable_file(files: dict[str, Path], tmp_path: Path) -> None:
    from click.testing import CliRunner

    from narrate.cli.main import cli

    bad = tmp_path / "bad.mp3"
    bad.write_bytes(b"nope")
    missing = tmp_path / "missing.mp3"
    result = CliRunner().invoke(cli, ["check", str(bad), str(files["good"]), str(missing), "--acx"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{bad}: ERROR" in result.output and f"{missing}: ERROR" in result.output
    assert f"{files['good']}: PASS (acx)" in result.output  # checked although a file before it was bad
    assert result.output.strip().splitlines()[-1] == \
        f"narrate: error: 2 of 3 file(s) could not be checked: {bad}, {missing}"
