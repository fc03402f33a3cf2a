"""Reading stage: an EPUB (2 or 3) -> its package: metadata, spine documents, contents trees, cover.

The zip is read defensively (it is never extracted): entry count, sizes and compression ratio are capped,
names that climb out of the book (`..`, absolute paths) are refused, and DRM-encrypted content documents are
refused with a clear message, while font obfuscation (which hides only fonts) reads as usual. Every problem
is an InputError naming the file.
"""

from __future__ import annotations

import logging
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..errors import InputError
from .markup import Document, document_blocks, epub_types, local_name, parse_markup

log = logging.getLogger(__name__)

MAX_ENTRIES = 10_000
"""More files than any book has: a zip bomb of many small entries."""
MAX_ENTRY_BYTES = 64 * 2**20
"""The largest single document, image or package file read (expanded)."""
MAX_TOTAL_BYTES = 1024 * 2**20
"""The most the whole zip may declare when expanded."""
MAX_RATIO = 200
"""Expanded / compressed size beyond which a large entry is a zip bomb (text compresses some 3-10 times)."""
RATIO_FLOOR = 2**20
"""Entries smaller than this expanded are not judged by their ratio."""

CONTAINER = "META-INF/container.xml"
ENCRYPTION = "META-INF/encryption.xml"
OBFUSCATION = {"http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC"}
"""Font obfuscation algorithms: fonts only, not DRM."""
DRM_MARKERS = {"META-INF/rights.xml": "Adobe ADEPT", "META-INF/sinf.xml": "Apple FairPlay",
               "META-INF/license.lcpl": "Readium LCP"}
XHTML_TYPES = {"application/xhtml+xml", "text/html", "application/x-dtbook+xml"}
NCX_TYPE = "application/x-dtbncx+xml"
IMAGE_TYPES = {"image/jpeg": ".jpg", "image/jpg": ".jpg", "image/png": ".png"}
DC = "http://purl.org/dc/elements/1.1/"


@dataclass
class TocNode:
    """One contents entry: its label, where it points (zip name and fragment) and the entries under it."""

    label: str
    href: str
    fragment: str = ""
    children: list[TocNode] = field(default_factory=list)


@dataclass
class SpineItem:
    name: str
    """Zip name of the document."""
    linear: bool = True
    properties: str = ""


@dataclass
class Package:
    """What narrate needs from an EPUB: metadata, the spine, the contents trees and the reference landmarks."""

    path: Path
    title: str = ""
    authors: list[str] = field(default_factory=list)
    language: str = ""
    description: str = ""
    cover_name: str | None = None
    """Zip name of the cover image (JPEG or PNG), if the package names one."""
    spine: list[SpineItem] = field(default_factory=list)
    nav: list[TocNode] | None = None
    """The EPUB 3 navigation document's toc, if there is one."""
    ncx: list[TocNode] | None = None
    """The EPUB 2 NCX navMap, if there is one."""
    nav_name: str | None = None
    landmarks: dict[str, str] = field(default_factory=dict)
    """Zip name (fragment dropped) -> landmark or guide type ("cover", "toc", "bodymatter", "text", ...)."""
    body_start: str | None = None
    """Zip name where the landmarks or the guide say the body text starts."""
    ao3: bool = False
    """An Archive of Our Own download (its publisher, or its address as identifier or source)."""


class EpubArchive:
    """A size-checked, read-only view of the EPUB's zip."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.zip = zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            raise InputError(f"{path}: not an EPUB (not a zip file)") from None
        except OSError as exc:
            raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
        infos = self.zip.infolist()
        if len(infos) > MAX_ENTRIES:
            raise InputError(f"{path}: {len(infos)} files in the zip (at most {MAX_ENTRIES}); not a book")
        total = 0
        self.names: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = info.filename
            if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or \
                    ".." in re.split(r"[/\\]", name):
                raise InputError(f"{path}: unsafe file name in the zip ({name!r} points outside the book)")
            total += info.file_size
            if info.file_size > MAX_ENTRY_BYTES:
                raise InputError(f"{path}: {name} expands to {info.file_size // 2**20} MB "
                                 f"(at most {MAX_ENTRY_BYTES // 2**20} MB per file)")
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise InputError(f"{path}: {name} expands {info.file_size // max(info.compress_size, 1)} times; "
                                 "a zip bomb, not a book")
            self.names[name] = info
        if total > MAX_TOTAL_BYTES:
            raise InputError(f"{path}: expands to {total // 2**20} MB (at most {MAX_TOTAL_BYTES // 2**20} MB)")
        self._folded = {n.casefold(): n for n in self.names}

    def find(self, name: str) -> str | None:
        """The zip name for `name`, matched exactly, else ignoring case (as many reading systems do)."""
        if name in self.names:
            return name
        return self._folded.get(name.casefold())

    def read(self, name: str) -> bytes:
        """An entry's bytes, never more than MAX_ENTRY_BYTES whatever its header says."""
        info = self.names[name]
        if info.flag_bits & 0x1:
            raise InputError(f"{self.path}: {name} is encrypted (a password-protected zip); narrate cannot read it")
        try:
            with self.zip.open(info) as fh:
                data = fh.read(MAX_ENTRY_BYTES + 1)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            raise InputError(f"{self.path}: {name} is damaged in the zip ({exc})") from None
        except RuntimeError as exc:  # an encrypted entry
            raise InputError(f"{self.path}: {name} cannot be read ({exc})") from None
        if len(data) > MAX_ENTRY_BYTES:
            raise InputError(f"{self.path}: {name} expands past {MAX_ENTRY_BYTES // 2**20} MB; a zip bomb, not a book")
        return data

    def close(self) -> None:
        self.zip.close()


def _xml(data: bytes, what: str):
    """Parse package XML (OPF, NCX, container): strictly, else with libxml2's recovery; never a DTD or network."""
    from lxml import etree

    for recover in (False, True):
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, recover=recover,
                                 remove_comments=True, remove_pis=True)
        try:
            root = etree.fromstring(data, parser)
        except (etree.XMLSyntaxError, ValueError):
            continue
        if root is not None:
            return root
    raise InputError(f"{what}: not readable XML")


def _children(el, name: str):
    name = name.lower()
    return [c for c in el if local_name(c.tag) == name]


def _find_all(el, name: str):
    name = name.lower()
    return [c for c in el.iter() if local_name(c.tag) == name]


def _text(el) -> str:
    return " ".join("".join(el.itertext()).split())


def resolve(base: str, href: str) -> tuple[str, str]:
    """(zip name, fragment) of a link `href` written in the document `base`; ('', '') for an outside URL."""
    parts = urlsplit(href.strip())
    if parts.scheme or parts.netloc:
        return "", ""
    path = unquote(parts.path)
    if not path:
        return base, unquote(parts.fragment)
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(base), path))
    if joined.startswith("../") or joined == "..":
        return "", ""
    return joined.lstrip("/"), unquote(parts.fragment)


def open_package(path: Path, archive: EpubArchive) -> tuple[Package, dict[str, tuple[str, str]]]:
    """Read container, OPF, encryption and contents; return the package and its manifest (name -> (id, type))."""
    names = archive.names
    container = archive.find(CONTAINER)
    opf_name = None
    if container:
        root = _xml(archive.read(container), f"{path}: {CONTAINER}")
        for rootfile in _find_all(root, "rootfile"):
            full = rootfile.get("full-path") or ""
            media = rootfile.get("media-type") or "application/oebps-package+xml"
            if full and media == "application/oebps-package+xml":
                opf_name = archive.find(full.lstrip("/"))
                if opf_name:
                    break
    if opf_name is None:
        opfs = [n for n in names if n.lower().endswith(".opf")]
        if len(opfs) == 1:  # no (or a wrong) container.xml, but one package file: what readers open
            opf_name = opfs[0]
        elif not container:
            raise InputError(f"{path}: a zip, but not an EPUB (no {CONTAINER})")
        else:
            raise InputError(f"{path}: {CONTAINER} names no package file (.opf) that is in the zip")
    opf = _xml(archive.read(opf_name), f"{path}: {opf_name}")
    pkg = Package(path)
    manifest: dict[str, tuple[str, str]] = {}  # id -> (zip name, media type)
    props: dict[str, str] = {}
    by_name: dict[str, str] = {}
    for item in _find_all(opf, "item"):
        ident, href = item.get("id") or "", item.get("href") or ""
        if not href:
            continue
        name, _ = resolve(opf_name, href)
        if not name:
            continue
        media = (item.get("media-type") or "").lower()
        manifest[ident] = (name, media)
        props[ident] = item.get("properties") or ""
        by_name[name] = ident
    _check_drm(path, archive, {name for name, media in manifest.values() if media in XHTML_TYPES | {NCX_TYPE}})
    _read_metadata(pkg, opf, manifest, props)
    spine_el = next(iter(_find_all(opf, "spine")), None)
    if spine_el is None:
        raise InputError(f"{path}: {opf_name} has no spine (the reading order)")
    missing = []
    for ref in _children(spine_el, "itemref"):
        entry = manifest.get(ref.get("idref") or "")
        if entry is None:
            log.warning("%s: spine item %r is not in the manifest; skipped", path, ref.get("idref"))
            continue
        name, media = entry
        actual = archive.find(name)
        if actual is None:
            missing.append(name)
            continue
        pkg.spine.append(SpineItem(actual, (ref.get("linear") or "yes").lower() != "no", ref.get("properties") or ""))
    if missing:
        raise InputError(f"{path}: {missing[0]} is in the reading order but missing from the zip"
                         + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
    if not pkg.spine:
        raise InputError(f"{path}: the reading order (spine) lists no document")
    _read_guide(pkg, opf, opf_name, archive)
    nav_id = next((i for i, p in props.items() if "nav" in p.split()), None)
    if nav_id and archive.find(manifest[nav_id][0]):
        pkg.nav_name = archive.find(manifest[nav_id][0])
        _read_nav(pkg, archive)
    ncx_id = spine_el.get("toc") or next((i for i, (_, m) in manifest.items() if m == NCX_TYPE), None)
    if ncx_id in manifest and archive.find(manifest[ncx_id][0]):
        try:
            pkg.ncx = _read_ncx(archive, archive.find(manifest[ncx_id][0]))
        except InputError as exc:
            log.warning("%s; its contents are not used", exc)
    return pkg, manifest


def _check_drm(path: Path, archive: EpubArchive, documents: set[str]) -> None:
    """Refuse a book whose content documents are encrypted; obfuscated fonts are fine."""
    enc = archive.find(ENCRYPTION)
    if enc is None:
        return
    root = _xml(archive.read(enc), f"{path}: {ENCRYPTION}")
    for data in _find_all(root, "EncryptedData"):
        method = next(iter(_find_all(data, "EncryptionMethod")), None)
        algorithm = method.get("Algorithm") if method is not None else ""
        ref = next(iter(_find_all(data, "CipherReference")), None)
        uri = unquote(ref.get("URI") or "") if ref is not None else ""
        if algorithm in OBFUSCATION:
            continue
        target = archive.find(uri.lstrip("/")) or uri
        if target in documents or target.lower().endswith((".xhtml", ".html", ".htm", ".xml", ".ncx", ".opf")):
            scheme = next((label for marker, label in DRM_MARKERS.items() if archive.find(marker)), None)
            what = f"{scheme} DRM" if scheme else "DRM"
            raise InputError(f"{path}: the text is encrypted ({what}); narrate reads only DRM-free books "
                             f"({target} is encrypted)")


def _meta_refines(opf) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for meta in _find_all(opf, "meta"):
        refines, prop = meta.get("refines"), meta.get("property")
        if refines and prop:
            out.setdefault(refines.lstrip("#"), {})[prop] = _text(meta)
    return out


def _read_metadata(pkg: Package, opf, manifest: dict, props: dict) -> None:
    metadata = next(iter(_find_all(opf, "metadata")), opf)
    refines = _meta_refines(opf)

    def dc(name: str):
        return [e for e in metadata.iter() if isinstance(e.tag, str) and e.tag == f"{{{DC}}}{name}"]

    titles = [(e, _text(e)) for e in dc("title") if _text(e)]
    main = [t for e, t in titles if refines.get(e.get("id") or "", {}).get("title-type") == "main"]
    pkg.title = (main or [t for _, t in titles] or [""])[0]
    for e in dc("creator"):
        name = _text(e)
        role = e.get("{http://www.idpf.org/2007/opf}role") or e.get("role") or \
            refines.get(e.get("id") or "", {}).get("role") or "aut"
        if name and role.lower() == "aut" and name not in pkg.authors:
            pkg.authors.append(name)
    pkg.ao3 = any("Archive of Our Own" in _text(e) for e in dc("publisher")) or any(
        "archiveofourown.org" in _text(e) for name in ("identifier", "source") for e in dc(name))
    langs = [_text(e) for e in dc("language") if _text(e)]
    pkg.language = langs[0] if langs else ""
    descs = [e for e in dc("description")]
    if descs:
        pkg.description = description_text("".join(descs[0].itertext()))
    # The cover: EPUB 3's cover-image property, else EPUB 2's <meta name="cover">, else an item called cover.
    cover_id = next((i for i, p in props.items() if "cover-image" in p.split()), None)
    if cover_id is None:
        for meta in _find_all(metadata, "meta"):
            if (meta.get("name") or "").lower() == "cover" and meta.get("content"):
                content = meta.get("content")
                cover_id = content if content in manifest else \
                    next((i for i, (n, _) in manifest.items() if n.endswith(content)), None)
                break
    if cover_id is None:
        cover_id = next((i for i, (_, m) in manifest.items()
                         if i.lower() in ("cover", "cover-image", "coverimage", "cover-jpg", "cover.jpg")
                         and m in IMAGE_TYPES), None)
    if cover_id in manifest and manifest[cover_id][1] in IMAGE_TYPES:
        pkg.cover_name = manifest[cover_id][0]


def description_text(value: str) -> str:
    """A description as plain text: publishers often put escaped HTML in dc:description."""
    if "<" in value and ">" in value:
        try:
            root = parse_markup(f"<div>{value}</div>".encode(), "description", xml_first=False)
            value = " ".join(root.itertext())
        except InputError:
            value = re.sub(r"<[^>]+>", " ", value)
    return " ".join(value.split())


GUIDE_TYPES = {"cover": "cover", "title-page": "titlepage", "copyright-page": "copyright-page", "toc": "toc",
               "colophon": "colophon", "index": "index", "dedication": "dedication", "epigraph": "epigraph",
               "text": "bodymatter", "start": "bodymatter", "loi": "loi", "lot": "lot", "notes": "endnotes"}


def _read_guide(pkg: Package, opf, opf_name: str, archive: EpubArchive) -> None:
    for ref in _find_all(opf, "reference"):
        kind = GUIDE_TYPES.get((ref.get("type") or "").lower())
        name, _ = resolve(opf_name, ref.get("href") or "")
        name = archive.find(name) if name else None
        if kind and name:
            if kind == "bodymatter":
                pkg.body_start = pkg.body_start or name
            else:
                pkg.landmarks.setdefault(name, kind)


def _nav_list(ol, base: str) -> list[TocNode]:
    out = []
    for li in _children(ol, "li"):
        link = next((c for c in li.iter() if local_name(c.tag) in ("a", "span")), None)
        sub = next((c for c in li if local_name(c.tag) == "ol"), None)
        children = _nav_list(sub, base) if sub is not None else []
        if link is None:
            out.extend(children)
            continue
        label = _text(link)
        name, fragment = resolve(base, link.get("href") or "") if local_name(link.tag) == "a" else ("", "")
        out.append(TocNode(label, name, fragment, children))
    return out


def _read_nav(pkg: Package, archive: EpubArchive) -> None:
    try:
        root = parse_markup(archive.read(pkg.nav_name), f"{pkg.path}: {pkg.nav_name}")
    except InputError as exc:
        log.warning("%s; the EPUB 3 contents are not used", exc)
        return
    navs = [n for n in root.iter() if local_name(n.tag) == "nav"]
    toc = next((n for n in navs if "toc" in epub_types(n)), None)
    if toc is None and navs and not any(epub_types(n) for n in navs):
        toc = navs[0]
    if toc is not None:
        ol = next((c for c in toc.iter() if local_name(c.tag) == "ol"), None)
        pkg.nav = _nav_list(ol, pkg.nav_name) if ol is not None else []
    for nav in navs:
        if "landmarks" not in epub_types(nav):
            continue
        for a in nav.iter():
            if local_name(a.tag) != "a":
                continue
            name, _ = resolve(pkg.nav_name, a.get("href") or "")
            name = archive.find(name) if name else None
            if not name:
                continue
            for kind in epub_types(a):
                if kind == "bodymatter":
                    pkg.body_start = pkg.body_start or name
                elif kind in GUIDE_TYPES.values() or kind in ("halftitlepage", "imprint", "endnotes"):
                    pkg.landmarks.setdefault(name, kind)


def _read_ncx(archive: EpubArchive, name: str) -> list[TocNode]:
    root = _xml(archive.read(name), f"{archive.path}: {name}")
    nav_map = next(iter(_find_all(root, "navMap")), None)

    def points(el) -> list[TocNode]:
        out = []
        for point in _children(el, "navPoint"):
            label_el = next(iter(_find_all(point, "text")), None)
            content = next((c for c in point if local_name(c.tag) == "content"), None)
            target, fragment = resolve(name, content.get("src") or "") if content is not None else ("", "")
            out.append(TocNode(_text(label_el) if label_el is not None else "", target, fragment, points(point)))
        return out

    return points(nav_map) if nav_map is not None else []


def read_documents(pkg: Package, archive: EpubArchive) -> list[Document]:
    """Every spine document parsed into blocks, in reading order."""
    docs = []
    # AO3's notes and afterword are known by its classes and ids (see markup._Walker._matter); in an EPUB split into
    # a file per chapter, only the package or the preface's file says the work is AO3's, and all files follow.
    ao3 = pkg.ao3
    for item in pkg.spine:
        data = archive.read(item.name)
        if not data.strip():
            docs.append(Document(item.name, [], {}))
            continue
        try:
            root = parse_markup(data, f"{pkg.path}: {item.name}")
        except InputError as exc:
            # Nothing a browser could show (binary noise, no element at all): an empty page, not a dead book.
            log.warning("%s; read as an empty page", exc)
            docs.append(Document(item.name, [], {}))
            continue
        docs.append(document_blocks(root, item.name, ao3))
        ao3 = ao3 or docs[-1].ao3
    return docs
