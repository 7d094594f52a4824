"""Text helpers every layer shares: digits, Fossil's ``%h`` escaping, ages.

``str.isdigit()`` is true for every Unicode digit: superscripts (``²``),
other scripts' digits (``٣``), circled numbers.  ``int()`` then fails on
some and silently accepts others, so a number read from a request, a sync
card or a config row must be checked with :func:`is_digits`, which means
ASCII ``0``-``9`` only (tests/test_architecture.py allows ``isdigit`` and
its relatives nowhere else).
"""

from __future__ import annotations


def is_digits(text: str | bytes) -> bool:
    """True if ``text`` is one or more ASCII digits (``0``-``9``)."""
    return bool(text) and text.isascii() and text.isdigit()


def html_escape(text: str | None) -> str:
    """``& < > " '`` as entities, as Fossil's ``%h`` writes them (None gives "")."""
    if not text:
        return ""
    if not any(c in text for c in "<>&\"'"):
        return text
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def human_age(days: float) -> str:
    """A time span in days as Fossil words it (``human_readable_age`` in ``src/browse.c``)."""
    secs = days * 86400.0
    if secs < 120:
        return "current" if secs < 1.0 else f"{int(secs)} seconds"
    if days * 1440.0 < 90:
        return f"{days * 1440.0:.1f} minutes"
    if days * 24.0 < 36:
        return f"{days * 24.0:.1f} hours"
    if days < 365.0:
        return f"{days:.1f} days"
    return f"{days / 365.2425:.2f} years"
