"""The questions ``fossil commit`` asks about a file's content
(``commit_warning`` in ``src/checkin.c``, ``looks_like_utf8`` in
``src/lookslike.c``): binary data or over-long lines, CR or CR/LF line
endings, UTF-16 (a byte-order mark), invalid UTF-8, a file over
``large-file-size``.  Each has a glob setting that silences it
(``binary-glob``, ``crlf-glob``, ``encoding-glob``) and ``--no-warnings``
silences all.  The questions and answers are Fossil's: a (all), y, and
anything else abandons the commit, except "c" (convert), which fossilpy
does not do yet: it stops the commit and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fossilpy.errors import UserError

LOOK_NUL, LOOK_CR, LOOK_LONE_CR, LOOK_LF, LOOK_LONE_LF, LOOK_CRLF, LOOK_LONG = 1, 2, 4, 8, 16, 32, 64
LOOK_EOL = LOOK_LONE_CR | LOOK_LONE_LF | LOOK_CRLF
#: longest line that is still text (``LENGTH_MASK``)
LENGTH_MASK = (1 << 15) - 1


def looks_like_utf8(data: bytes) -> int:
    """``looks_like_utf8(..., LOOK_NUL)``: the LOOK_* flags of ``data`` (stops at a NUL)."""
    flags = 0
    n = len(data)
    if not n:
        return 0
    if data.find(b"\0") >= 0:
        return LOOK_NUL
    if b"\r" in data:
        flags |= LOOK_CR
        if data.replace(b"\r\n", b"").find(b"\r") >= 0:
            flags |= LOOK_LONE_CR
        if b"\r\n" in data:
            flags |= LOOK_CRLF
    if b"\n" in data:
        flags |= LOOK_LF
        if data.startswith(b"\n") or data.replace(b"\r\n", b"").find(b"\n") >= 0:
            flags |= LOOK_LONE_LF
    # looks_like_utf8 counts a line with its newline; the last line, unterminated, without
    lines = data.split(b"\n")
    if any(len(line) + 1 > LENGTH_MASK for line in lines[:-1]) or len(lines[-1]) > LENGTH_MASK:
        flags |= LOOK_LONG
    return flags


def could_be_utf16(data: bytes) -> bool:
    """An even number of bytes starting with a UTF-16 byte-order mark."""
    return len(data) % 2 == 0 and data[:2] in (b"\xff\xfe", b"\xfe\xff")


@dataclass
class Checker:
    """The state of one commit's questions: ``all_ok`` once answered "a"."""

    ask: Callable[[str], str]
    no_prompt: bool = False
    large_file_size: int = 200000000
    all_ok: bool = False

    def check(self, data: bytes, display: str, *, crlf_ok: bool, bin_ok: bool, enc_ok: bool, size_ok: bool) -> None:
        """Ask about ``data`` if it deserves a warning; raise UserError if the answer is no."""
        if self.all_ok:
            return
        unicode = bin_ = invalid = any_cr = lone_cr = crlf_only = False
        long_lines = False
        if size_ok:
            unicode = could_be_utf16(data)
            if unicode:
                text = data.decode("utf-16", "replace").encode("utf-8", "replace")
                flags = looks_like_utf8(text)
            else:
                flags = looks_like_utf8(data)
                if not flags & (LOOK_NUL | LOOK_LONG):
                    try:
                        data.decode("utf-8")
                    except UnicodeDecodeError:
                        invalid = True
            any_cr = bool(flags & LOOK_CR)
            bin_ = bool(flags & (LOOK_NUL | LOOK_LONG))
            long_lines = not flags & LOOK_NUL and bool(flags & LOOK_LONG)
            lone_cr = flags & LOOK_EOL == LOOK_LONE_CR
            crlf_only = flags & LOOK_EOL == LOOK_CRLF
        if size_ok and not (unicode or any_cr or bin_ or invalid):
            return
        convert, where = "c=convert/", "in"
        if bin_:
            if bin_ok:
                return
            warning = "long lines" if long_lines else "binary data"
            convert, disable = "", '"binary-glob" setting'
        elif unicode and any_cr:
            if crlf_ok and enc_ok:
                return
            eol = "CR" if lone_cr else "CR/LF" if crlf_only else "mixed"
            warning = f"{eol} line endings and Unicode"
            disable = '"crlf-glob" and "encoding-glob" settings'
        elif invalid:
            if enc_ok:
                return
            warning, disable = "invalid UTF-8", '"encoding-glob" setting'
        elif any_cr:
            if crlf_ok:
                return
            eol = "CR" if lone_cr else "CR/LF" if crlf_only else "mixed"
            warning, disable = f"{eol} line endings", '"crlf-glob" setting'
        elif not size_ok:
            warning, where, disable = "oversize", "file", ""
        else:
            if enc_ok:
                return
            warning, disable = "Unicode", '"encoding-glob" setting'
        if not size_ok:
            prompt = f"{display} is more than {self.large_file_size:,} bytes in size.\nCommit anyhow (a=all/y/N)? "
        else:
            prompt = (
                f"{display} contains {warning}. Use --no-warnings or the {disable} to disable this warning.\n"
                f"Commit anyhow (a=all/{convert}y/N)? "
            )
        reply = "N" if self.no_prompt else (self.ask(prompt) or "N")
        if reply[0] in "aA":
            self.all_ok = True
        elif convert and reply[0] in "cC":
            raise UserError("fossilpy cannot convert files yet: convert it yourself, or answer y")
        elif reply[0] not in "yY":
            raise UserError(f"Abandoning commit due to {warning} {where} {display}")
