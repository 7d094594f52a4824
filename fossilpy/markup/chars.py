"""Character classes of Fossil's markup code: ASCII only, as its C macros are."""

from __future__ import annotations

ALPHA = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
ALNUM = ALPHA | frozenset("0123456789")
HEX = frozenset("0123456789abcdefABCDEF")
#: fossil_isspace(): space, tab, newline, vertical tab, form feed, carriage return
SPACE = frozenset(" \t\n\v\f\r")
