"""External programs run by ``fossil diff``/``gdiff`` (``src/diffcmd.c``):
the ``diff-command``/``gdiff-command`` programs (or ``--command PROG``),
and the shell commands of ``--tk`` and ``--browser``.

For each changed file Fossil writes the old version to a temporary file
and runs, through ``/bin/sh -c``::

    PROG OLD NEW            NEW the file on disk (absolute, or with
                            exec-rel-paths its checkout-relative name)
    PROG BEFORE AFTER       between two check-ins: both in temporary files

with each name quoted for the shell (``blob_append_escaped_arg``).  The
temporary files are ``$TMPDIR/BASE~orig.EXT`` (``~before``, ``~after``;
random letters instead of the tag when the name is taken; first of
``$TMPDIR``, ``/var/tmp``, ``/usr/tmp``, ``/tmp``, ``/temp``, ``.`` that is a
folder: ``file_tempname``) and are deleted after the program ran.  Unless
``--diff-binary``/``diff-binary`` allows them, a file that looks binary or
matches ``--binary``/``binary-glob`` is not given to the program: Fossil
prints ``cannot compute difference between binary files`` instead.  The
``Index:`` lines are Fossil's own; the program prints the rest.

The program's output goes straight to the terminal while Fossil's own lines
pass through C's stdio buffer, so in a pipe the program's lines come first
unless Fossil wrote a full buffer: :class:`CStdout` writes our output the
same way (block-buffered in a pipe or file, straight through on a terminal).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from fossilpy.errors import UserError

CANNOT_COMPUTE_BINARY = b"cannot compute difference between binary files\n"

# what blob_append_escaped_arg does with each byte on unix: 0 as is, 1 quote,
# 2 refuse, 3/4/5 the lead byte of a 2/3/4-byte UTF-8 character


def _safe_table() -> bytes:
    t = bytearray(256)
    for c in range(0x20):
        t[c] = 2
    for c in b" !\"#$%&'()*;<>?@[\\]^`{|}\x7f":
        t[c] = 1
    for c in range(0x80, 0xC0):
        t[c] = 2
    for c in range(0xC0, 0x100):
        t[c] = 3 if c < 0xE0 else 4 if c < 0xF0 else 5
    return bytes(t)


_SAFE = _safe_table()


class CStdout:
    """fd 1 written as C's stdio does: line by line on a terminal, else in whole
    blocks of ``st_blksize`` bytes with the rest held until :meth:`flush`."""

    def __init__(self, fd: int = 1) -> None:
        self.fd = fd
        self.pending = bytearray()
        try:
            self.tty = os.isatty(fd)
            self.block = os.fstat(fd).st_blksize or 8192
        except OSError:
            self.tty, self.block = False, 8192

    def write(self, data: bytes) -> None:
        self.pending += data
        if self.tty:
            cut = self.pending.rfind(b"\n") + 1
        else:
            cut = len(self.pending) - len(self.pending) % self.block
        if cut > 0:
            self._emit(bytes(self.pending[:cut]))
            del self.pending[:cut]

    def _emit(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]

    def flush(self) -> None:
        if self.pending:
            data = bytes(self.pending)
            self.pending.clear()
            self._emit(data)


def escaped_arg(cmd: bytes, arg: bytes, filename: bool = True) -> bytes:
    """``blob_append_escaped_arg``: ``cmd`` with ``arg`` appended as one shell word
    (a space first unless ``cmd`` ends in one); ``./`` before a file name that
    starts with "-"; a control character or broken UTF-8 is an error."""
    need = False
    i = 0
    while i < len(arg):
        x = _SAFE[arg[i]]
        if x:
            need = True
            if x == 2 or any(i + k >= len(arg) or arg[i + k] & 0xC0 != 0x80 for k in range(1, x - 1)):
                word = cmd.split()[0] if cmd.split() else b""
                what = (
                    f"a character (ascii 0x{arg[i]:02x}) that is not allowed in filename arguments"
                    if x == 2
                    else "an illegal UTF-8 character"
                )
                raise UserError(f'the [{_s(arg)}] argument to the "{_s(word)}" command contains {what}')
            if x > 2:
                i += x - 2
        i += 1
    if cmd and cmd[-1:] not in (b" ", b"\t", b"\n", b"\r", b"\v", b"\f"):
        cmd += b" "
    dot = b"./" if filename and arg[:1] == b"-" else b""
    if not need:
        return cmd + dot + arg
    if b"'" in arg:
        # a backslash before each byte that needs quoting, UTF-8 lead bytes included
        return cmd + dot + b"".join(b"\\%c" % c if _SAFE[c] not in (0, 2) else bytes([c]) for c in arg)
    return cmd + b"'" + dot + arg + b"'"


def _s(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def check_safe(cmd: bytes) -> None:
    """``fossil_assert_safe_command_string``: no ``$`` or backquote outside '...',
    no ``; | & newline`` with more after them outside '...', balanced quotes."""
    unsafe = 0
    quote = 0
    i = 0
    while not unsafe and i < len(cmd):
        c = cmd[i]
        if c in b"$`":
            if quote != 39:
                unsafe = i + 1
        elif c in b";|&\n":
            if quote != 39 and i + 1 < len(cmd):
                unsafe = i + 1
        elif c in b"\"'":
            if not quote:
                quote = c
            elif quote == c:
                quote = 0
        elif c == 92:
            if i + 1 >= len(cmd):
                unsafe = i + 1
            elif quote != 39:
                i += 1
        i += 1
    if quote:
        unsafe = i
    if unsafe:
        raise UserError(f"Unsafe command string: {_s(cmd)}\n{'':{unsafe + 13}}here ----^")


def system(cmd: bytes, out: CStdout | None = None, stdout: int | None = None) -> int:
    """``fossil_system``: run ``cmd`` with ``/bin/sh -c``, sharing our stdin, stdout
    (or ``stdout``) and stderr (what ``out`` holds stays held, as in C)."""
    import subprocess

    check_safe(cmd)
    try:
        return subprocess.call([b"sh", b"-c", cmd], executable="/bin/sh", stdout=stdout)
    except OSError as exc:
        raise UserError(f"cannot run {_s(cmd)}: {exc.strerror}") from None


def temp_dir(tmpdir: str | None) -> str:
    """The folder of ``file_tempname``; ``tmpdir``: $TMPDIR."""
    for d in (tmpdir, "/var/tmp", "/usr/tmp", "/tmp", "/temp"):
        if d and os.path.isdir(d):
            return d
    return "."


def tempname(basis: str, tag: str | None, tmpdir: str | None) -> str:
    """``file_tempname``: ``DIR/BASE~TAG.EXT`` for the last part of ``basis``; random
    letters for the tag while the name exists; ``'"`;|$&`` become "_"."""
    import random
    import string

    d = temp_dir(tmpdir)
    base = basis.replace("\\", "/").rsplit("/", 1)[-1]
    dot = base.rfind(".")
    stem, suffix = (base[:dot], base[dot:]) if dot > 0 else (base, "")
    if not stem:
        stem = "fossil"
    rng = random.SystemRandom()
    for _ in range(21):
        if tag is None:
            tag = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(15))
        name = f"{d}/{stem}~{tag}{suffix}"
        tag = None
        for ch in "'\"`;|$&":
            name = name.replace(ch, "_")
        if not os.path.exists(name.encode("utf-8", "surrogateescape")):
            return name
    raise UserError("cannot generate a temporary filename")


def looks_like_binary(data: bytes) -> bool:
    """``looks_like_binary``: a NUL byte or a line longer than 32767 bytes."""
    from fossilpy.checkout import commit_warnings as cw

    return bool(cw.looks_like_utf8(data) & (cw.LOOK_NUL | cw.LOOK_LONG))


def _write_file(path: str, data: bytes) -> None:
    try:
        with open(path.encode("utf-8", "surrogateescape"), "wb") as f:
            f.write(data)
    except OSError:
        raise UserError(f'unable to open file "{path}" for writing') from None


def _unlink(path: str) -> None:
    try:
        os.unlink(path.encode("utf-8", "surrogateescape"))
    except OSError:
        pass


class External:
    """A diff program and when to skip binary files (``zDiffCmd``, ``zBinGlob``,
    ``DIFF_INCBINARY``); ``is_binary_name`` matches the binary globs; ``tmpdir``: $TMPDIR."""

    def __init__(
        self,
        command: str,
        include_binary: bool,
        is_binary_name: Callable[[str], bool],
        out: CStdout,
        tmpdir: str | None,
    ) -> None:
        self.tmpdir = tmpdir
        self.command = command.encode("utf-8", "surrogateescape")
        self.include_binary = include_binary
        self.is_binary_name = is_binary_name
        self.out = out

    def _skip(self, name: str, old: bytes, new: bytes) -> bool:
        """Fossil's message instead of the program for a binary file (unless allowed)."""
        if self.include_binary:
            return False
        if looks_like_binary(old) or self.is_binary_name(name) or looks_like_binary(new):
            self.out.write(CANNOT_COMPUTE_BINARY)
            return True
        return False

    def diff_file(self, old: bytes, path: str, name: str, invert: bool) -> None:
        """``diff_file`` with a program: ``old`` against the file ``path`` on disk."""
        if not self.include_binary:
            new = b""
            if os.path.isfile(path.encode("utf-8", "surrogateescape")):
                try:
                    with open(path.encode("utf-8", "surrogateescape"), "rb") as f:
                        new = f.read()
                except OSError:
                    new = b""
            if self._skip(name, old, new):
                return
        tmp = tempname(path, "orig", self.tmpdir)
        pb, tb = path.encode("utf-8", "surrogateescape"), tmp.encode("utf-8", "surrogateescape")
        cmd = escaped_arg(escaped_arg(self.command, pb if invert else tb), tb if invert else pb)
        check_safe(cmd)
        _write_file(tmp, old)
        try:
            system(cmd, self.out)
        finally:
            _unlink(tmp)

    def diff_mem(self, old: bytes, new: bytes, name: str) -> None:
        """``diff_file_mem`` with a program: two stored versions."""
        if self._skip(name, old, new):
            return
        t1, t2 = tempname(name, "before", self.tmpdir), tempname(name, "after", self.tmpdir)
        cmd = escaped_arg(
            escaped_arg(self.command, t1.encode("utf-8", "surrogateescape")), t2.encode("utf-8", "surrogateescape")
        )
        check_safe(cmd)
        _write_file(t1, old)
        _write_file(t2, new)
        try:
            system(cmd, self.out)
        finally:
            _unlink(t1)
            _unlink(t2)
