"""Text predicates every layer shares.

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
