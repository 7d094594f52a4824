"""Pikchr diagrams drawn as SVG, as the Pikchr embedded in Fossil 2.21
draws them (``extsrc/pikchr.c``), byte for byte.

:func:`pikchr` turns a script into SVG text (or an error report) with the
diagram's pixel size; :func:`fossil_block` wraps it as Fossil's Markdown
and wiki renderers do (``pikchr_process`` in ``src/pikchrshow.c``).

Modules: ``tokens`` (tokenizer), ``stream`` (macros), ``exprs`` and
``parser`` (the grammar), ``attrs`` and ``layout`` (what statements do),
``model``, ``shapes`` and ``lines`` (objects), ``svg`` (output),
``tables`` (colours, defaults, character widths).
"""

from __future__ import annotations

import secrets

from fossilpy.markup.pikchr.layout import Pik, PikError
from fossilpy.markup.pikchr.parser import Parser

__all__ = ["NONCE", "pikchr", "fossil_block"]

#: The comment that brackets a rendered diagram, random per process as
#: Fossil's ``safe_html_nonce``: the sanitizer passes what lies between two
#: copies untouched, and a document cannot forge it.
NONCE = "<!--" + secrets.token_hex(32).upper() + "-->"

#: Fossil's layout words of a Pikchr block: one placement, in this order of preference.
_PLACES = ("center", "indent", "float-left", "float-right")


def pikchr(text: str, css_class: str | None = "pikchr", dark: bool = False) -> tuple[str, int, int]:
    """``(output, width, height)`` for the script ``text``: the SVG and
    its size in pixels, or on an error the plain-text report with -1, -1
    (an empty diagram gives a comment and 0, 0)."""
    # Pikchr reads a C string: a NUL ends the script.
    p = Pik(text.split("\0", 1)[0].encode("utf-8", "surrogateescape"), css_class, dark)
    try:
        Parser(p).document()
    except PikError:
        pass
    except RecursionError:
        p.out.append("\nscript is too complex")
        p.n_err += 1
    if not p.out and not p.n_err:
        p.out.append("<!-- empty pikchr diagram -->\n")
    out = "".join(p.out)
    if p.n_err:
        return out, -1, -1
    return out, p.w_svg, p.h_svg


def _esc(s: str) -> str:
    return (
        s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace('"', "&quot;").replace("'", "&#39;")
    )  # fmt: skip


def fossil_block(src: str, args: str) -> str:
    """A Pikchr block as Fossil's Markdown and wiki show it: the wrapper
    ``div.pikchr-wrapper`` (classes from ``args``) around the SVG and the
    escaped source, or Fossil's ``pre.error`` with the report."""
    words = set(args.split())
    out, w, h = pikchr(src)
    if w <= 0 or h <= 0:
        return f"{NONCE}\n<pre class='error'>\n{_esc(out)}\n</pre>\n{NONCE}\n"
    classes = [next((x for x in _PLACES if x in words), "")]
    if "toggle" in words:
        classes.append("toggle")
    if "source-inline" in words:
        classes.append("source source-inline" if "source" in words else "source-inline")
    elif "source" in words:
        classes.append("source")
    cls = "".join(" " + c for c in classes if c)
    head = f'<div class=\'pikchr-wrapper{cls}\'><div class="pikchr-svg" style="max-width:{w}px">\n'
    tail = f"</div>\n<pre class='pikchr-src'>{_esc(src)}</pre>\n</div>\n"
    return f"{NONCE}\n{head}{out}{tail}{NONCE}\n"
