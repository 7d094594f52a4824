"""``fossil diff --tk``: a Tcl/Tk window showing the diff side by side
(``diff_tk`` in ``src/diffcmd.c``).

The command writes a Tcl script whose first line names the command that
produces the diff, then the viewer::

    set fossilcmd {| "FOSSIL" diff -tcl -i -v ARG ...}
    ... the viewer: runs $fossilcmd, reads its --tcl lines
        (FILE/SKIP/COM/INS/DEL/EDIT, see fossilpy.checkout.diffformat)

ARG are the command's own arguments in their order, less ``--tk``,
``--tcl``, ``--html``, ``-y``, ``-i``, ``-v``, ``--tclsh PATH`` and
``--script FILE``: each in braces, or, if it holds a "}", as ``\\ooo``
octal escapes of its bytes.  FOSSIL is this program (``PYTHON -m
fossilpy`` when it runs from a Python interpreter).

The script goes to ``file-HEX`` in the current folder and ``TCLSH FILE`` is
run through the shell (``--tclsh``, else the ``tclsh`` setting's default,
"tclsh"), then the file is deleted; with ``--script FILE`` it is written to
FILE instead and the command to run it is printed.  The viewer is fossilpy's
own (Fossil's ``diff.tcl`` is not copied): two text panes scrolled together,
changed bytes highlighted, a Quit button.
"""

from __future__ import annotations

import os
import random
import sys
from collections.abc import Callable

from fossilpy.checkout.diffext import escaped_arg, system
from fossilpy.errors import UserError

VIEWER = r"""set prog {
package require Tk
wm title . {Diff}
array set C {hdr #404040 hdrfg #ffffff add #c8f0c8 rm #f8c8c8 chng #c8c8f8 ln #808080 skip #a0a0a0}
frame .top
button .top.quit -text Quit -command exit
pack .top.quit -side left -padx 4 -pady 4
label .top.files -text {}
pack .top.files -side left -padx 8
foreach s {A B} {
  text .t$s -wrap none -width 80 -height 40 -font TkFixedFont -yscrollcommand {.sy set} \
      -xscrollcommand [list .sx$s set] -relief flat -highlightthickness 0
  scrollbar .sx$s -orient horizontal -command [list .t$s xview]
  .t$s tag configure hdr -background $C(hdr) -foreground $C(hdrfg)
  .t$s tag configure add -background $C(add)
  .t$s tag configure rm -background $C(rm)
  .t$s tag configure chng -background $C(chng)
  .t$s tag configure ln -foreground $C(ln)
  .t$s tag configure skip -foreground $C(skip)
}
scrollbar .sy -orient vertical -command {yboth}
proc yboth {args} { .tA yview {*}$args; .tB yview {*}$args }
foreach s {A B} { bind .t$s <MouseWheel> {yboth scroll [expr {-%D/40}] units; break} }
grid .top -row 0 -column 0 -columnspan 3 -sticky w
grid .tA -row 1 -column 0 -sticky nsew
grid .tB -row 1 -column 1 -sticky nsew
grid .sy -row 1 -column 2 -sticky ns
grid .sxA -row 2 -column 0 -sticky ew
grid .sxB -row 2 -column 1 -sticky ew
grid rowconfigure . 1 -weight 1
grid columnconfigure . {0 1} -weight 1
proc num {n} { if {$n eq ""} { return "      " }; return [format {%5d } $n] }
proc row {nA partsA nB partsB} {
  .tA insert end [num $nA] ln
  .tB insert end [num $nB] ln
  foreach {t tag} $partsA { .tA insert end $t $tag }
  foreach {t tag} $partsB { .tB insert end $t $tag }
  .tA insert end \n
  .tB insert end \n
}
set in [open $fossilcmd r]
fconfigure $in -encoding utf-8
set nA 0
set nB 0
set nFiles 0
while {[gets $in line] >= 0} {
  if {$line eq ""} continue
  if {[catch {lindex $line 0} op]} { set op {} }
  switch -- $op {
    FILE {
      incr nFiles
      set nA 0
      set nB 0
      .tA insert end "[lindex $line 1]\n" hdr
      .tB insert end "[lindex $line 2]\n" hdr
    }
    SKIP {
      incr nA [lindex $line 1]
      incr nB [lindex $line 1]
      row {} [list "..." skip] {} [list "..." skip]
    }
    COM { row [incr nA] [list [lindex $line 1] {}] [incr nB] [list [lindex $line 1] {}] }
    INS { row {} {} [incr nB] [list [lindex $line 1] add] }
    DEL { row [incr nA] [list [lindex $line 1] rm] {} {} }
    EDIT {
      set a {}
      set b {}
      set k [llength $line]
      for {set i 1} {$i < $k} {incr i 3} {
        set same [lindex $line $i]
        lappend a $same {}
        lappend b $same {}
        if {$i + 2 < $k} {
          set l [lindex $line [expr {$i + 1}]]
          set r [lindex $line [expr {$i + 2}]]
          lappend a $l [expr {$r eq "" ? "rm" : "chng"}]
          lappend b $r [expr {$l eq "" ? "add" : "chng"}]
        }
      }
      row [incr nA] $a [incr nB] $b
    }
    default {
      .tA insert end "$line\n" rm
      .tB insert end "$line\n" rm
    }
  }
}
catch {close $in}
.top.files configure -text "$nFiles file(s)"
.tA configure -state disabled
.tB configure -state disabled
}
eval $prog
"""


def _program() -> str:
    """This program as the viewer's pipe runs it (``g.nameOfExe``)."""
    if getattr(sys, "frozen", False):
        return f'"{sys.executable}"'
    return f'"{sys.executable}" -m fossilpy'


def find_option(args: list[str], long: str, short: str | None, value: bool) -> str | None:
    """Fossil's ``find_option`` on ``args`` (the arguments after the command name):
    the first ``-NAME``/``--NAME`` (``=VALUE`` or the next argument) before ``--``
    is removed and its value (or "") returned.  As in Fossil, an option taking a
    value is not looked for in the last argument, even in the ``--NAME=VALUE`` form."""
    for i, a in enumerate(args):
        if i + value >= len(args):
            break
        if not a.startswith("-"):
            continue
        z = a[1:]
        if z.startswith("-"):
            if z == "-":
                break
            z = z[1:]
        if z.startswith(long):
            rest = z[len(long) :]
            if value and rest.startswith("="):
                del args[i]
                return rest[1:]
            if not rest:
                got = args[i + 1] if value else ""
                del args[i : i + 1 + value]
                return got
        elif short is not None and z == short:
            got = args[i + 1] if value else ""
            del args[i : i + 1 + value]
            return got
    return None


def script(subcmd: str, args: list[str]) -> bytes:
    """The whole Tcl script for ``args``, the options of ``diff_tk`` already taken out."""
    head = f"set fossilcmd {{| {_program()} {subcmd} -tcl -i -v".encode("utf-8", "surrogateescape")
    for a in args:
        z = a.encode("utf-8", "surrogateescape")
        if b"}" in z:
            head += b" " + b"".join(b"\\%03o" % c for c in z)
        else:
            head += b" {" + z + b"}"
    return head + b"}\n" + VIEWER.encode()


def _write_file(name: str, data: bytes, write: Callable[[bytes], None]) -> None:
    """``blob_write_to_file``: "-" (or "") is stdout; missing folders are made."""
    if name in ("", "-"):
        write(data)
        return
    path = name.encode("utf-8", "surrogateescape")
    try:
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    except OSError:
        raise UserError(f'unable to open file "{name}" for writing') from None


def run(subcmd: str, argv: list[str], write: Callable[[bytes], None]) -> None:
    """Show the diff in a window (or write the script to ``--script FILE``);
    ``argv``: the command's arguments after its name, as given."""
    args = list(argv)
    find_option(args, "tk", None, False)
    for long, short in (("tcl", None), ("html", None), ("side-by-side", "y"), ("internal", "i"), ("verbose", "v")):
        find_option(args, long, short, False)
    # Fossil reads the tclsh setting before it opens a repository: only its default counts
    tclsh = find_option(args, "tclsh", None, True) or "tclsh"
    script_file = find_option(args, "script", None, True)
    text = script(subcmd, args)
    if script_file is not None:
        _write_file(script_file, text, write)
        write(f'To see diff, run: {tclsh} "{script_file}"\n'.encode("utf-8", "surrogateescape"))
        return
    while True:
        name = f"file-{random.getrandbits(64):016x}"
        if not os.path.exists(name):
            break
    _write_file(name, text, write)
    try:
        cmd = escaped_arg(escaped_arg(b"", tclsh.encode("utf-8", "surrogateescape")), name.encode())
        system(cmd)
    finally:
        try:
            os.unlink(name)
        except OSError:
            pass
