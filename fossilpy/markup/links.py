"""Hyperlink targets to HTML (Fossil 2.21 ``wiki_resolve_hyperlink``).

Both markup languages resolve a link target the same way: a URL, a
``/path`` in this repository, ``./rel`` and ``../rel``, a ``#fragment``, an
artifact or ticket hash, an interwiki link, a wiki page name, a date (the
timeline of that day) -- or, for Markdown, the target as written.

What the repository knows (does this hash name an artifact, a ticket,
which wiki pages exist, the interwiki map) comes from a :class:`Facts`
object; the default one knows nothing, as fossil does without a
repository (``fossil test-wiki-render`` outside a checkout).  The web
layer passes one that asks the repository.

Differences from Fossil, on purpose: a target that is not a safe URL
(``javascript:`` and other schemes, ``//host``, backslashes) gives no
link; and a reader without the Hyperlink capability gets no links at all
(Fossil leaves out only the hash links then).
"""

from __future__ import annotations

import re

from fossilpy.markup.chars import ALNUM as _ALNUM
from fossilpy.markup.chars import HEX as _HEX
from fossilpy.markup.sanitize import attr_value, quote, safe_url
from fossilpy.text import is_digits

#: Rendering flags (Fossil's WIKI_*).
WIKI_HTMLONLY = 0x001
WIKI_INLINE = 0x002
WIKI_NOBLOCK = 0x004
WIKI_NOBADLINKS = 0x010
WIKI_LINKSONLY = 0x020
WIKI_NEWLINE = 0x040
WIKI_MARKDOWNLINKS = 0x080
WIKI_TARGET_BLANK = 0x200
WIKI_NOBRACKET = 0x400

_DATE = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)(?:[ T]+(\d\d):(\d\d)(?::(\d\d)(?:\.\d*)?)?)?"
    r"\s*(?:[Zz]|[-+]\d\d:?\d\d)?\s*"
)


class Facts:
    """What the repository knows about link targets.  This one: nothing."""

    def ticket(self, target: str) -> bool | None:
        """None if ``target`` (hex) is no ticket's hash prefix, else whether it is closed."""
        return None

    def artifact(self, target: str) -> bool:
        """Whether ``target`` (hex) is a hash prefix of an artifact of the repository."""
        return False

    def wiki_page(self, name: str) -> bool:
        """Whether wiki page ``name`` exists (and is not deleted)."""
        return False

    def interwiki(self, target: str) -> str | None:
        """The URL of interwiki link ``CODE:page``, if CODE is configured."""
        return None


NO_FACTS = Facts()


def is_hash(target: str) -> bool:
    """4 to 64 hex digits (Fossil's ``is_valid_hname``)."""
    return 4 <= len(target) <= 64 and all(c in _HEX for c in target)


def wiki_name_ok(name: str) -> bool:
    """Fossil's ``wiki_name_is_wellformed``: 1..100 bytes, no control
    characters, no leading, trailing or doubled spaces."""
    raw = name.encode("utf-8", "surrogateescape")
    if not raw or raw[0] <= 0x20 or raw[-1] == 0x20 or len(raw) > 100:
        return False
    return all(c >= 0x20 for c in raw) and b"  " not in raw


def is_date(text: str) -> bool:
    """Whether SQLite's ``datetime(text)`` would be a time (the ISO forms)."""
    m = _DATE.fullmatch(text)
    if m is None:
        return False
    month, day = int(m.group(2)), int(m.group(3))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return False
    return m.group(4) is None or (
        int(m.group(4)) <= 24 and int(m.group(5)) <= 59 and int(m.group(6) or 0) <= 59)


def removable_prefix(target: str) -> int:
    """Length of an interwiki tag left out of a link's label (``src:1234`` -> ``1234``)."""
    i = 0
    while i < len(target) and target[i] in _ALNUM:
        i += 1
    if i >= len(target) or target[i] != ":":
        return 0
    i += 1
    if i >= len(target) or target[i] == "/":
        return 0
    return i


def urlize(text: str) -> str:
    """Fossil's ``%T``: URL-encoded, "/" and ":" kept, space as "+"."""
    out = []
    for b in text.encode("utf-8", "surrogateescape"):
        c = chr(b)
        if c in _ALNUM or c in ".$~-_/:":
            out.append(c)
        elif c == " ":
            out.append("+")
        else:
            out.append(f"%{b:02X}")
    return "".join(out)


def resolve(
    target: str,
    flags: int,
    title: str | None = None,
    *,
    top: str = "",
    links: bool = True,
    facts: Facts = NO_FACTS,
    before: str | None = None,
    double: bool = False,
) -> tuple[str, str] | None:
    """(opening HTML, closing HTML) for a link to ``target``, or None for no link.

    ``before`` is the character before the "[" of a Fossil-wiki link (None
    at the start of the text): a link glued to a word is a C subscript,
    not a link.  With ``links`` False (no Hyperlink capability) no ``<a>``
    is made.  With ``double`` attributes are quoted as the sanitizer writes
    them (Fossil quotes a title and a target with ').
    """
    top = quote(top)  # Fossil's %R: nothing to escape in a sane top, but be sure
    q = '"' if double else "'"
    extra = ""
    if title is not None:
        extra = f" title={q}{quote(title)}{q}"
    elif flags & WIKI_TARGET_BLANK:
        extra = f" target={q}_blank{q}"

    def anchor(url: str | None) -> tuple[str, str] | None:
        if url is None:
            return None
        return (f'<a href="{url}"{extra}>', "</a>") if links else ("", "")

    if target.startswith(("http:", "https:", "ftp:", "mailto:")):
        return anchor(attr_value(target) if safe_url(target) is not None else None)
    if target.startswith("/"):
        return anchor(top + quote(target) if safe_url(target) is not None else None)
    if target.startswith(("./", "../")) and not flags & WIKI_LINKSONLY:
        return anchor(quote(target) if safe_url(target) is not None else None)
    if target.startswith("#"):
        return anchor(quote(target))
    if is_hash(target):
        return _hash_link(target, flags, extra, top, links, facts)
    remote = facts.interwiki(target)
    if remote is not None:
        return anchor(attr_value(remote) if safe_url(remote) is not None else None)
    name = _wiki_page_name(flags, target, facts)
    if name is not None:
        return anchor(f"{top}/wiki?name={urlize(name)}")
    if len(target) >= 10 and is_digits(target[0]) and target[4] == "-" and is_date(target):
        return anchor(f"{top}/timeline?c={urlize(target)}")
    if flags & WIKI_MARKDOWNLINKS:
        return anchor(quote(target) if safe_url(target) is not None else None)
    if before is not None and before not in " \t\n\v\f\r":
        return None  # probably a C-language subscript
    if flags & (WIKI_NOBADLINKS | WIKI_LINKSONLY):
        return None
    return f'<span class="brokenlink">[{quote(target)}]', "</span>"


def _hash_link(target: str, flags: int, extra: str, top: str, links: bool,
               facts: Facts) -> tuple[str, str] | None:
    bracket = "" if flags & WIKI_NOBRACKET else "["
    href = f'<a{" " + extra.strip() if extra else ""} href="{top}/info/{quote(target)}">'
    closed = facts.ticket(target)
    if closed is not None:
        if closed:
            if links:
                opening, closing = f'{href}<span class="wikiTagCancelled">{bracket}', "]</span></a>"
            else:
                opening, closing = f'<span class="wikiTagCancelled">{bracket}', "]</span>"
        elif links:
            opening, closing = href + bracket, "]</a>"
        else:
            opening, closing = bracket, "]"
    elif not facts.artifact(target):
        if flags & (WIKI_LINKSONLY | WIKI_NOBADLINKS):
            return None
        opening, closing = f'<span class="brokenlink">{bracket}', "]</span>"
    elif links:
        opening, closing = href + bracket, "]</a>"
    else:
        return None
    if closing.startswith("]") and flags & WIKI_NOBRACKET:
        closing = closing[1:]
    return opening, closing


def _wiki_page_name(flags: int, target: str, facts: Facts) -> str | None:
    """The page a target names (Fossil's ``validWikiPageName``), or None."""
    if target.startswith("wiki:") and wiki_name_ok(target):
        return target[5:]
    if target == "Sandbox":
        return target
    if wiki_name_ok(target) and (not flags & WIKI_NOBADLINKS or facts.wiki_page(target)):
        return target
    return None
