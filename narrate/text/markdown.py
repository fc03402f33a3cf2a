"""Reading stage: a Markdown file -> blocks (headings, paragraphs, scene breaks), without a Markdown library.

CommonMark's block structure as far as a listener needs it: ATX (`# Title`) and setext (underlined) headings,
paragraphs, block quotes and list items read as paragraphs, thematic breaks as scene breaks, code blocks and
HTML comments skipped; inline emphasis markers, code spans, links and images reduced to the words they show.
A leading YAML front-matter block gives the book's title, author and language. A paragraph of one line that a
plain-text book would take for a heading ("**Chapter One - New Girl**", "Chapter 2: Detention") is one here too.
"""

from __future__ import annotations

import re

from .chat import chat_spans
from .markup import BREAK, HEADING, PARA, SCENE_BREAK_TEXT, Block, Document, clean_text
from .plain import line_headings, line_kind, title_byline
from .segment import is_scene_break

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_THEMATIC = re.compile(r"^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_LIST_ITEM = re.compile(r"^ {0,3}(?:[-+*]|\d{1,9}[.)])[ \t]+")
_QUOTE = re.compile(r"^ {0,3}>[ \t]?")
_FRONT_KEY = re.compile(r"^(title|author|authors|language|lang|description)\s*:\s*(.*)$", re.IGNORECASE)

_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)|!\[[^\]]*\]\[[^\]]*\]")
_LINK = re.compile(r"\[([^\]]*)\]\((?:[^()]|\([^)]*\))*\)|\[([^\]]+)\]\[[^\]]*\]")
_AUTOLINK = re.compile(r"<(?:https?|ftp|mailto):[^>\s]*>")
_FOOTNOTE_REF = re.compile(r"\[\^[^\]]+\]")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_EMPHASIS = re.compile(r"(\*{1,3}|_{1,3})(?=\S)(.+?)(?<=\S)\1(?!\w)")
_STRIKE = re.compile(r"~~(.+?)~~")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_REF_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s+\S+")


def inline_text(text: str) -> str:
    """Markdown inline syntax -> the words it shows."""
    # Escaped punctuation is no syntax: it is set aside (as private-use characters) until the end.
    text = _ESCAPE.sub(lambda m: chr(0xE000 + ord(m.group(1))), text)
    text = re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)
    text = _IMAGE.sub("", text)
    text = _FOOTNOTE_REF.sub("", text)
    text = _LINK.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), text)
    text = _AUTOLINK.sub("", text)
    text = _CODE_SPAN.sub(lambda m: m.group(2).strip(), text)
    text = _TAG.sub("", text)
    for _ in range(3):  # nested emphasis: ***a*** or **_a_**
        text = _EMPHASIS.sub(lambda m: m.group(2), text)
    text = _STRIKE.sub(lambda m: m.group(1), text)
    text = re.sub(r"  +\n|\\\n", "\x00", text)  # hard line breaks
    text = re.sub("[\ue000-\ue07f]", lambda m: chr(ord(m.group()) - 0xE000), text)
    return clean_text(text).replace("\x00", "\n")


def front_matter(lines: list[str]) -> tuple[dict[str, str], int]:
    """Simple `key: value` pairs of a leading YAML block (title, author, language) and the lines it takes."""
    if not lines or lines[0].strip() != "---":
        return {}, 0
    for end in range(1, min(len(lines), 200)):
        if lines[end].strip() in ("---", "..."):
            meta = {}
            for line in lines[1:end]:
                m = _FRONT_KEY.match(line.strip())
                if m:
                    value = m.group(2).strip().strip("\"'")
                    key = {"authors": "author", "lang": "language"}.get(m.group(1).lower(), m.group(1).lower())
                    if value and not value.startswith(("[", "{", "|", ">")):
                        meta.setdefault(key, value)
            return meta, end + 1
    return {}, 0


def _shown_line(line: str) -> str:
    """The words one line shows, as a heading's ("# Title") or a paragraph's."""
    m = _ATX.match(line)
    return inline_text((m.group(2) or "") if m else line.strip())


def markdown_document(text: str, name: str) -> Document:
    """The blocks of a Markdown text, and its front matter as the document's meta."""
    lines = text.split("\n")
    meta, i = front_matter(lines)
    header = title_byline(lines[i:], _shown_line)
    header_end = i + header[2] if header else -1
    if header:
        # "# The Winter Court" / "*By: midnight_ravenclaw_77*" under it: the book's title and author (front matter
        # says them first), not read.
        meta.setdefault("title", header[0])
        meta.setdefault("author", header[1])
    blocks: list[Block] = []
    para: list[str] = []
    kinds: dict[int, tuple[int, str]] = {}  # blocks that are one-line headings, as plain.line_kind reads them
    nested = False  # the paragraph is a list item or a quotation: never a heading
    in_comment = False

    def flush() -> None:
        nonlocal nested
        if para:
            shown = "\n".join(inline_text(line) for line in para)
            if not nested and chat_spans(shown, 0, len(shown)):
                # A chat log: a message a paragraph, as in a .txt (joined, it would be one message).
                blocks.extend(Block(PARA, line) for line in shown.split("\n") if line.strip())
                para.clear()
                nested = False
                return
            content = inline_text("\n".join(para))
            # "**Chapter 2 - Detention**" or "Chapter 2: Detention" alone on its line (the way fan fiction sites
            # export chapters) is a heading as it is in a .txt; "**Stop.**" stays a line of the story.
            kind = line_kind(content) if len(para) == 1 and not nested else None
            para.clear()
            if kind:
                kinds[len(blocks)] = kind
                blocks.append(Block(HEADING, content, kind[0]))
            elif is_scene_break(content):
                scene_break()  # a fan fiction's divider of letters ("-x-x-x-", "oOoOo"), no words
            elif re.search(r"\w", content):
                blocks.append(Block(PARA, content))
        nested = False

    def heading(level: int, raw: str) -> None:
        flush()
        content = inline_text(raw).replace("\n", " ")
        if re.search(r"\w", content):
            blocks.append(Block(HEADING, content, level))

    def scene_break() -> None:
        flush()
        if blocks and blocks[-1].kind != BREAK:
            blocks.append(Block(BREAK, SCENE_BREAK_TEXT))

    def title_page() -> None:
        flush()
        for b in blocks:
            b.matter = b.matter or "titlepage"

    while i < len(lines):
        if i == header_end:
            title_page()
        line = lines[i].rstrip("\r")
        i += 1
        if in_comment:
            in_comment = "-->" not in line
            continue
        if line.lstrip().startswith("<!--"):
            flush()
            in_comment = "-->" not in line
            continue
        if _FENCE.match(line):
            # In a story a line of ~~~ (or ```) is a scene break, not a code fence: read as a fence, it would
            # hide everything up to the next one (the rest of the book, when there is none) from the listener.
            scene_break()
            continue
        if not line.strip():
            flush()
            continue
        # An indented line is a paragraph indented as a novel's are (a tab, four spaces), not a code block: read.
        line = line.strip() if not para else line
        m = _ATX.match(line)
        if m:
            heading(len(m.group(1)), m.group(2) or "")
            continue
        setext = _SETEXT.match(line)
        if setext and para:
            raw = "\n".join(para)
            para.clear()
            heading(1 if setext.group(1).startswith("=") else 2, raw)
            continue
        if _THEMATIC.match(line):
            scene_break()
            continue
        if _REF_DEF.match(line) and not para:
            continue
        quote = _QUOTE.match(line)
        if quote:
            nested = True
            line = line[quote.end():]
            if not line.strip():
                flush()
                continue
        item = _LIST_ITEM.match(line)
        if item:
            flush()
            nested = True
            line = line[item.end():]
        para.append(line.strip())
    if header_end == len(lines):
        title_page()
    flush()
    line_headings(blocks, [kinds.get(k) for k in range(len(blocks))])
    while blocks and blocks[-1].kind == BREAK:
        blocks.pop()
    return Document(name, blocks, {}, meta.get("title", ""), meta.get("language", ""),
                    {k: v for k, v in meta.items() if k in ("author", "description")})
