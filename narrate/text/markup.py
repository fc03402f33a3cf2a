"""Reading stage: XHTML/HTML documents -> blocks of text (paragraphs, headings, scene breaks) with their anchors.

What a listener should hear is kept: paragraphs in order, headings, list items and table rows. What a reader
sees but a listener should not hear is left out: images, note references, page numbers, footnote bodies, style
and script. Drop caps and small-caps lead-ins are joined into their words; soft hyphens, zero-width and
non-breaking spaces are normalised; curly quotes and dashes are kept for attribution.
"""

from __future__ import annotations

import html.entities
import re
from dataclasses import dataclass, field

from ..errors import InputError
from .segment import is_scene_break

XHTML_NS = "http://www.w3.org/1999/xhtml"
OPS_NS = "http://www.idpf.org/2007/ops"
EPUB_TYPE = f"{{{OPS_NS}}}type"

PARA, HEADING, BREAK = "para", "heading", "break"
SCENE_BREAK_TEXT = "* * *"
"""How a scene break is written into chapter text (the render's plan stage pauses there and starts a section)."""

# Containers whose epub:type (or ARIA role without "doc-") says they are not read by default.
MATTER_TYPES = frozenset("""cover titlepage halftitlepage seriespage copyright-page imprint toc landmarks loi lot
    colophon index endnotes footnotes rearnotes errata dedication epigraph page-list licence""".split())
MINOR_MATTER = frozenset({"dedication", "epigraph"})
"""Matter read only when it says enough to be worth reading (see structure.MINOR_WORDS)."""
DIVISIONS = ("frontmatter", "bodymatter", "backmatter")
NOTE_TYPES = frozenset({"footnote", "endnote", "rearnote", "note"})
NOTE_CLASSES = frozenset({"footnote", "fnote", "footnotes", "endnote", "endnotes", "note-text"})
PAGE_CLASSES = frozenset({"pagenum", "pageno", "page-num", "page-number", "pagenumber", "page_number",
                          "pgnum", "pagebreak", "page-break-marker", "linenum"})
# An illustration's caption (Project Gutenberg's <div class="figcenter"><img/><p class="caption">): not the story,
# like <figcaption>.
CAPTION_CLASSES = frozenset({"caption", "figcaption", "imgcaption", "img-caption", "fig-caption",
                             "illustration-caption", "illocaption"})
NOTEREF_CLASSES = frozenset({"fnanchor", "noteref", "footnote-ref", "footnoteref", "fn-ref", "fnref",
                             "footnote-link", "endnote-ref", "note-ref"})
BOILERPLATE_IDS = frozenset({"pg-header", "pg-footer", "pg-smallprint"})
BOILERPLATE_CLASSES = frozenset({"pg-boilerplate", "pg_boilerplate", "pgheader", "pgfooter"})

BLOCK_TAGS = frozenset("""html body div p section article main header footer aside nav blockquote pre ul ol li dl dt
    dd table thead tbody tfoot tr caption figure address center hgroup details summary fieldset legend form
    h1 h2 h3 h4 h5 h6 hr br""".split())
# Elements that can be a note's body, left out with the note reference pointing at them.
NOTE_BODY_TAGS = frozenset("p div aside li dd dt section".split())
# A page's <footer> holds its site's small print ("(c) 2024 ... All rights reserved. Privacy"), not the story (a
# letter's, inside its blockquote, holds its closing and signature: read, see _in_quotation).
SKIP_TAGS = frozenset("""head script style title meta link svg math audio video object embed iframe noscript template
    button select textarea input rt rp canvas map area figcaption footer""".split())
HEADING_TAGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
HEADING_TYPES = frozenset({"title", "subtitle", "label", "ordinal", "fulltitle", "bridgehead"})
# Classes publishers give to heading paragraphs (InDesign "ChapterTitle", Calibre "chapter", "ct", "cn", ...).
_HEADING_CLASS = re.compile(
    r"^(?:(?:chapter|chap|part)(?:[-_]?(?:title|head|heading|number|num|no|nr|label|subtitle|name))?"
    r"|(?:book|section|sect)[-_]?(?:title|head|heading)|title|heading|subtitle|subhead|ct|cn|cst|chapnum"
    r"|chaptitle|h[1-6])[-_]?\d*$", re.IGNORECASE)
_BREAK_CLASS = re.compile(r"break|ornament|dinkus|scene|transition|asterism|separator|fleuron", re.IGNORECASE)
_SMALLCAPS_CLASS = re.compile(r"^(?:small-?caps?|smcaps?|smallcap|sc|char-smallcaps?|caps-small|smallcaps\d*)$",
                              re.IGNORECASE)
_NOTE_MARK = re.compile(r"^\s*[\[(]?(?:\d{1,4}|[*†‡§¶#]{1,3}|[a-z]|[ivxlc]{1,6})[\])]?\s*$", re.IGNORECASE)
_SUP_NOTE = re.compile(r"^\s*[\[(]?(?:\d{1,4}|[*†‡§¶#]{1,3})[\])]?\s*$")
# A heading's number: "4", "IV", "Twenty-One", "the First", "the Last" (not any word: "Part of her wanted to go",
# "Chapter and verse, she thought", "Book it, then" are sentences).
_CARDINAL = (r"(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen"
             r"|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred)")
_ORDINAL = (r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth"
            r"|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth|fortieth"
            r"|fiftieth|last|final)")
_HEAD_NUMBER = (r"(?:\d+|[ivxlcdm]+|" + _CARDINAL + r"(?:[- ]" + _CARDINAL + r")?|(?:the\s+)?(?:" + _CARDINAL
                + r"[- ])?" + _ORDINAL + r")\b")
# Then the end, a separator ("~", "|", ":") or a title in capitals ("Chapter 1 The Storm"), "of 12", "continued";
# not a sentence going on in lower case ("Part I wanted to go").
_HEAD_AFTER = (r"(?=\s*$|\s*[^\w\s]|\s+(?-i:[A-Z\u00c0-\u00de\d])|\s+(?:of\s+(?:\d|" + _CARDINAL + r"\b)|and\s+a\s+half"
               r"|continued|cont\b|part\s|pt\b))")
_PART = re.compile(r"^\s*(?:part|book|volume|vol\.)\s+" + _HEAD_NUMBER + _HEAD_AFTER, re.IGNORECASE)
_CHAPTER = re.compile(r"^\s*(?:(?:chapter|chap\.)\s+" + _HEAD_NUMBER + _HEAD_AFTER + r".*|prologue|epilogue)\s*$",
                      re.IGNORECASE)
_WORD = re.compile(r"\w")
BR = "\x00"  # a line break inside a block, kept through whitespace collapsing
_DROP = ("\u00ad", "\u200b", "\u2060", "\ufeff")  # soft hyphen, zero-width space, word joiner, BOM
_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]{1,31});")
_XML_ENTITIES = {b"amp", b"lt", b"gt", b"quot", b"apos"}


@dataclass(slots=True)
class Block:
    """One paragraph-like unit of a document: a paragraph, a heading or a scene break."""

    kind: str
    text: str
    level: int = 0
    """Heading level, 1 (most important) to 6; 0 for paragraphs and breaks."""
    ids: list[str] = field(default_factory=list)
    """Element ids (anchors) that point at this block: links land here."""
    matter: str | None = None
    """The innermost front/back-matter type around the block ("toc", "colophon", ...), None in body text."""
    division: str | None = None
    """"frontmatter", "bodymatter" or "backmatter" when the markup says so."""
    link_chars: int = 0
    """Characters of the text inside links (a block that is mostly links is a table of contents)."""
    words: int = -1
    """Number of words (computed when the block is made)."""

    def __post_init__(self) -> None:
        if self.words < 0:
            self.words = words(self.text)


@dataclass
class Document:
    """A parsed XHTML/HTML document: its blocks in order and where each anchor lands."""

    name: str
    blocks: list[Block]
    anchors: dict[str, int]
    """Element id -> index of the block it points at (len(blocks) for an anchor after the last one)."""
    title: str = ""
    language: str = ""
    meta: dict[str, str] = field(default_factory=dict)
    """<meta name=...> values of an HTML page (author, description)."""
    ao3: bool = False
    """Read as a page of an Archive of Our Own work: its notes, preface and afterword are marked as matter."""


def words(text: str) -> int:
    """Number of words in `text` (whitespace-separated; a lone dash counts, which thresholds can bear)."""
    return len(text.split())


_NOTES_HEADING = re.compile(r"^\s*(?:end|foot)?notes?\.?\s*$", re.IGNORECASE)


def _opens_with_backlink(el) -> bool:
    """Whether `el` starts with a linked note mark ("[1]", "1.", "*") and nothing before it: a note's body."""
    if (el.text or "").strip():
        return False
    first = next(iter(el), None)
    while first is not None and local_name(first.tag) in ("sup", "span", "b", "strong", "small") and \
            not (first.text or "").strip():
        first = next(iter(first), None)
    if first is None or local_name(first.tag) != "a":
        return False
    href = first.get("href") or ""
    rest = _all_text(el).strip()[len(_all_text(first).strip()):].strip()
    # A link into another document (the chapter the note belongs to), then the note's words: a sentence, or four
    # words at least ("<a href="#toc">1</a> The Diner" is a heading that links back to the contents).
    return ("#" in href and not href.startswith("#") and bool(_SUP_NOTE.match((_all_text(first) or "").rstrip(".")))
            and (len(rest.split()) >= 4 or rest.endswith((".", "!", "?"))))


def _in_quotation(el) -> bool:
    """Whether `el` is inside a blockquote (a letter quoted in a chapter, whose <footer> is "Yours ever, Agnes")."""
    return any(local_name(a.tag) == "blockquote" for a in el.iterancestors())


def is_part_title(text: str) -> bool:
    """'Part One', 'BOOK II', 'Volume 3: ...'."""
    return bool(_PART.match(text))


def is_chapter_title(text: str) -> bool:
    """'Chapter 4', 'CHAPTER IV', 'Chapter Twenty-One: ...', 'Prologue'."""
    return bool(_CHAPTER.match(text))


# -- parsing ------------------------------------------------------------------------------------

def _sniff_encoding(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head = data[:2048]
    m = re.search(rb"""^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)""", head) or \
        re.search(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9._-]+)""", head, re.IGNORECASE)
    if m:
        name = m.group(1).decode("ascii").lower()
        import codecs

        try:
            return codecs.lookup(name).name
        except LookupError:
            pass
    return "utf-8"


def _html_entities_as_numbers(data: bytes) -> bytes:
    """&nbsp; and the other HTML names XML does not know, as numeric references XML parses."""
    def sub(m: re.Match) -> bytes:
        name = m.group(1)
        if name in _XML_ENTITIES:
            return m.group(0)
        code = html.entities.name2codepoint.get(name.decode("ascii"))
        return b"&#%d;" % code if code is not None else m.group(0)

    return _ENTITY.sub(sub, data)


def parse_markup(data: bytes, name: str, *, xml_first: bool = True):
    """An lxml element tree of an XHTML or HTML document.

    Well-formed XHTML is parsed as XML (so `<a id="x"/>` closes itself, as EPUB reading systems read it),
    with HTML entity names allowed; anything else is recovered the way a browser reads HTML. Entities are
    never expanded from a DTD and nothing is fetched from the network.
    """
    from lxml import etree, html as lhtml

    if xml_first:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                                 remove_comments=True, remove_pis=True)
        for attempt in (data, None):
            if attempt is None:
                attempt = _html_entities_as_numbers(data)
                if attempt == data:
                    break
            try:
                root = etree.fromstring(attempt, parser)
            except (etree.XMLSyntaxError, ValueError):
                continue
            if root is not None:
                return root
    encoding = _sniff_encoding(data)
    try:
        text = data.decode(encoding, errors="replace")
    except LookupError:
        text = data.decode("utf-8", errors="replace")
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text)  # lxml.html refuses a str with an encoding declaration
    if not text.strip():
        raise InputError(f"{name}: empty document")
    parser = lhtml.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
    try:
        return lhtml.document_fromstring(text, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise InputError(f"{name}: cannot be read as HTML ({exc})") from None


def local_name(tag) -> str:
    """'p' for '{http://www.w3.org/1999/xhtml}p' or 'P'; '' for comments and processing instructions."""
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2].lower()


def epub_types(el) -> set[str]:
    """The element's epub:type and ARIA role tokens ('doc-' dropped), lowercased; 'z3998:' vocabulary kept."""
    value = (el.get(EPUB_TYPE) or el.get("epub:type") or "") + " " + (el.get("role") or "")
    return {t[4:] if t.startswith("doc-") else t for t in value.lower().split()}


# -- walking ------------------------------------------------------------------------------------

class _Walker:
    """Turns an element tree into Blocks in one recursive pass."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.anchors: dict[str, int] = {}
        self.buf: list[str] = []
        self.buf_ids: list[str] = []
        self.pending_ids: list[str] = []
        self.link_chars = 0
        self.heading = 0  # heading level of the block being gathered, 0 for a paragraph
        self.matter: str | None = None
        self.division: str | None = None
        self.in_link = False
        self.cell = False  # inside a table row: cells are joined with commas
        self.in_hgroup = False  # a heading group's paragraphs are lines of the heading
        self.note_targets: set[str] = set()  # ids the note references left out point at
        self.ao3 = False  # an Archive of Our Own download: its preface, notes and afterword are not the story

    # A block's text so far has words: an anchor met now points at this block, not the next.
    def _buf_has_words(self) -> bool:
        return any(_WORD.search(piece) for piece in self.buf)

    def add_id(self, ident: str) -> None:
        if self._buf_has_words():
            self.buf_ids.append(ident)
        else:
            self.pending_ids.append(ident)

    def flush(self) -> None:
        """End the block being gathered (if it holds words)."""
        if not self.buf:
            return
        raw = "".join(self.buf)
        self.buf = []
        text = clean_text(raw)
        ids = self.buf_ids
        self.buf_ids = []
        link_chars, self.link_chars = self.link_chars, 0
        if not _WORD.search(text) or self.heading == 0 and is_scene_break(text):
            self.pending_ids.extend(ids)
            if text and self.heading == 0 and (_is_ornament(text) or is_scene_break(text)):
                self.add_break()
            return
        level = self.heading
        if not level and len(text) <= 80 and link_chars < 0.3 * len(text.replace(" ", "")):
            # A paragraph that says "CHAPTER IV" or "Part Two" is a heading, whatever its markup (but not a line of
            # a table of contents: "<a>CHAPTER I.</a> The Lane" links to its chapter).
            level = 1 if is_part_title(text) and len(text) <= 60 else 2 if is_chapter_title(text) else 0
        if level:
            text = heading_text(text)
        else:
            text = text.replace(BR, "\n")
        self._emit(Block(HEADING if level else PARA, text, level, [], self.matter, self.division, link_chars), ids)

    def _emit(self, block: Block, ids: list[str] = ()) -> None:
        block.ids = [*self.pending_ids, *ids]
        self.pending_ids = []
        for ident in block.ids:
            self.anchors.setdefault(ident, len(self.blocks))
        self.blocks.append(block)

    def add_break(self) -> None:
        self.flush()
        if self.blocks and self.blocks[-1].kind != BREAK:
            self._emit(Block(BREAK, SCENE_BREAK_TEXT, 0, [], self.matter, self.division))

    def finish(self) -> None:
        self.flush()
        for ident in self.pending_ids:
            self.anchors.setdefault(ident, len(self.blocks))
        self.pending_ids = []

    def walk(self, el) -> None:
        tag = local_name(el.tag)
        if not tag:
            return  # a comment or processing instruction (its tail is read by the parent)
        ident = el.get("id") or (el.get("name") if tag == "a" else None)
        classes = set((el.get("class") or "").lower().split())
        types = epub_types(el) if (el.get(EPUB_TYPE) or el.get("epub:type") or el.get("role")) else set()
        if tag in SKIP_TAGS and not (tag == "footer" and _in_quotation(el)):
            if ident:
                self.add_id(ident)
            return
        if tag == "img" or tag == "image":
            self._image(el)
            return
        if tag in NOTE_BODY_TAGS and (ident and ident in self.note_targets or _opens_with_backlink(el)):
            # The body of a note whose reference was left out ("<p id="n3" class="note">3. A light sleep.</p>"
            # after "...slept<sup><a href="#n3">3</a></sup>"), or one that opens with a link back to it ("<p><a
            # href="ch2.xhtml#r1">[1]</a> A light sleep.</p>", the notes file of a converted book): not heard either.
            for inner in el.iter():
                if local_name(inner.tag) and (inner.get("id") or inner.get("name")):
                    self.add_id(inner.get("id") or inner.get("name"))
            self.flush()
            if self.blocks and _NOTES_HEADING.match(self.blocks[-1].text):
                self.blocks.pop()  # the notes' own heading ("Notes") goes with them
            return
        note_ref = self._note_ref(el, tag, classes, types)
        if note_ref or self._not_read(classes, types):
            if ident:
                self.add_id(ident)
            if note_ref:
                self.note_targets.update(a.get("href")[1:] for a in el.iter() if local_name(a.tag) == "a"
                                         and (a.get("href") or "").startswith("#") and len(a.get("href")) > 1)
            return
        if tag == "br":
            self.buf.append(BR)
            return
        if tag == "hr":
            if ident:
                self.add_id(ident)
            self.add_break()
            return
        saved = (self.matter, self.division, self.heading, self.in_link, self.cell, self.in_hgroup)
        matter = self._matter(el, tag, classes, types)
        if matter:
            self.matter = matter
        division = next((d for d in DIVISIONS if d in types), None)
        if division:
            self.division = division
        block = tag in BLOCK_TAGS
        level = HEADING_TAGS.get(tag) or (self._heading_like(el, tag, classes, types) if tag in ("p", "div") else 0)
        if self.ao3 and level and "heading" in classes:
            self.matter = None  # a chapter's heading, inside the notes block ("meta group") that opens it
        if block:
            self.flush()
            if level:
                self.heading = level
            elif tag == "hgroup":
                self.heading, self.in_hgroup = self.heading or 2, True
            elif not self.in_hgroup and tag != "header":
                self.heading = 0
        if tag == "tr":
            self.cell = True
        elif self.cell and tag in ("td", "th") and self._buf_has_words():
            self.buf.append(", ")
        if ident:
            self.add_id(ident)
        if tag == "a" and el.get("href"):
            self.in_link = True
        smallcaps = not block and (any(_SMALLCAPS_CLASS.match(c) for c in classes)
                                   or "small-caps" in (el.get("style") or "").lower())
        mark = len(self.buf)
        if el.text:
            self._text(el.text)
        for child in el:
            self.walk(child)
            if child.tail:
                self._text(child.tail)
        if smallcaps:
            self._lead_in(mark)
        if block:
            if tag in ("p", "div") and _BREAK_CLASS.search(el.get("class") or "") and not self._buf_has_words():
                self.buf = []
                self.add_break()
            self.flush()
        self.matter, self.division, self.heading, self.in_link, self.cell, self.in_hgroup = saved

    def _text(self, text: str) -> None:
        self.buf.append(text)
        if self.in_link:
            self.link_chars += len(text.strip())

    def _image(self, el) -> None:
        """Images are not read, except a drop-cap letter drawn as an image ('T' before 'he night')."""
        alt = (el.get("alt") or "").strip()
        tail = el.tail or ""
        if len(alt) == 1 and alt.isalpha() and tail[:1].islower():
            self.buf.append(alt)

    def _lead_in(self, mark: int) -> None:
        """A small-caps lead-in written in capitals ('IT WAS a dark night', 'T' + 'HE NIGHT') is read as words."""
        inner = "".join(self.buf[mark:])
        before = "".join(self.buf[:mark]).strip()
        if not inner.strip() or not inner.isupper() or len(before) > 2 or sum(c.isalpha() for c in before) > 1:
            return
        lowered = inner.lower()
        if not any(c.isalpha() for c in before):
            stripped = lowered.lstrip()
            lowered = lowered[:len(lowered) - len(stripped)] + stripped[:1].upper() + stripped[1:]
        self.buf[mark:] = [lowered]

    @staticmethod
    def _not_read(classes: set[str], types: set[str]) -> bool:
        """Elements besides note references a listener should not hear: note bodies, page numbers, links back."""
        return bool(types & {"pagebreak", "biblioref", "backlink"} or classes & PAGE_CLASSES
                    or types & NOTE_TYPES or classes & NOTE_CLASSES or classes & CAPTION_CLASSES)

    @staticmethod
    def _note_ref(el, tag: str, classes: set[str], types: set[str]) -> bool:
        """A note reference: "noteref", a class that says so, or a linked or superscript note mark."""
        if "noteref" in types or classes & NOTEREF_CLASSES:
            return True
        if tag == "a" and "#" in (el.get("href") or "") and _NOTE_MARK.match(_all_text(el)):
            return True
        return tag == "sup" and bool(_SUP_NOTE.match(_all_text(el)))

    def _matter(self, el, tag: str, classes: set[str], types: set[str]) -> str | None:
        parent = el.getparent()
        if self.ao3 and (el.get("id") in ("preface", "afterword") or "meta" in classes and parent is not None
                         and parent.get("id") in ("chapters", "preface", "afterword")):
            # (A "meta" block among the chapters: AO3's own notes; one inside a chapter's text is the story's.)
            # Tags, summary, author's notes, "Chapter Notes", "Please drop by the Archive and comment": not read.
            return "titlepage" if el.get("id") == "preface" else "notes"
        if types & MATTER_TYPES:
            return next(t for t in sorted(types) if t in MATTER_TYPES)
        if "copyright" in types:
            return "copyright-page"
        if tag == "nav":
            return "toc"
        if el.get("id") in BOILERPLATE_IDS or classes & BOILERPLATE_CLASSES:
            return "licence"
        return None

    def _heading_like(self, el, tag: str, classes: set[str], types: set[str]) -> int:
        """The heading level of a paragraph that acts as one (a class or epub:type that says so), else 0."""
        if not (types & HEADING_TYPES or any(_HEADING_CLASS.match(c) for c in classes)):
            return 0
        text = _all_text(el)
        if not _WORD.search(text) or len(text) > 200:
            return 0
        if self.heading:
            return self.heading
        return 1 if is_part_title(text) else 2 if is_chapter_title(text) else 3


def _all_text(el) -> str:
    return "".join(el.itertext())


def _is_ornament(text: str) -> bool:
    """'* * *', '⁂', '❦', '~ ~ ~', '• • •': a paragraph of a few marks and no words is a scene break."""
    marks = text.replace(BR, "").replace(" ", "")
    return 0 < len(marks) <= 12 and not any(c in "\"'“”‘’«»" for c in marks)


def clean_text(raw: str) -> str:
    """Whitespace collapsed (line breaks kept as BR), soft hyphens and zero-width characters dropped."""
    text = raw
    for ch in _DROP:
        if ch in text:
            text = text.replace(ch, "")
    text = " ".join(text.split())  # every Unicode space (no-break, thin, hair...) becomes one plain space
    if BR in text:
        text = re.sub(f" ?{BR} ?", BR, text).strip(" " + BR)
    return text.strip()


def heading_text(text: str) -> str:
    """A heading's lines as one title: 'CHAPTER I' + 'The Storm' -> 'CHAPTER I. The Storm'."""
    lines = [ln.strip() for ln in text.split(BR) if ln.strip()]
    out = ""
    for ln in lines:
        if out:
            out += " " if re.search(r"[.:;!?,—–-]$", out) else ". "
        out += ln
    return out


def document_blocks(root, name: str, ao3: bool = False) -> Document:
    """Blocks and anchors of a parsed document (see parse_markup); front and back matter is marked, not dropped.

    `ao3`: the document is a page of an Archive of Our Own work whatever it says itself (a chapter's file of an
    EPUB split by calibre, whose preface is another file)."""
    walker = _Walker()
    body = None
    title = ""
    language = ""
    meta: dict[str, str] = {}
    for el in root.iter():
        tag = local_name(el.tag)
        if tag == "body" and body is None:
            body = el
        elif tag == "title" and not title:
            title = clean_text(_all_text(el))
        elif tag == "meta" and el.get("name") and el.get("content"):
            meta.setdefault(el.get("name").lower(), el.get("content").strip())
        if body is not None:
            break
    language = root.get("{http://www.w3.org/XML/1998/namespace}lang") or root.get("lang") or ""
    target = body if body is not None else root
    if ao3 or title.endswith(AO3_TITLE_END) or any(local_name(el.tag) == "div" and el.get("id") == "preface"
                                                   and "Archive of Our Own" in _all_text(el) for el in target):
        walker.ao3 = True
        title, meta = _ao3_meta(target, title, meta)
    walker.walk(target)
    walker.finish()
    blocks = walker.blocks
    mark_boilerplate(blocks)
    _mark_link_lists(blocks)
    return Document(name, blocks, walker.anchors, title, language.strip(), meta, walker.ao3)


AO3_TITLE_END = "[Archive of Our Own]"


def _ao3_meta(body, title: str, meta: dict[str, str]) -> tuple[str, dict[str, str]]:
    """An Archive of Our Own work's title (its <h1>, not "Title - author - fandom [Archive of Our Own]"), author
    (the byline's rel="author" links) and summary (the book's description)."""
    meta = dict(meta)
    h1 = next((el for el in body.iter() if local_name(el.tag) == "h1"), None)
    if h1 is not None and clean_text(_all_text(h1)):
        title = clean_text(_all_text(h1))
    elif title.endswith(AO3_TITLE_END):
        title = title[:-len(AO3_TITLE_END)].rsplit(" - ", 2)[0].strip()
    authors = [clean_text(_all_text(a)) for a in body.iter() if local_name(a.tag) == "a" and a.get("rel") == "author"]
    if authors:
        meta["author"] = " & ".join(dict.fromkeys(a for a in authors if a))
    labels = [el for el in body.iter() if local_name(el.tag) == "p" and clean_text(_all_text(el)) == "Summary"]
    if labels:
        nxt = labels[0].getnext()
        if nxt is not None and local_name(nxt.tag) == "blockquote":
            paras = [clean_text(_all_text(p)) for p in nxt if local_name(p.tag) == "p"] or [clean_text(_all_text(nxt))]
            meta["description"] = " ".join(p for p in paras if p)
    return title, meta


PG_START = re.compile(r"\*+\s*START OF TH(?:E|IS) PROJECT GUTENBERG", re.IGNORECASE)
"""Project Gutenberg's line that ends its header ("*** START OF THE PROJECT GUTENBERG EBOOK EMMA ***")."""
_PG_END = re.compile(r"\*+\s*END OF TH(?:E|IS) PROJECT GUTENBERG|End of (?:the )?Project Gutenberg", re.IGNORECASE)


def mark_boilerplate(blocks: list[Block]) -> None:
    """Project Gutenberg's header and licence, when only its text markers say where they are."""
    for i, b in enumerate(blocks):
        if "utenberg" not in b.text and "UTENBERG" not in b.text:
            continue  # most blocks: no need for the slower searches
        if b.matter is None and PG_START.search(b.text):
            for earlier in blocks[:i + 1]:
                earlier.matter = earlier.matter or "licence"
        elif b.matter is None and _PG_END.search(b.text):
            for later in blocks[i:]:
                later.matter = later.matter or "licence"
            return


def _mark_link_lists(blocks: list[Block]) -> None:
    """A run of three or more blocks that are mostly links is a table of contents printed in the text;
    a 'Contents' heading just before it goes with it."""
    def linky(b: Block) -> bool:
        chars = len(b.text.replace(" ", ""))
        # Mostly links; or a chapter's number linked, with its title beside it ("<td><a>CHAPTER I.</a></td>
        # <td>The Lane</td><td>17</td>", Project Gutenberg's tables of contents).
        return b.kind != BREAK and (b.link_chars >= 0.7 * chars or b.link_chars >= 0.3 * chars and len(b.text) <= 120
                                    and (is_chapter_title(b.text) or is_part_title(b.text)))

    i = 0
    while i < len(blocks):
        if not linky(blocks[i]):
            i += 1
            continue
        j = i
        while j < len(blocks) and (linky(blocks[j]) or blocks[j].kind == BREAK):
            j += 1
        one_big = j - i == 1 and blocks[i].link_chars > 200
        if j - i >= 3 or one_big:
            for b in blocks[i:j]:
                b.matter = b.matter or "toc"
            k = i - 1
            while k >= 0 and blocks[k].kind == HEADING and k >= i - 2:
                if re.search(r"\bcontents\b|^\s*toc\s*$|inhalt|table des mati|índice|indice", blocks[k].text, re.I):
                    blocks[k].matter = blocks[k].matter or "toc"
                k -= 1
        i = j
