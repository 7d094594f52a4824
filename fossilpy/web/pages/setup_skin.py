"""The look of the site: /setup_skin, /setup_skinedit, /setup_logo and /logo
(Fossil 2.21's ``src/skins.c``, ``src/setup.c`` ``setup_logo``,
``src/doc.c`` ``logo_page``).

fossilpy has one built-in skin, so /setup_skin offers no choice of skins:
it shows what is in use and links to the editors of the three parts a
repository may override, which Fossil keeps in the config rows ``css``,
``header`` and ``footer``:

* ``/setup_skinedit?w=0`` edits ``css`` (form field ``css``), ``w=1`` the
  ``footer`` (field ``footer``), ``w=2`` the ``header`` (field ``header``);
  ``submit`` saves, ``revert`` empties the row (back to the built-in).
  Fossil edits a draft skin and publishes it; fossilpy saves the row
  directly, which is what publishing a draft does.
* ``/style.css`` serves the built-in style sheet followed by the ``css``
  row, as Fossil puts the skin's CSS after its default rules.
* A ``header`` or ``footer`` is used in place of the built-in one only if
  it holds no TH1 (no ``<th1>`` and no ``$``): fossilpy has no TH1
  interpreter.  The editor says which is the case; ``base.html``
  puts a usable one in place of the built-in header or footer (the main
  menu stays).

``/setup_logo`` (Admin) takes a ``multipart/form-data`` POST with the
image in field ``logoim`` and the button ``setlogo`` (``clrlogo`` removes
it), as Fossil's page; the image goes to the config rows ``logo-image`` and
``logo-mimetype``.  Likewise ``bgim``/``setbg``/``clrbg`` for the
background (``background-image``, served at ``/background``) and
``iconim``/``seticon``/``clricon`` for the icon (``icon-image``).  Only PNG, GIF, JPEG and WebP images up to
:data:`MAX_LOGO` bytes are accepted (their type is read from their first
bytes, not from what the browser claims); anything else is refused with a
message and nothing is written.  ``/logo`` serves the image to anyone.
"""

from __future__ import annotations

from fossilpy.repo import admin_log
from fossilpy.web.forms import FormError, check_post, writable
from fossilpy.web.request import HTTPError, Response, redirect
from fossilpy.web.routes import Context, PageSet

pages = PageSet()

#: Largest logo accepted, in bytes.
MAX_LOGO = 1_000_000

#: w= -> (config row and form field, title)
PARTS = (("css", "CSS"), ("footer", "Page Footer"), ("header", "Page Header"))

#: Largest skin part accepted, in characters.
MAX_PART = 500_000


def has_th1(text: str) -> bool:
    """True if a header or footer needs TH1 (fossilpy cannot run it)."""
    return "<th1>" in text.lower() or "$" in text


def _state(ctx: Context) -> list[dict[str, object]]:
    out = []
    for w, (name, title) in enumerate(PARTS):
        value = ctx.repo.config_get(name)
        text = str(value) if value else ""
        out.append(
            {
                "w": w,
                "name": name,
                "title": title,
                "custom": bool(text),
                "th1": bool(text) and name != "css" and has_th1(text),
            }
        )
    return out


@pages.webpage("/setup_skin", caps="a")
def setup_skin(ctx: Context) -> Response:
    """/setup_skin

    The skin in use, and links to edit its CSS, header and footer
    (Admin users)."""
    return ctx.render("setup_skin.html", title="Skins", parts=_state(ctx))


@pages.webpage("/setup_skinedit", caps="a", methods=("GET", "HEAD", "POST"))
def setup_skinedit(ctx: Context) -> Response:
    """/setup_skinedit?w=NUM

    Edit one part of the skin: w=0 the CSS, w=1 the page footer, w=2 the
    page header.  Apply Changes saves; Revert goes back to the built-in
    one (Admin users)."""
    req = ctx.req
    w = req.int("w", 0)
    if not 0 <= w < len(PARTS):
        w = 0
    name, title = PARTS[w]
    stored = ctx.repo.config_get(name)
    current = str(stored) if stored else ""
    content = current
    status, error, saved = 200, "", False
    if req.method == "POST" and (req.get("submit") is not None or req.get("revert") is not None):
        check_post(ctx)
        content = "" if req.get("revert") is not None else (req.get(name) or "")
        try:
            if len(content) > MAX_PART:
                raise FormError(f"the {title} is longer than {MAX_PART} characters")
            if "\x00" in content:
                raise FormError(f"the {title} contains a NUL character")
        except FormError as exc:
            status, error = 400, str(exc)
        else:
            if content != current:
                with writable(ctx) as wr, wr.write():
                    if content:
                        wr.config_set(name, content)
                    else:
                        wr.config_unset(name)
                    admin_log.record(
                        wr,
                        "setup_skinedit",
                        ctx.login.name or "",
                        admin_log.set_value("textarea_attribute", name, content),
                    )
            saved = True
    th1 = name != "css" and bool(content) and has_th1(content)
    return ctx.render(
        "setup_skinedit.html",
        status=status,
        title=f"Edit {title}",
        w=w,
        name=name,
        part_title=title,
        content=content,
        error=error,
        saved=saved,
        th1=th1,
        parts=PARTS,
    )


# -- the logo ------------------------------------------------------------------------

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def image_type(data: bytes) -> str | None:
    """The MIME type of a PNG, GIF, JPEG or WebP image by its first bytes, else None."""
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


#: The images of /setup_logo, as Fossil's page: (config prefix, file field,
#: set button, clear button, what it is).
IMAGES = (
    ("logo", "logoim", "setlogo", "clrlogo", "logo"),
    ("background", "bgim", "setbg", "clrbg", "background image"),
    ("icon", "iconim", "seticon", "clricon", "icon"),
)

#: Fossil's default background: a 16x16 white GIF (``doc.c`` ``aBackground``).
WHITE_GIF = bytes(
    (
        71,
        73,
        70,
        56,
        57,
        97,
        16,
        0,
        16,
        0,
        240,
        0,
        0,
        255,
        255,
        255,
        0,
        0,
        0,
        33,
        254,
        4,
        119,
        105,
        115,
        104,
        0,
        44,
        0,
        0,
        0,
        0,
        16,
        0,
        16,
        0,
        0,
        2,
        14,
        132,
        143,
        169,
        203,
        237,
        15,
        163,
        156,
        180,
        218,
        139,
        179,
        62,
        5,
        0,
        59,
    )
)


def _upload(ctx: Context) -> dict[str, bytes]:
    """Merge a multipart body's fields into the request; its files, field name -> bytes."""
    from fossilpy.web import multipart

    req = ctx.req
    files: dict[str, bytes] = {}
    if req.method == "POST" and multipart.is_multipart(req.content_type):
        parts = multipart.parse(req.body, req.content_type)
        req.params.update(multipart.fields(parts))
        for p in parts:
            if p.filename is not None:
                files.setdefault(p.name, p.data)
    return files


def _image_error(data: bytes, what: str) -> str:
    """Why ``data`` cannot be the ``what`` ("" if it can)."""
    if not data:
        return "Choose an image file first."
    if len(data) > MAX_LOGO:
        return f"The image is {len(data)} bytes; the {what} may be at most {MAX_LOGO} bytes."
    if image_type(data) is None:
        return "The file is not a PNG, GIF, JPEG or WebP image."
    return ""


@pages.webpage("/setup_logo", caps="a", methods=("GET", "HEAD", "POST"))
def setup_logo(ctx: Context) -> Response:
    """/setup_logo

    Change the logo, background and icon images: upload a PNG, GIF, JPEG
    or WebP file (logoim, bgim, iconim) and press its Change button
    (setlogo, setbg, seticon), or its Revert button (clrlogo, clrbg,
    clricon) to go back to the built-in one (Admin users)."""
    req = ctx.req
    files = _upload(ctx)
    error = ""
    for name, field, set_button, clear_button, what in IMAGES:
        if req.method != "POST" or (req.get(set_button) is None and req.get(clear_button) is None):
            continue
        check_post(ctx)
        who = ctx.login.name or ""
        if req.get(clear_button) is not None:
            with writable(ctx) as w, w.write():
                w.execute("DELETE FROM config WHERE name IN (?,?)", (f"{name}-image", f"{name}-mimetype"))
                admin_log.record(w, "setup_logo", who, f"Removed the {what}.")
            return redirect(req, "/setup_logo")
        data = files.get(field, b"")
        error = _image_error(data, what)
        if not error:
            mime = image_type(data) or ""
            with writable(ctx) as w, w.write():
                w.config_set(f"{name}-image", data)
                w.config_set(f"{name}-mimetype", mime)
                admin_log.record(w, "setup_logo", who, f"Set the {what} ({mime}, {len(data)} bytes).")
            return redirect(req, "/setup_logo")
        break
    shown = []
    for name, field, set_button, clear_button, what in IMAGES:
        mtime = ctx.repo.one("SELECT mtime FROM config WHERE name=?", (f"{name}-image",))
        shown.append(
            {
                "name": name,
                "field": field,
                "set_button": set_button,
                "clear_button": clear_button,
                "what": what,
                "custom": mtime is not None,
                "mtime": mtime or 0,
                "mime": str(ctx.repo.config_get(f"{name}-mimetype") or ""),
            }
        )
    return ctx.render(
        "setup_logo.html",
        status=400 if error else 200,
        title="Edit Project Logo And Background",
        error=error,
        images=shown,
        max_logo=MAX_LOGO,
    )


def _image(ctx: Context, name: str, default: tuple[bytes, str]) -> Response:
    """The ``NAME-image`` config row as an image reply (``default`` when there is none)."""
    if ctx.req.extra:
        raise HTTPError(404, "not found")
    data = ctx.repo.config_get(f"{name}-image")
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    if data:
        mime = str(ctx.repo.config_get(f"{name}-mimetype") or "image/gif")
        if not mime.startswith("image/") or mime == "image/svg+xml":
            mime = "application/octet-stream"
        resp = Response(body=bytes(data), content_type=mime)
    else:
        resp = Response(body=default[0], content_type=default[1])
    resp.add_header("Content-Security-Policy", "sandbox; default-src 'none'; style-src 'unsafe-inline'")
    return resp


@pages.webpage("/logo", caps="")
def logo(ctx: Context) -> Response:
    """/logo

    The project's logo image (the built-in fossilpy icon if none was set)."""
    import os

    from fossilpy.web.render import www_dir

    with open(os.path.join(www_dir(), "static", "favicon.svg"), "rb") as fh:
        return _image(ctx, "logo", (fh.read(), "image/svg+xml"))


@pages.webpage("/background", caps="")
def background(ctx: Context) -> Response:
    """/background

    The project's background image (a 16x16 white GIF if none was set)."""
    return _image(ctx, "background", (WHITE_GIF, "image/gif"))
