"""Benchmark: speaker attribution on modern prose, two sets of six chapters with gold speakers.

Set 1 (benchmarks/modern-prose/, 328 quotations): YA first person, romance beats, a group scene, a long untagged
exchange, a thriller with calls and radio, nicknames and titles. Set 2 (benchmarks/modern-prose-2/, 464 quotations):
a British police interview, a first-person-present family dinner, fantasy with titles and epithets, a romance told
partly in texts and a phone call, four children arguing, a second-person office meeting.

Both were written for narrate by helper sessions (set 2 by one that did not read the attribution code), in styles the
classic sets (LitBank, the dev corpus) lack. Rules were changed while looking at set 1's errors, so set 1 is tuned on.
Set 2 was first scored as a held-out set (voice 0.595, person 0.621, with the code of 4f9eff0 and with 07781d2); changes
made after reading its errors are listed in the closing notes, so its later figures are tuned on too.

Scores per chapter: "voice" counts a line right when it goes to the name narrate uses most for that person (what a
listener hears: one voice per person); "person" when it goes to any of the person's names.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from narrate.attribution.attribute import script_text
from narrate.model import DIALOGUE

SETS = {"1": Path(__file__).resolve().parent / "modern-prose", "2": Path(__file__).resolve().parent / "modern-prose-2"}


def score(gold_path: Path) -> tuple[int, int, int]:
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    text = (gold_path.parent / gold["chapter"]).read_text(encoding="utf-8")
    said = {s.start: s.speaker for s in script_text(text).segments if s.kind == DIALOGUE}
    names = {k: set(v) for k, v in gold["aliases"].items()}
    used: dict[str, Counter] = defaultdict(Counter)
    for q in gold["quotes"]:
        got = said.get(q["start"])
        if got in names[q["speaker"]]:
            used[q["speaker"]][got] += 1
    voice = {k: c.most_common(1)[0][0] for k, c in used.items()}
    right_voice = sum(said.get(q["start"]) == voice.get(q["speaker"]) for q in gold["quotes"])
    right_person = sum(said.get(q["start"]) in names[q["speaker"]] for q in gold["quotes"])
    return len(gold["quotes"]), right_voice, right_person


def main() -> None:
    for key, folder in SETS.items():
        print(f"set {key} ({folder.name}/)")
        total = [0, 0, 0]
        for path in sorted(folder.glob("*.gold.json")):
            n, v, p = score(path)
            total = [total[0] + n, total[1] + v, total[2] + p]
            print(f"  {path.name.removesuffix('.gold.json'):26} quotes {n:4}  voice {v / n:.3f}  person {p / n:.3f}")
        n, v, p = total
        print(f"  all                        quotes {n:4}  voice {v / n:.3f}  person {p / n:.3f}")


if __name__ == "__main__":
    main()
