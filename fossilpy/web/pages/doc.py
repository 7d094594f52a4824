"""/doc/CHECKIN/FILE: documents kept in the repository, shown as web pages.

Fossil 2.21's ``doc_page`` (``src/doc.c``, ``www/embeddeddoc.wiki``).
CHECKIN is anything :mod:`fossilpy.repo.names` resolves (a hash prefix, a
branch or tag, ``tip``, ``trunk``, a date), or ``latest`` (the newest
check-in holding FILE), or ``ckout``: without a check-out (fossilpy never
serves one) that is ``tip``, as in Fossil.  FILE ending in ``/`` (or a bare
CHECKIN) tries ``index.html``, ``index.wiki``, ``index.md`` in turn; when
nothing is found, ``404.md`` at the top of the check-in is shown with
status 404, else a "Document ... not found" page.

How FILE is shown depends on its type, from its suffix (Fossil's table in
``mimetype_from_name``, the ``mimetypes`` setting first) or ``mimetype=``:

* ``text/x-fossil-wiki`` (``.wiki``): Fossil wiki; a leading
  ``<title>...</title>`` is the page title;
* ``text/x-markdown`` (``.md``): Markdown; a header at the very start is
  the page title and is not repeated in the text;
* ``text/plain``: escaped, preformatted;
* ``text/x-pikchr`` (``.pikchr``): the diagram drawn as SVG;
* ``text/html`` starting with ``<div class='fossil-doc' data-title='T'>``:
  inside the site frame with title T;
* anything else (images, other HTML, ...): the file itself with its type.

In Markdown and framed HTML, ``href="$ROOT/..."`` and ``action="$ROOT/..."``
become links under the repository and ``.../doc/$CURRENT/...`` names the
check-in of the URL.  Script never runs: wiki and Markdown go through
fossilpy's renderers, framed HTML through the sanitizer, and a file sent as
it is carries a Content-Security-Policy without script sources.
"""

from __future__ import annotations

import html as htmlmod
import re
from typing import TYPE_CHECKING

from fossilpy.markup import sanitize, wikirender
from fossilpy.repo import content
from fossilpy.repo.names import AMBIGUOUS
from fossilpy.web import names
from fossilpy.web.render import link_facts
from fossilpy.web.request import Response
from fossilpy.web.routes import Context, PageSet

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo

pages = PageSet()

#: What a file sent as it is may do: show images and styles, run nothing.
RAW_CSP = "default-src 'self' data:; script-src 'none'; style-src 'self' 'unsafe-inline'; img-src * data:"

#: Names tried for a directory, in order.
INDEX_NAMES = ("index.html", "index.wiki", "index.md")

#: Fossil's suffix table (``mimetype_from_name``): "type=suffix,suffix" groups.
_TABLE = """
    application/SLA=stl application/STEP=step,stp application/acad=dwg application/andrew-inset=ez
    application/clariscad=ccad application/drafting=drw application/dsptype=tsp application/dxf=dxf
    application/i-deas=unv application/java-archive=jar application/json=json
    application/mac-binhex40=hqx application/mac-compactpro=cpt application/mspowerpoint=pot,pps,ppt,ppz
    application/msword=doc,dot application/octet-stream=bin,class,dms,exe,lha,lzh application/oda=oda
    application/ogg=ogg,ogm application/pdf=pdf application/pgp=pgp application/postscript=ai,eps,ps
    application/pro_eng=prt application/set=set application/smil=smi,smil application/solids=sol
    application/vda=vda application/vnd.ms-excel=xlc,xll,xlm,xls,xlw
    application/vnd.oasis.opendocument.presentation=odp
    application/vnd.oasis.opendocument.spreadsheet=ods application/vnd.oasis.opendocument.text=odt
    application/vnd.rim.cod=cod application/wasm=wasm application/x-arj-compressed=arj
    application/x-bcpio=bcpio application/x-bzip=bzip application/x-bzip2=bz2 application/x-cdlink=vcd
    application/x-chess-pgn=pgn application/x-cpio=cpio application/x-csh=csh
    application/x-debian-package=deb application/x-director=dcr,dir,dxr application/x-dvi=dvi
    application/x-freelance=pre application/x-futuresplash=spl application/x-gtar=gtar
    application/x-gzip=gz application/x-hdf=hdf application/x-ipix=ipx application/x-ipscript=ips
    application/x-koan=skd,skm,skp,skt application/x-latex=latex application/x-lisp=lsp
    application/x-lotusscreencam=scm application/x-mif=mif application/x-msdos-program=bat,com
    application/x-netcdf=cdf,nc application/x-perl=pl,pm application/x-rar-compressed=rar
    application/x-sh=sh application/x-shar=shar application/x-shockwave-flash=swf
    application/x-stuffit=sit application/x-sv4cpio=sv4cpio application/x-sv4crc=sv4crc
    application/x-tar=tar application/x-tar-gz=tgz application/x-tcl=tcl application/x-tex=tex
    application/x-texinfo=texi,texinfo application/x-th1=th1 application/x-troff=roff,t,tr
    application/x-troff-me=me application/x-troff-ms=ms application/x-ustar=ustar
    application/x-wais-source=src application/zip=zip audio/TSP-audio=tsi audio/basic=snd
    audio/midi=kar,mid,midi audio/mpeg=mp2,mp3,mpga audio/ulaw=au audio/x-aiff=aif,aifc,aiff
    audio/x-mpegurl=m3u audio/x-ms-wax=wax audio/x-ms-wma=wma audio/x-pn-realaudio=ram,rm
    audio/x-pn-realaudio-plugin=rpm audio/x-realaudio=ra audio/x-wav=wav chemical/x-pdb=pdb,xyz
    image/bmp=bmp,dib image/cmu-raster=ras image/gif=gif image/ief=ief image/jpeg=jpe,jpeg,jpg
    image/png=png image/svg+xml=svg image/tiff=tif,tiff image/vnd.microsoft.icon=ico image/webp=webp
    image/x-portable-anymap=pnm image/x-portable-bitmap=pbm image/x-portable-graymap=pgm
    image/x-portable-pixmap=ppm image/x-rgb=rgb image/x-xbitmap=xbm image/x-xpixmap=xpm
    image/x-xwindowdump=xwd model/iges=iges,igs model/mesh=mesh,msh,silo model/vrml=vrml,wrl
    text/css=css text/csv=csv text/html=htm,html text/javascript=js
    text/plain=asc,c,cc,cs,f,f90,h,hh,m,man,n,txt,vb text/richtext=rtx text/rtf=rtf text/sgml=sgm,sgml
    text/tab-separated-values=tsv text/vnd.sun.j2me.app-descriptor=jad text/x-fossil-wiki=wiki
    text/x-markdown=markdown,md,mkd text/x-pikchr=pikchr text/x-setext=etx text/xml=xml video/dl=dl
    video/fli=fli video/flv=flv video/gl=gl video/mp4=mp4 video/mpeg=mpe,mpeg,mpg video/quicktime=mov,qt
    video/vnd.vivo=viv,vivo video/x-ms-asf=asf video/x-ms-asx=asx video/x-ms-wmv=wmv video/x-ms-wmx=wmx
    video/x-ms-wvx=wvx video/x-msvideo=avi video/x-sgi-movie=movie www/mime=mime
    x-conference/x-cooltalk=ice"""


def _build_table() -> dict[str, str]:
    out = {}
    for group in _TABLE.split():
        mime, _, suffixes = group.partition("=")
        for suffix in suffixes.split(","):
            out[suffix] = mime
    return out


MIMETYPES = _build_table()


def custom_mimetype(setting: str | None, suffix: str) -> str | None:
    """The type the ``mimetypes`` setting gives ``suffix`` (lines "SUFFIX TYPE", a leading dot allowed)."""
    for line in (setting or "").split("\n"):
        words = line.split()
        if len(words) >= 2 and words[0].lstrip(".").lower() == suffix:
            return words[1]
    return None


def mimetype_from_name(name: str, setting: str | None = None) -> str:
    """Fossil's ``mimetype_from_name``: by the text after the last dot (the whole name without one)."""
    suffix = name.rsplit(".", 1)[-1]
    if len(suffix) >= 19:
        return "application/x-fossil-artifact"
    suffix = suffix.lower()
    return custom_mimetype(setting, suffix) or MIMETYPES.get(suffix, "application/x-fossil-artifact")


def is_simple_pathname(name: str) -> bool:
    """Fossil's ``file_is_simple_pathname(z, 1)``: relative, no empty, "." or ".." part, no
    backslash, no trailing slash, valid UTF-8 of the Basic Multilingual Plane (no private use)."""
    if not name or name[0] == "/" or name.endswith("/") or "\\" in name:
        return False
    parts = name.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return False
    for ch in name:
        c = ord(ch)
        if 0xD800 <= c <= 0xDFFF or c > 0xFFFF or 0xE000 <= c <= 0xF8FF or c >= 0xFFFE or 0xFDD0 <= c <= 0xFDEF:
            return False
    return True


def to_text(data: bytes) -> str:
    """The file as text: UTF-16 with a byte-order mark converted, a UTF-8 BOM dropped (``blob_to_utf8_no_bom``)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    return data.decode("utf-8", "surrogateescape")


def wiki_title(text: str) -> tuple[str | None, str]:
    """Fossil's ``wiki_find_title``: (title, rest) for a text starting with ``<title>``, else (None, text)."""
    body = text.lstrip(" \t\n\r\v\f")
    if not body.startswith("<title>"):
        return None, text
    rest = body[7:].lstrip(" \t\n\r\v\f")
    end = rest.find("</title>")
    if end < 0:
        return "", rest
    return rest[:end], rest[end + 8 :]


_ATX = re.compile(r"(#{1,6})[ \t]*(.*?)[ \t]*#*[ \t]*$")
_SETEXT = re.compile(r"(=+|-+)[ \t]*$")


def markdown_title(text: str) -> tuple[str | None, str]:
    """(title, rest) when the Markdown text starts with a header, as Fossil's ``html_header``
    takes the first header before any output as the title; else (None, text)."""
    lines = text.split("\n")
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines):
        return None, text
    first = lines[i]
    m = _ATX.match(first) if first.startswith("#") else None
    if m is not None:
        return m.group(2), "\n".join(lines[i + 1 :])
    if not first.startswith((" " * 4, "\t")) and i + 1 < len(lines) and _SETEXT.match(lines[i + 1]):
        return first.strip(), "\n".join(lines[i + 2 :])
    return None, text


def plain_title(markup: str) -> str:
    """Title text from a header's Markdown (tags dropped, entities decoded)."""
    rendered = wikirender.render_markdown(markup)
    return htmlmod.unescape(re.sub(r"<[^>]*>", "", rendered)).strip()


def embedded_html_title(text: str) -> str | None:
    """Fossil's ``doc_is_embedded_html``: None unless the text starts with
    ``<div class='fossil-doc' ...>``; else its ``data-title`` as plain text ("" if none)."""
    m = re.match(r"\s*<div(?=[\s>])([^>]*)>", text, re.IGNORECASE)
    if m is None:
        return None
    attrs: dict[str, str] = {}
    for a in re.finditer(r"([A-Za-z0-9-]+)\s*=\s*(?:(['\"])(.*?)\2|([^\s>/'\"]*))", m.group(1), re.S):
        attrs.setdefault(a.group(1).lower(), a.group(3) if a.group(2) else a.group(4))
    if attrs.get("class", "").lower() != "fossil-doc":
        return None
    title = attrs.get("data-title", "")
    return htmlmod.unescape(re.sub(r"<[^>]*>", "", title)).strip()


def convert_hrefs(text: str, top: str, path: str) -> str:
    """Fossil's ``convert_href_and_output``: ``$ROOT/`` in an href= or action= value
    becomes ``top``; ``/doc/$CURRENT/`` in an href becomes the check-in of ``path``."""
    current = path.split("/", 2)[1] if path.startswith("doc/") and path.count("/") >= 1 else ""

    def root(m: re.Match[str]) -> str:
        return m.group(1) + top + "/"

    text = re.sub(r"((?<=\s)(?:href|action)=['\"])\$ROOT/", root, text, flags=re.IGNORECASE)
    if current:
        text = re.sub(r"(\shref=['\"][^'\"\s>]*/doc/)\$CURRENT/", lambda m: m.group(1) + current + "/", text)
    return text


def _load(ctx: Context, checkin: str, name: str) -> tuple[int, bytes | None]:
    """(check-in rid, file bytes) of ``name`` in ``checkin`` as this visitor may see them."""
    vis = names.visibility(ctx)
    vid = vis.lookup(checkin, "ci")
    if vid <= 0 or vid == AMBIGUOUS:
        return 0, None
    uuid = file_uuid(ctx.repo, vid, name)
    if uuid:
        frid = content.rid_of(ctx.repo, uuid)
        if frid and vis.visible(frid):
            return vid, content.get(ctx.repo, frid)
    return vid, None


def file_uuid(repo: Repo, rid: int, name: str) -> str | None:
    """The hash of file ``name`` in check-in ``rid`` (None: no such file)."""
    entry = names.checkin_file(repo, rid, name)
    return entry.uuid if entry else None


def _latest(ctx: Context, name: str) -> str | None:
    """The newest check-in holding a file called ``name``."""
    uuid: str | None = ctx.repo.one(
        "SELECT uuid FROM blob, mlink, event, filename WHERE filename.name=? AND mlink.fnid=filename.fnid"
        " AND blob.rid=mlink.mid AND event.objid=mlink.mid ORDER BY event.mtime DESC LIMIT 1",
        (name,),
    )
    return uuid


@pages.webpage("/doc", caps="o")
def doc(ctx: Context) -> Response:
    """/doc/CHECKIN/FILE?mimetype=TYPE

    FILE of check-in CHECKIN (a name, tip, trunk, latest or ckout) as a
    web page: Fossil wiki, Markdown, framed HTML or plain text in the site
    frame, any other file as it is.  A name ending in "/" shows its
    index.html, index.wiki or index.md."""
    arg = ctx.req.get("name") or "tip/index.wiki"
    checkin, sep, rest = arg.partition("/")
    if checkin == "ckout":
        checkin = "tip"
    elif checkin == "latest":
        checkin = _latest(ctx, rest) or checkin
    original = ""
    default_title = "Documentation"
    data: bytes | None = None
    name = ""
    found = 0
    for attempt in range(len(INDEX_NAMES) + 1):
        if attempt == len(INDEX_NAMES):
            name, default_title = "404.md", "Not Found"
        elif not sep:
            name = INDEX_NAMES[attempt]
        else:
            name = rest.lstrip("/")
        if attempt == 0:
            original = name
        if not is_simple_pathname(name):
            if not name.endswith("/") or attempt == len(INDEX_NAMES):
                break
            name += INDEX_NAMES[attempt]
            if not is_simple_pathname(name):
                break
        _, data = _load(ctx, checkin, name)
        if data is not None:
            found = attempt + 1
            break
    if data is None:
        return ctx.render("doc.html", status=404, title="Not Found", missing=original, checkin=checkin)
    mime = (ctx.req.get("mimetype") if found == 1 else None) or mimetype_from_name(name, ctx.repo.setting("mimetypes"))
    status = 404 if found > len(INDEX_NAMES) else 200
    return render_document(ctx, data, mime, default_title, name, f"doc/{checkin}/{name}", status)


def render_document(
    ctx: Context, data: bytes, mime: str, default_title: str, filename: str, path: str, status: int = 200
) -> Response:
    """Fossil's ``document_render``: ``data`` of type ``mime`` as the reply."""
    top = ctx.req.top
    links = ctx.has("h")
    facts = link_facts(ctx)
    if mime == "text/x-fossil-wiki":
        title, tail = wiki_title(to_text(data))
        body = wikirender.render_fossil_wiki(tail, top, links, facts)
        return ctx.render("doc.html", status=status, title=title or default_title, body=body, kind="wiki")
    if mime == "text/x-markdown":
        head, tail = markdown_title(to_text(data))
        body = convert_hrefs(wikirender.render_markdown(tail, top, links, facts), top, path)
        title = plain_title(head) if head else ""
        return ctx.render("doc.html", status=status, title=title or default_title, body=body, kind="markdown")
    if mime == "text/x-pikchr":
        from fossilpy.markup import pikchr

        svg, width, _ = pikchr.pikchr(to_text(data))
        if width > 0:
            body = f'<div class="pikchr-svg" style="max-width:{width}px">\n{svg}\n</div>\n'
        else:
            report = sanitize.esc(f"<div><pre>\n{svg}</pre></div>\n").replace("'", "&#39;").replace('"', "&quot;")
            body = f"<pre class='error'>\n{report}\n</pre>\n"
        return ctx.render("doc.html", status=status, title=default_title, body=body, kind="pikchr")
    if mime == "text/plain":
        return ctx.render("doc.html", status=status, title=default_title, text=to_text(data), kind="plain")
    if mime == "text/html":
        text = to_text(data)
        framed = embedded_html_title(text)
        if framed is not None:
            body = convert_hrefs(sanitize.safe_html(text, top, links), top, path)
            return ctx.render("doc.html", status=status, title=framed or filename, body=body, kind="html")
    ctype = mime + "; charset=utf-8" if mime.startswith("text/") else mime
    resp = Response(status=status, body=data, content_type=ctype)
    resp.add_header("Content-Security-Policy", RAW_CSP)
    return resp
