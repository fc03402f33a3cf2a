"""How long reading an EPUB takes: a novel-sized EPUB of the given compressed size, built from the LitBank
excerpts in tests/data (chapters in their own files, a nested contents, notes, page numbers, scene breaks).

    python benchmarks/epub_read.py            # a 1 MB EPUB
    python benchmarks/epub_read.py --mb 3

Prints the EPUB's size, its text, the chapters found and the time `load_book` takes (best of three runs),
with the same time for the plain-text chapters as a reference measured in the same run.
"""

from __future__ import annotations

import argparse
import html
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from epub_fixtures import Epub, xhtml  # noqa: E402

from narrate.text.reader import load_book  # noqa: E402


def build(target_bytes: int, folder: Path) -> tuple[Path, Path, int]:
    """An EPUB of about `target_bytes` and the same chapters as a folder of .txt files."""
    texts = sorted((ROOT / "tests" / "data" / "litbank").glob("*.txt"))
    sources = [t.read_text(encoding="utf-8") for t in texts]
    txt_dir = folder / "txt"
    txt_dir.mkdir()
    docs, toc, n, chars = [], [], 0, 0
    path = folder / "book.epub"
    while True:
        n += 1
        text = sources[n % len(sources)]
        paras = [p.strip() for p in text.split("\n\n") if p.strip()]
        body = [f'<section id="chapter-{n}" epub:type="chapter"><h2>Chapter {n}</h2>']
        for k, p in enumerate(paras):
            if k and k % 40 == 0:
                body.append("<hr/>")
            note = f'<a href="notes.xhtml#n{n}-{k}" epub:type="noteref">{k}</a>' if k % 25 == 7 else ""
            page = f'<span epub:type="pagebreak" id="p{n}-{k}" title="{k}"/>' if k % 12 == 3 else ""
            body.append(f"<p>{page}{html.escape(p)}{note} (run {n})</p>")
        body.append("</section>")
        docs.append((f"chapter-{n}.xhtml", xhtml("".join(body), f"Chapter {n}", "bodymatter")))
        part = (n - 1) // 10 + 1
        if (n - 1) % 10 == 0:
            toc.append((f"Part {part}", f"chapter-{n}.xhtml", []))
        toc[-1][2].append((f"Chapter {n}", f"chapter-{n}.xhtml"))
        (txt_dir / f"{n:03d}.txt").write_text(f"Chapter {n}\n\n" + "\n\n".join(paras) + "\n", encoding="utf-8")
        chars += len(text)
        if n % 10 == 0:
            Epub(docs, toc=toc).write(path)
            if path.stat().st_size >= target_bytes:
                return path, txt_dir, chars


def best_of(runs: int, fn) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=1.0, help="compressed EPUB size in MB (default 1)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        epub, txt_dir, chars = build(int(args.mb * 2**20), Path(tmp))
        book = load_book(epub)
        epub_s = best_of(3, lambda: load_book(epub))
        txt_s = best_of(3, lambda: load_book(txt_dir))
        size = epub.stat().st_size
        print(f"EPUB {size / 2**20:.2f} MB ({chars / 2**20:.1f} MB of text, {len(book.chapters)} chapters): "
              f"read in {epub_s:.3f} s ({size / 2**20 / epub_s:.1f} MB/s); "
              f"the same chapters as .txt files: {txt_s:.3f} s (EPUB/txt {epub_s / txt_s:.1f}x)")


if __name__ == "__main__":
    main()
