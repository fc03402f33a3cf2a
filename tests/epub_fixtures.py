"""EPUB fixtures built in code: the zip, container, package, navigation and XHTML documents a test asks for."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

# A 1x1 PNG and a tiny JPEG header: enough for the covers' magic numbers.
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00"
       b"\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def xhtml(body: str, title: str = "", body_type: str = "", lang: str = "en", head: str = "") -> str:
    """A full XHTML content document around `body` (the markup inside <body>)."""
    typ = f' epub:type="{body_type}"' if body_type else ""
    return ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
            f'<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" xml:lang="{lang}">\n'
            f"<head><title>{escape(title)}</title>{head}</head>\n<body{typ}>\n{body}\n</body>\n</html>\n")


def paragraphs(words: str, n: int, start: int = 1) -> str:
    """`n` distinct paragraphs of prose, numbered so each is its own text."""
    return "\n".join(f"<p>Paragraph {i} says that {words} walked on through the long grey evening, "
                     f"and nobody followed.</p>" for i in range(start, start + n))


def nav_list(entries) -> str:
    """Nested <ol> for a nav toc: entries are (label, href) or (label, href, [children])."""
    items = []
    for entry in entries:
        label, href, *rest = entry
        sub = nav_list(rest[0]) if rest and rest[0] else ""
        link = f'<a href="{href}">{escape(label)}</a>' if href is not None else f"<span>{escape(label)}</span>"
        items.append(f"<li>{link}{sub}</li>")
    return "<ol>" + "".join(items) + "</ol>"


def ncx_points(entries, counter=None) -> str:
    counter = counter if counter is not None else [0]
    out = []
    for entry in entries:
        label, href, *rest = entry
        counter[0] += 1
        sub = ncx_points(rest[0], counter) if rest and rest[0] else ""
        out.append(f'<navPoint id="np{counter[0]}" playOrder="{counter[0]}"><navLabel><text>{escape(label)}</text>'
                   f'</navLabel><content src="{href}"/>{sub}</navPoint>')
    return "".join(out)


@dataclass
class Epub:
    """An EPUB to write: documents in spine order plus whatever package details a test needs."""

    docs: list[tuple[str, str]]
    """(file name under OEBPS/, full XHTML text) in reading order."""
    title: str = "A Test Book"
    authors: tuple[str, ...] = ("Ann Author",)
    language: str = "en"
    description: str = ""
    toc: list | None = None
    """Entries for the EPUB 3 nav (and the NCX unless `ncx` is given); None: no contents at all."""
    ncx: list | None = None
    """Entries for an NCX of its own (EPUB 2 when `version` is 2.0)."""
    version: str = "3.0"
    cover: bytes | None = None
    cover_style: str = "epub3"
    """"epub3": the cover-image property; "epub2": <meta name="cover">."""
    landmarks: list[tuple[str, str]] = field(default_factory=list)
    """(epub:type, href) entries of the nav's landmarks."""
    guide: list[tuple[str, str]] = field(default_factory=list)
    """(type, href) references of an EPUB 2 guide."""
    nonlinear: tuple[str, ...] = ()
    extra: dict[str, bytes] = field(default_factory=dict)
    """More zip entries, by full zip name (fonts, META-INF files)."""
    manifest_extra: list[tuple[str, str, str]] = field(default_factory=list)
    """(id, href, media-type) items listed in the manifest only."""
    leave_out: tuple[str, ...] = ()
    """Documents listed in the manifest and spine but not written to the zip."""

    def write(self, path: Path) -> Path:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")
            zf.writestr("META-INF/container.xml", CONTAINER)
            zf.writestr("OEBPS/content.opf", self.opf())
            if self.toc is not None and self.version.startswith("3"):
                zf.writestr("OEBPS/nav.xhtml", self.nav())
            ncx = self.ncx if self.ncx is not None else self.toc
            if ncx is not None:
                zf.writestr("OEBPS/toc.ncx", NCX.format(title=escape(self.title), points=ncx_points(ncx)))
            for name, text in self.docs:
                if name not in self.leave_out:
                    zf.writestr(f"OEBPS/{name}", text)
            if self.cover:
                zf.writestr(f"OEBPS/images/cover.{self._cover_ext()}", self.cover)
            for name, data in self.extra.items():
                zf.writestr(name, data)
        return path

    def _cover_ext(self) -> str:
        return "png" if self.cover and self.cover.startswith(b"\x89PNG") else "jpg"

    def nav(self) -> str:
        landmarks = ""
        if self.landmarks:
            items = "".join(f'<li><a epub:type="{t}" href="{h}">{t}</a></li>' for t, h in self.landmarks)
            landmarks = f'<nav epub:type="landmarks"><ol>{items}</ol></nav>'
        return xhtml(f'<nav epub:type="toc" id="toc"><h2>Contents</h2>{nav_list(self.toc)}</nav>{landmarks}',
                     "Contents")

    def opf(self) -> str:
        items, spine = [], []
        for n, (name, _) in enumerate(self.docs):
            items.append(f'<item id="d{n}" href="{name}" media-type="application/xhtml+xml"/>')
            linear = ' linear="no"' if name in self.nonlinear else ""
            spine.append(f'<itemref idref="d{n}"{linear}/>')
        if self.toc is not None and self.version.startswith("3"):
            items.append('<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>')
        if self.toc is not None or self.ncx is not None:
            items.append('<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>')
        meta = ""
        if self.cover:
            ext = self._cover_ext()
            media = "image/png" if ext == "png" else "image/jpeg"
            props = ' properties="cover-image"' if self.cover_style == "epub3" else ""
            items.append(f'<item id="cover-img" href="images/cover.{ext}" media-type="{media}"{props}/>')
            if self.cover_style == "epub2":
                meta = '<meta name="cover" content="cover-img"/>'
        for ident, href, media in self.manifest_extra:
            items.append(f'<item id="{ident}" href="{href}" media-type="{media}"/>')
        creators = "".join(f"<dc:creator>{escape(a)}</dc:creator>" for a in self.authors)
        desc = f"<dc:description>{escape(self.description)}</dc:description>" if self.description else ""
        toc_attr = ' toc="ncx"' if self.toc is not None or self.ncx is not None else ""
        guide = ""
        if self.guide:
            guide = "<guide>" + "".join(f'<reference type="{t}" href="{h}" title="{t}"/>' for t, h in self.guide) \
                + "</guide>"
        return (f'<?xml version="1.0" encoding="utf-8"?>\n<package xmlns="http://www.idpf.org/2007/opf" '
                f'version="{self.version}" unique-identifier="uid"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
                f'<dc:identifier id="uid">urn:uuid:1234</dc:identifier><dc:title>{escape(self.title)}</dc:title>'
                f"{creators}<dc:language>{self.language}</dc:language>{desc}{meta}</metadata>"
                f'<manifest>{"".join(items)}</manifest><spine{toc_attr}>{"".join(spine)}</spine>{guide}</package>')


CONTAINER = ('<?xml version="1.0"?>\n<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
             '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
             "</rootfiles></container>")
NCX = ('<?xml version="1.0" encoding="utf-8"?>\n<ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1">'
       '<head><meta name="dtb:uid" content="urn:uuid:1234"/></head><docTitle><text>{title}</text></docTitle>'
       "<navMap>{points}</navMap></ncx>")


def chapter_doc(n: int, title: str, paras: int = 3, words: str = "Anna", heading: str = "h2") -> str:
    """A content document holding one chapter with a heading."""
    return xhtml(f'<section id="chapter-{n}" epub:type="chapter"><{heading}>{escape(title)}</{heading}>'
                 f"{paragraphs(words, paras)}</section>", title, "bodymatter")


def novel(n: int = 3, **kwargs) -> Epub:
    """A typical small EPUB 3: cover, title page, imprint, n chapters in their own files, colophon, licence."""
    docs = [
        ("titlepage.xhtml", xhtml('<section epub:type="titlepage"><h1>A Test Book</h1><p>Ann Author</p></section>',
                                  "Titlepage", "frontmatter")),
        ("imprint.xhtml", xhtml('<section epub:type="imprint"><h2>Imprint</h2><p>This ebook is the product of '
                                'many hours of volunteer work. Released under the CC0 dedication.</p></section>',
                                "Imprint", "frontmatter")),
    ]
    docs += [(f"chapter-{i}.xhtml", chapter_doc(i, f"Chapter {i}", words=f"person {i}")) for i in range(1, n + 1)]
    docs += [
        ("colophon.xhtml", xhtml('<section epub:type="colophon"><h2>Colophon</h2><p>A Test Book was published in '
                                 "1900. This ebook was produced by volunteers and typeset in a nice font.</p></section>",
                                 "Colophon", "backmatter")),
        ("uncopyright.xhtml", xhtml('<section epub:type="copyright-page"><h2>Uncopyright</h2><p>May you do good '
                                    "and not evil. The source text is in the public domain.</p></section>",
                                    "Uncopyright", "backmatter")),
    ]
    toc = [("Titlepage", "titlepage.xhtml"), ("Imprint", "imprint.xhtml")]
    toc += [(f"Chapter {i}", f"chapter-{i}.xhtml") for i in range(1, n + 1)]
    toc += [("Colophon", "colophon.xhtml"), ("Uncopyright", "uncopyright.xhtml")]
    kwargs.setdefault("toc", toc)
    kwargs.setdefault("landmarks", [("bodymatter", "chapter-1.xhtml")])
    return Epub(docs, **kwargs)
