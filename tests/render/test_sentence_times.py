"""Sentence times in book.json: each sentence of a line is timed where it is heard, for captions a sentence long."""

from __future__ import annotations

import miniaudio
import numpy as np

from narrate.publish.feed import write_feed
from narrate.voices.synth import sentence_spans


def _decoded(path):
    d = miniaudio.decode_file(str(path), output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1)
    return np.asarray(d.samples, dtype=np.float64), d.sample_rate


def _rms_db(x: np.ndarray) -> float:
    return 10 * np.log10(np.mean(x * x) + 1e-9) - 20 * np.log10(32768)


def test_each_sentence_is_timed_where_it_is_heard_and_the_transcript_has_a_cue_per_sentence(rendered_sample):
    book_dir, manifest = rendered_sample
    chapter = manifest["chapters"][0]
    timed = [s for s in chapter["segments"] if "sentences" in s]
    assert len(timed) >= 3
    x, rate = _decoded(book_dir / chapter["file"])
    for seg in timed:
        ends = [e for e, _, _ in seg["sentences"]]
        assert ends == [b for _, b in sentence_spans(seg["text"])]
        times = [(a, b) for _, a, b in seg["sentences"]]
        assert times[0][0] == seg["start_ms"] and times[-1][1] == seg["end_ms"]
        for (a, b), (c, _) in zip(times, times[1:]):
            assert a < b < c  # in order, with the pause between sentences
            speech = x[int(a * rate / 1000):int(b * rate / 1000)]
            pause = x[int((b + 20) * rate / 1000):int((c - 20) * rate / 1000)]
            assert _rms_db(speech) > -40 and (pause.size == 0 or _rms_db(pause) < _rms_db(speech) - 30)
    # The transcript: a cue per sentence (per clause of a long one), together all the words of the chapter.
    write_feed(book_dir, "https://example.org/book/")
    vtt = (book_dir / (chapter["file"][:-4] + ".vtt")).read_text(encoding="utf-8")
    cues = [block.split("\n")[1] for block in vtt.split("\n\n")[1:] if block.strip()]
    texts = [cue.split(">", 1)[1] for cue in cues]
    heard = " ".join(" ".join(s["text"].split()) for s in chapter["segments"] if s["text"].strip())
    assert " ".join(texts) == heard.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert len(cues) >= sum(len(s.get("sentences", ())) or 1 for s in chapter["segments"] if s["text"].strip())
    assert max(len(t) for t in texts) <= 140


def test_sentence_spans_follow_the_sentences_synthesized_with_their_closing_marks():
    from narrate.voices.synth import sentences

    text = 'He said "Go home." Then he left! ... Why? \u201cNow,\u201d she said.'
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == ['He said "Go home."', "Then he left!", "Why?",
                                            "\u201cNow,\u201d she said."]
    assert len(spans) == len(sentences(text))  # "..." alone has no words: no clip, no span


def test_a_title_or_an_initial_ends_no_sentence():
    """A pause after "Mr." splits a name in two (and its caption): "I met Mr. // Weston today"."""
    from narrate.voices.synth import sentences

    text = ("I met Mr.\nWeston today, said Emma. She saw Mrs. Elton and Dr.\nPerry, and J. R. Hartley. "
            "He said no. Then said I. We went at 5 p.m. Home.")
    assert sentences(text) == ["I met Mr. Weston today, said Emma.",
                               "She saw Mrs. Elton and Dr. Perry, and J. R. Hartley.",
                               "He said no.", "Then said I.", "We went at 5 p.m.", "Home."]
    assert len(sentence_spans(text)) == 6


def test_cues_fall_back_to_the_whole_segment_when_its_sentence_times_do_not_fit():
    from narrate.publish.feed import ManifestSegment, _cues

    seg = ManifestSegment("narration", None, "One. Two.", 0, 900, ((4, 0, 400), (9, 500, 900)))
    assert _cues(seg) == [("One.", 0, 400), ("Two.", 500, 900)]
    assert _cues(ManifestSegment("narration", None, "One.", 0, 900, ((40, 0, 400),))) == [("One.", 0, 900)]


def test_a_line_said_otherwise_than_written_has_sentence_times_only_where_both_split_alike():
    from narrate.model import Line, Voice
    from narrate.render.job import _sentences
    from narrate.render.pieces import PlacedLine
    from narrate.voices.synth import sentences

    said = "Doctor Keala flew home to [[h@w'aI? i]] at last. She slept."
    assert sentences(said) == ["Doctor Keala flew home to [[h@w'aI? i]] at last.", "She slept."]  # no break in [[...]]
    two = ((0, 22050), (30000, 40000))
    line = Line("narration", "Keala left at 5 p.m. She flew home. She slept.", Voice(), None, 0, "paragraph",
                spoken="Keala left at five in the evening she flew home. She slept.")
    assert _sentences(PlacedLine(line, 0, 40000, two), 22050) == {}  # "p.m." splits the text, not what was said
    line = Line("narration", "Keala flew home to Hawai'i at last. She slept.", Voice(), None, 0, "paragraph",
                spoken="Keala flew home to [[h@w'aI? i]] at last. She slept.")
    assert _sentences(PlacedLine(line, 0, 40000, two), 22050) == {"sentences": [[35, 0, 1000], [46, 1361, 1814]]}


def test_a_long_sentence_is_shown_clause_by_clause_each_timed_by_its_share():
    from narrate.publish.feed import CUE_CHARS, _clauses

    text = ("My own complete happiness, and the home-centred interests which rise up around the man who first "
            "finds himself master of his own establishment, were sufficient to absorb all my attention, while "
            "Holmes, who loathed every form of society with his whole Bohemian soul, remained in our lodgings.")
    cues = _clauses(text, 1000, 21000)
    assert " ".join(c[0] for c in cues) == text and len(cues) >= 3
    assert all(len(c[0]) <= CUE_CHARS * 7 // 5 for c in cues)
    assert cues[0][1] == 1000 and cues[-1][2] == 21000
    assert all(a[2] == b[1] for a, b in zip(cues, cues[1:]))  # back to back, no gap or overlap
    assert _clauses("Short, and sweet.", 0, 900) == [("Short, and sweet.", 0, 900)]
