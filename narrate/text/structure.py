"""Reading stage: documents of blocks + a table of contents -> chapters with titles and sections.

Shared by the EPUB, HTML and Markdown readers. Every block of every document has a position in reading
order; a table of contents (EPUB 3 nav, EPUB 2 NCX, or one made from the headings) names positions where
chapters start. Parts (entries that hold chapters and little text of their own) give their title to their
first chapter, or become a short chapter when they have text of their own; entries deeper than a chapter
become its sections. Front and back matter (cover, title page, copyright, contents, colophon, licence,
index, short dedications) are left out unless every document is asked for.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from ..model import full_title
from .markup import BREAK, HEADING, MINOR_MATTER, PARA, Block, Document, is_chapter_title, is_part_title
from .notes import author_notes, note_kind

log = logging.getLogger(__name__)

MINOR_WORDS = 60
"""A dedication, epigraph or leftover front page with fewer words is not worth reading aloud."""
PART_OWN_WORDS = 10
"""A part with at least this many words of its own (an epigraph, an introduction) is a short chapter."""
CHAPTER_OWN_WORDS = 150
"""An entry with this much text before its first sub-entry is a chapter with sections, not a part."""
PART_CHILD_WORDS = 1500
"""Sub-entries this long on average are chapters (their parent a part), shorter ones sections."""

_MATTER_LABEL = re.compile(
    r"^(?:cover(?: page| image)?|title ?page|half[- ]?title(?: page)?|copyright(?: page)?|copyrights|imprint"
    r"|(?:table of )?contents|toc|colophon|uncopyright|licen[cs]e|the full project gutenberg licen[cs]e"
    r"|(?:the )?project gutenberg licen[cs]e|index|endnotes|footnotes|notes|also by\b.*|other (?:books|titles|works) by\b.*"
    r"|books by\b.*|about the publisher|list of illustrations|illustrations|landmarks|page list)\s*$", re.IGNORECASE)
_MINOR_LABEL = re.compile(r"^(?:dedication|epigraph)\s*$", re.IGNORECASE)
_MATTER_FILE = re.compile(
    r"^(?:cover|coverpage|cover-page|titlepage|title-page|title|halftitle|halftitlepage|half-title|copyright"
    r"|copyright-page|copyrights|imprint|toc|contents|table-of-contents|nav|colophon|uncopyright|licen[cs]e"
    r"|dedication|epigraph|alsoby|also-by|seriespage|series-page|ads|newsletter|signup|about-the-publisher"
    r"|loi|lot|endnotes|footnotes|notes)$", re.IGNORECASE)
_COPYRIGHT = re.compile(r"©|\(c\)\s*\d{4}|\bcopyright\b|all rights reserved|\bisbn\b|first published|"
                        r"printed in|published by|library of congress", re.IGNORECASE)
_NORM = re.compile(r"[\W_]+")
_PAGE = re.compile(r"\s*\[?\d{1,4}\]?\s*")


@dataclass
class Entry:
    """A contents entry resolved to a reading position."""

    label: str
    pos: int
    children: list[Entry] = field(default_factory=list)
    part: bool | None = None
    """True/False when the source already knows (headings); None to judge from the text."""


@dataclass
class Draft:
    """A chapter before it becomes a Chapter: its range of positions, title sources and sections."""

    start: int
    end: int
    label: str
    cut: str
    prefix: str = ""
    sections: list[tuple[int, str]] = field(default_factory=list)
    title: str = ""
    subtitle: str | None = None
    text: str = ""
    body_start: int = 0
    marks: list[tuple[int, str]] = field(default_factory=list)
    """(offset in text, title) of each titled section."""
    files: list[str] = field(default_factory=list)
    matter: bool = False
    body_words: int = 0


def norm(text: str) -> str:
    return _NORM.sub(" ", text.casefold()).strip()


class Layout:
    """All documents' blocks in one reading order, with what is read by default."""

    def __init__(self, docs: list[Document], doc_matter: list[str | None], keep_all: bool,
                 book_title: str = "") -> None:
        self.docs = docs
        self.keep_all = keep_all
        self.book_title = norm(book_title)
        self.blocks: list[Block] = []
        self.doc_of: list[int] = []
        self.doc_start: list[int] = []
        for i, doc in enumerate(docs):
            self.doc_start.append(len(self.blocks))
            self.blocks.extend(doc.blocks)
            self.doc_of.extend([i] * len(doc.blocks))
        self.doc_start.append(len(self.blocks))
        self.by_name = {doc.name: i for i, doc in enumerate(docs)}
        self.readable = [keep_all or (b.matter is None and doc_matter[d] is None)
                         for b, d in zip(self.blocks, self.doc_of, strict=True)]
        if not keep_all:
            self._minor_matter(doc_matter)
            self._page_numbers()
            self._author_notes()
        # Prefix sums: readable words, and readable words outside headings.
        self.words = [0]
        self.body = [0]
        for b, ok in zip(self.blocks, self.readable, strict=True):
            n = b.words if ok and b.kind != BREAK else 0
            self.words.append(self.words[-1] + n)
            self.body.append(self.body[-1] + (n if b.kind != HEADING else 0))

    def _minor_matter(self, doc_matter: list[str | None]) -> None:
        """Dedications and epigraphs are read when they say enough (a long dedicatory letter), else left out."""
        for d, doc in enumerate(self.docs):
            lo, hi = self.doc_start[d], self.doc_start[d + 1]
            minor = [g for g in range(lo, hi) if self.blocks[g].matter in MINOR_MATTER
                     or (doc_matter[d] in MINOR_MATTER and self.blocks[g].matter is None)]
            if minor and sum(self.blocks[g].words for g in minor) >= MINOR_WORDS:
                for g in minor:
                    self.readable[g] = True

    def _page_numbers(self) -> None:
        """Paragraphs that are a bare number, rising through the whole book ("12", "13", ... left by a PDF
        conversion), are its printed page numbers: not read. Section numbers ("1", "2", "1", "2") start again."""
        bare = [g for g, b in enumerate(self.blocks) if b.kind == PARA and self.readable[g] and _PAGE.fullmatch(b.text)]
        values = [int(self.blocks[g].text.strip().strip("[]")) for g in bare]
        rising = all(a < b for a, b in zip(values, values[1:]))
        if len(bare) < 3 or not rising or values == list(range(1, len(values) + 1)):
            return  # (1, 2, 3 ...: a story's numbered sections)
        # Pages come every few hundred words, or skip numbers (those before the text, or lost); sections numbered
        # through a book are further apart and never skip.
        gap = sum(b.words for b in self.blocks[bare[0]:bare[-1]]) / (len(bare) - 1)
        if values[-1] >= 2 * len(values) or gap < 600:
            for g in bare:
                self.readable[g] = False

    def _author_notes(self) -> None:
        """A fan fiction's author's notes, disclaimers and review pleas around each chapter's story are not read.
        A chapter here is what a heading, a chapter's title line ("Chapter Two - Detention") or a new document
        starts."""
        run: list[int] = []
        starts = set(self.doc_start)

        def close() -> None:
            paras = [None if self.blocks[g].kind == BREAK else self.blocks[g].text for g in run]
            for k in author_notes(paras):
                self.readable[run[k]] = False
            run.clear()

        for g, b in enumerate(self.blocks):
            if b.kind == HEADING or g in starts or b.kind == PARA and len(b.text) <= 80 \
                    and is_chapter_title(b.text):
                close()
            if b.kind != HEADING and self.readable[g]:
                run.append(g)
        close()

    def position(self, name: str, fragment: str) -> int | None:
        """Reading position of a link target, or None when it points at no document of the reading order."""
        d = self.by_name.get(name)
        if d is None:
            return None
        if fragment:
            index = self.docs[d].anchors.get(fragment)
            if index is None:
                log.debug("%s#%s: no such anchor; the entry starts at its document", name, fragment)
            else:
                return self.doc_start[d] + index
        return self.doc_start[d]

    def total_words(self) -> int:
        return self.words[-1]


# -- contents entries -> chapter starts ---------------------------------------------------------------

def _is_part(layout: Layout, e: Entry, end: int) -> bool:
    if not e.children:
        return False
    if e.part is not None:
        return e.part
    first = min(c.pos for c in e.children)
    if layout.body[max(first, e.pos)] - layout.body[e.pos] >= CHAPTER_OWN_WORDS:
        return False
    if is_part_title(e.label):
        return True
    if is_chapter_title(e.label):
        return False
    if sum(is_chapter_title(c.label) for c in e.children) * 2 >= len(e.children):
        return True
    span = layout.words[max(end, first)] - layout.words[first]
    return span / len(e.children) >= PART_CHILD_WORDS


def _says_something(layout: Layout, start: int, end: int) -> bool:
    """Whether a part's own text has a sentence ("London, the winter of 1887."), not only a subtitle ("The Boy"):
    read, however short."""
    return any(layout.readable[g] and layout.blocks[g].kind == PARA and
               layout.blocks[g].text.rstrip("\"'\u201d\u2019)").endswith((".", "!", "?", "\u2026"))
               for g in range(start, end))


def _flatten(entries: list[Entry]) -> list[tuple[int, str]]:
    out = []
    for e in entries:
        out.append((e.pos, e.label))
        out.extend(_flatten(e.children))
    return out


def plan_starts(layout: Layout, entries: list[Entry], cut: str) -> list[Draft]:
    """Chapter drafts (ranges not yet closed) from a tree of entries."""
    starts: list[Draft] = []

    def walk(level: list[Entry], end: int, prefix: str) -> None:
        level = sorted(level, key=lambda e: e.pos)
        ends = [level[k + 1].pos if k + 1 < len(level) else end for k in range(len(level))]
        # Where most entries of a level are chapter-long and have no sub-entries (a collection of stories,
        # one of them in numbered sections), the level is the chapter level: nothing in it is a part.
        story = [e for e in level if not is_matter_label(e.label)]
        long_leaves = sum(1 for e, e_end in zip(level, ends, strict=True) if not e.children and not
                          is_matter_label(e.label) and layout.words[max(e_end, e.pos)] - layout.words[e.pos]
                          >= PART_CHILD_WORDS)
        chapter_level = len(story) >= 3 and long_leaves * 2 >= len(story)
        for k, e in enumerate(level):
            e_end = ends[k]
            if _is_part(layout, e, e_end) and not (chapter_level and e.part is None and not is_part_title(e.label)):
                first = min(c.pos for c in e.children)
                own = layout.body[max(first, e.pos)] - layout.body[e.pos]
                if own >= PART_OWN_WORDS or _says_something(layout, e.pos, first):
                    starts.append(Draft(e.pos, -1, e.label, cut))
                    walk(e.children, e_end, prefix)
                else:
                    # The part's heading is said as the start of its first chapter's title.
                    starts.append(Draft(e.pos, -1, "", cut, matter=True))
                    walk(e.children, e_end, ": ".join(p for p in (prefix, e.label) if p))
            else:
                starts.append(Draft(e.pos, -1, e.label, cut, prefix, _flatten(e.children)))
            prefix = ""

    walk(entries, len(layout.blocks), "")
    starts.sort(key=lambda s: s.start)
    out: list[Draft] = []
    for s in starts:
        if out and out[-1].start == s.start:
            if out[-1].matter and not out[-1].label and not s.matter:
                out[-1] = s  # a part without text of its own and its first chapter start together
            elif not s.matter:
                out[-1].sections.extend(s.sections)
            continue
        out.append(s)
    return out


def close_drafts(layout: Layout, starts: list[Draft], cut_before: str = "document") -> list[Draft]:
    """Give every start its range up to the next one, with its text, title, sections and files; drop what
    is not read (matter, nothing readable) and fold heading-only chapters into the next one's title."""
    drafts: list[Draft] = []
    first = starts[0].start if starts else len(layout.blocks)
    if first > 0:
        lead = Draft(0, first, "", cut_before)
        drafts.append(lead)
    for k, s in enumerate(starts):
        s.end = starts[k + 1].start if k + 1 < len(starts) else len(layout.blocks)
        drafts.append(s)
    out: list[Draft] = []
    carry = ""
    in_body = False
    for n, d in enumerate(drafts):
        if d.matter and not d.label:
            continue  # a part's heading, said with its first chapter's title
        _fill(layout, d)
        if not d.text:
            continue
        label_matter = bool(_MATTER_LABEL.match(d.label)) or \
            (bool(_MINOR_LABEL.match(d.label)) and d.body_words < MINOR_WORDS)
        if label_matter and not layout.keep_all:
            continue
        if d is drafts[0] and d.start == 0 and d.end == first and not layout.keep_all and d.body_words < MINOR_WORDS:
            # Only where headings cut the text, in the first chapter's own document (a novel in one file): an
            # EPUB's documents before its first chapter are front matter (a notice, a newsletter plea, "Also by").
            if cut_before != "heading" or layout.doc_of[d.start] != layout.doc_of[min(first, len(layout.blocks) - 1)] \
                    or not _opening_prose(layout, d):
                continue  # leftovers before the first entry: a title page the markup did not name
            if not d.label and d.title in ("", layout.docs[layout.doc_of[d.start]].title):
                d.title = "Opening"  # not "Chapter 1" twice in a player's list
        if not layout.keep_all and layout.book_title and d.label and d.body_words < MINOR_WORDS and \
                not in_body and layout.book_title in (norm(d.label), norm(d.title)):
            continue  # the book's own title page
        if d.body_words == 0 and n + 1 < len(drafts) and not layout.keep_all:
            carry = ": ".join(p for p in (carry, _full_title(d)) if p)  # a heading with nothing under it
            continue
        if carry:
            d.prefix = ": ".join(p for p in (carry, d.prefix) if p)
            carry = ""
        in_body = True
        out.append(d)
    for d in out:
        if d.prefix:
            d.title = f"{d.prefix}: {d.title}"
    return out


_DEDICATION = re.compile(r"^(?:for|to|in memory|dedicated|this book)\b", re.IGNORECASE)
# What precedes a story but is not it (besides a fan fiction's disclaimer, notes and pleas: notes.note_kind): a
# publisher's words, a blurb, a fic's header.
_NOT_STORY = re.compile(r"^\W*(?:notes?\b|also by|translated|"
                        r"this is a (?:work of )?fiction|"
                        r"all characters|any resemblance|warning|tw\b|cw\b|summary|rating|pairing|fandom|praise for|"
                        r"published|first published|edited by|cover)|\b(?:i|we) (?:do not|don't) own\b|"
                        r"[\u2014\u2013-]\s*(?:the\s+)?[A-Z][\w .&]+$", re.IGNORECASE)


def _opening_prose(layout: Layout, d: Draft) -> bool:
    """Whether a short lead before the first chapter is the story's cold open ("The rain had not stopped for three
    days, and nobody remembered a wetter June.") rather than a title page: a sentence of eight words or more, and
    no dedication ("For my mother, ..."), copyright line or epigraph's attribution ("-- Emily Dickinson")."""
    paras = [layout.blocks[g].text for g in range(d.start, d.end) if layout.readable[g]
             and layout.blocks[g].kind == PARA]
    if any(_COPYRIGHT.search(t) or _DEDICATION.match(t) or note_kind(t) or _NOT_STORY.search(t.strip())
           or t.lstrip().startswith(("\u2014", "--", "\u2013")) for t in paras):
        return False
    return any(len(t.split()) >= 8 and t.rstrip("\"'\u201d\u2019)").endswith((".", "!", "?", "\u2026"))
               and t[:1] not in "\"\u201c\u2018'" for t in paras)


def _full_title(d: Draft) -> str:
    return full_title(d.title, d.subtitle)


def _fill(layout: Layout, d: Draft) -> None:
    """Text, leading heading group (title, subtitle), section marks and files of a draft's range."""
    blocks = [(g, layout.blocks[g]) for g in range(d.start, d.end) if layout.readable[g]]
    while blocks and blocks[0][1].kind == BREAK:
        blocks.pop(0)
    while blocks and blocks[-1][1].kind == BREAK:
        blocks.pop()
    if not blocks:
        return
    heads = []
    for g, b in blocks:
        if b.kind != HEADING or len(heads) == 3:
            break
        heads.append(b.text)
    pieces, offsets = [], {}
    offset = 0
    for g, b in blocks:
        offsets[g] = offset
        pieces.append(b.text)
        offset += len(b.text) + 2
    d.text = "\n\n".join(pieces) + "\n"
    d.body_start = offsets[blocks[len(heads)][0]] if len(heads) < len(blocks) else len(d.text)
    d.body_words = sum(b.words for g, b in blocks[len(heads):] if b.kind != HEADING)
    d.title, d.subtitle = _title(d.label, heads, layout, d)
    d.files = list(dict.fromkeys(layout.docs[layout.doc_of[g]].name for g, _ in blocks))
    # Sections: deeper entries first (their labels), then inner headings that start a run of headings.
    lead_end = blocks[len(heads)][0] if len(heads) < len(blocks) else d.end
    marks: dict[int, str] = {}
    readable_after = [g for g, _ in blocks]
    for pos, label in d.sections:
        if pos < lead_end or pos >= d.end:
            continue
        at = next((g for g in readable_after if g >= pos), None)
        if at is not None and at not in marks and label:
            marks[at] = label
    prev_heading = True
    for g, b in blocks[len(heads):]:
        if b.kind == HEADING and not prev_heading and g not in marks and \
                not any(g - 2 <= m < g for m in marks):
            marks[g] = b.text
        prev_heading = b.kind == HEADING
    d.marks = sorted((offsets[g], title) for g, title in marks.items())


def _title(label: str, heads: list[str], layout: Layout, d: Draft) -> tuple[str, str | None]:
    """The chapter title and subtitle from its contents label and the headings it opens with."""
    label = " ".join(label.split())
    if not label:
        if heads:
            return heads[0], ". ".join(heads[1:]) or None
        doc = layout.docs[layout.doc_of[d.start]] if d.start < len(layout.blocks) else None
        return (doc.title if doc and doc.title else ""), None
    if not heads:
        return label, None
    nl = norm(label)
    joined = norm(" ".join(heads))
    if nl == joined or any(nl and nl in norm(h) for h in heads):
        return heads[0], ". ".join(heads[1:]) or None
    if all(norm(h) in nl for h in heads):
        return label, None
    if re.fullmatch(r"[\divxlcdm.]{1,8}", label, re.IGNORECASE):
        return heads[0], ". ".join(heads[1:]) or None  # a bare number: the heading says more
    said, printed = set(nl.split()), set(joined.split())
    if len(said & printed) * 2 >= min(len(said), len(printed)):
        return label, None  # the same title written two ways ("Chapter 1: Away" / "CHAPTER I. AWAY"): say it once
    return label, ". ".join(heads)


# -- where chapters come from ---------------------------------------------------------------------

def heading_entries(layout: Layout, book_title: str) -> list[Entry] | None:
    """A contents tree made from the headings of the text read, or None when they do not make chapters."""
    title = norm(book_title)
    heads = [(g, b) for g, b in enumerate(layout.blocks)
             if b.kind == HEADING and layout.readable[g] and norm(b.text) != title]
    if not heads:
        return None
    # Headings right after another heading are its subtitle lines, not entries of their own; but a chapter's
    # heading right under a part's ("BOOK ONE" then "CHAPTER I") is the first chapter of that part.
    firsts = [(g, b) for k, (g, b) in enumerate(heads) if k == 0 or heads[k - 1][0] != g - 1
              or (is_part_title(heads[k - 1][1].text) and is_chapter_title(b.text)
                  and not is_part_title(b.text))]
    levels = sorted({b.level for _, b in firsts})
    chapter_level = None
    for level in levels:
        at = [b for _, b in firsts if b.level == level]
        if len(at) >= 2 and not all(is_part_title(b.text) for b in at):
            chapter_level = level
            break
    counts = {lv: sum(1 for _, b in firsts if b.level == lv) for lv in levels}
    if chapter_level is None:
        # A book cut only into parts ("Part One", "Part Two", "Part Three"): its parts are its chapters.
        chapter_level = max((lv for lv in levels if counts[lv] >= 2), default=None)
    if chapter_level is None:
        return None
    roots: list[Entry] = []
    part: Entry | None = None
    chapter: Entry | None = None
    for g, b in firsts:
        if b.level < chapter_level:
            if is_part_title(b.text) or counts[b.level] >= 2:
                part = Entry(b.text, g, part=True)
                roots.append(part)
                chapter = None
            continue  # a lone heading above the chapters (the book's title page): not an entry
        if b.level == chapter_level:
            chapter = Entry(b.text, g, part=False)
            (part.children if part else roots).append(chapter)
        elif chapter is not None:
            chapter.children.append(Entry(b.text, g))
    for p in roots:
        if p.part and not p.children:
            p.part = False
    return roots


def document_entries(layout: Layout) -> list[Entry]:
    """One entry per document with something to read."""
    out = []
    for d in range(len(layout.docs)):
        lo, hi = layout.doc_start[d], layout.doc_start[d + 1]
        if layout.words[hi] > layout.words[lo]:
            out.append(Entry("", lo, part=False))
    return out


def resolve_toc(layout: Layout, nodes, where: str) -> list[Entry]:
    """Contents nodes (label, href, fragment, children) -> entries at reading positions; broken links dropped
    (their sub-entries move up)."""
    out: list[Entry] = []
    for node in nodes:
        children = resolve_toc(layout, node.children, where)
        pos = layout.position(node.href, node.fragment) if node.href else None
        if pos is None and not node.href and children and node.label.strip():
            # A heading without a link (`<span>Part One</span>` over its chapters) is a part.
            out.append(Entry(" ".join(node.label.split()), min(c.pos for c in children), children, part=True))
            continue
        if pos is None:
            if node.href:
                log.info("%s: contents entry %r points at %s, which is not in the reading order; skipped",
                         where, node.label, node.href + (f"#{node.fragment}" if node.fragment else ""))
            out.extend(children)
            continue
        out.append(Entry(" ".join(node.label.split()), pos, children))
    return out


def _heading_back(layout: Layout, entries: list[Entry]) -> None:
    """An anchor placed just after its heading (`<h2>Chapter 1</h2><a id="ch1"/>`) still starts the chapter
    at the heading, so the heading is its title and not the last words of the chapter before."""
    taken = {p for p, _ in _flatten(entries)}

    def fix(level: list[Entry]) -> None:
        for e in level:
            pos = e.pos
            while pos > 0 and layout.doc_of[pos - 1] == layout.doc_of[min(pos, len(layout.blocks) - 1)] and \
                    layout.blocks[pos - 1].kind == HEADING and layout.readable[pos - 1] and pos - 1 not in taken:
                pos -= 1
            e.pos = pos
            fix(e.children)

    fix(entries)


def _count(entries: list[Entry]) -> int:
    return sum(1 + _count(e.children) for e in entries)


def _degenerate(layout: Layout, drafts: list[Draft]) -> bool:
    """One chapter for a whole book, or nearly all of it in one of two."""
    if not drafts:
        return True
    total = layout.total_words()
    biggest = max(len(d.text) for d in drafts)
    if len(drafts) == 1:
        return True  # kept only when nothing else finds more chapters
    return len(drafts) == 2 and biggest > 0.85 * sum(len(d.text) for d in drafts) and total > 5000


def build_chapters(layout: Layout, tocs: list[tuple[str, list]], book_title: str, where: str) -> list[Draft]:
    """Chapters from the first table of contents that gives plausible ones, else headings, else documents."""
    fallback: list[Draft] | None = None
    for cut, nodes in tocs:
        if not nodes:
            continue
        entries = resolve_toc(layout, nodes, where)
        _heading_back(layout, entries)
        if not entries:
            log.info("%s: the %s contents point at nothing readable; not used", where, cut)
            continue
        flat = sorted(_flatten(entries))
        if len({p for p, _ in flat}) == 1 and _count(entries) > 1:
            log.info("%s: every %s contents entry points at one place; not used", where, cut)
            continue
        drafts = close_drafts(layout, plan_starts(layout, entries, cut))
        if drafts and not _degenerate(layout, drafts):
            return drafts
        log.info("%s: the %s contents give %d chapter(s) for the whole book; trying headings", where, cut,
                 len(drafts))
        fallback = fallback or drafts
    heads = heading_entries(layout, book_title)
    if heads:
        drafts = close_drafts(layout, plan_starts(layout, heads, "heading"), "heading")
        if drafts and not _degenerate(layout, drafts):
            return drafts
        fallback = fallback or drafts
    drafts = close_drafts(layout, plan_starts(layout, document_entries(layout), "document"))
    if fallback and len(fallback) >= len(drafts):
        return fallback
    return drafts


def matter_of_document(doc: Document, name_hint: str | None, before_body: bool, listed: bool = False) -> str | None:
    """Front or back matter a whole document is, judged by its landmark, its file name and its text.

    A document the contents list under a title of its own (`listed`) is judged by its landmark alone.
    """
    if name_hint:
        return name_hint
    if listed:
        return None
    stem = doc.name.rsplit("/", 1)[-1].rsplit(".", 1)[0].lower()
    stem = re.sub(r"^[\d_.-]+|[\d_.-]+$", "", stem)
    if _MATTER_FILE.match(stem):
        return stem
    n = sum(b.words for b in doc.blocks)
    if n and n < 400:
        text = " ".join(b.text for b in doc.blocks)
        hits = len(_COPYRIGHT.findall(text))
        if hits >= 2 or re.search(r"\bisbn\b", text, re.IGNORECASE):
            return "copyright-page"
    if before_body and n < MINOR_WORDS and not any(
            b.kind == HEADING and (is_chapter_title(b.text) or is_part_title(b.text)) for b in doc.blocks):
        return "front page"
    return None


def is_matter_label(label: str) -> bool:
    """Whether a contents label names front or back matter ('Copyright', 'Contents', 'Dedication'...)."""
    return bool(_MATTER_LABEL.match(label) or _MINOR_LABEL.match(label))
