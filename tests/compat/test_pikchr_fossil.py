"""Pikchr diagrams drawn by fossilpy and by fossil 2.21, byte for byte.

Every diagram of :data:`DIAGRAMS` goes through ``fossil pikchr FILE`` and
through :func:`fossilpy.markup.pikchr.pikchr`: the SVG is the same, and so
is the error report of a script Pikchr refuses (fossil prints it after
``pikchr ERROR:``, HTML-escaped).  The corpus covers every object class,
attributes, directions, text placement, arrows, ``chop``, ``then``, ``at``
and ``with``, places and edges, variables and expressions, ``define``
macros, colours, dashes, ``fit``, ``thickness``, sublists, layers, scale
and margins, ``print``, ``assert``, debugging output, and errors of every
kind (syntax, unknown names, limits, nesting); plus garbage that once
disagreed.  Two seeded generators add random scripts: statements built
from real attributes, and token soup (for syntax-error positions).
"""

from __future__ import annotations

import html
import random
import re
import subprocess
from pathlib import Path

import pytest

from fossilpy.markup.pikchr import pikchr
from tests.conftest import require_binary

#: name -> Pikchr script.
DIAGRAMS: dict[str, str] = {
    "garbage 3_136": "oval 3in 3in -\n",
    "garbage 3_3": "file 0x123 arc\n",
    "garbage 3_322": "dot 0x123 [ \n end ( same heading.start abs sw B: x top\n",
    "garbage 3_58": "cylinder 0.5 of.y s ne bottom s ht color oval thick [ last\n",
    "garbage 4_21": '"t" 0.5.x {box} bold rad last - dist y dashed\n',
    "garbage 4_314": '"t" 0.5 x= the dot end go heading\n',
    "garbage 4_50": "box linewid heading abs , heading bold Blue -= max B: ->\n",
    "arrows": (
        "arrow ->; arrow <-; arrow <->; line ->; arrow &larr;; line &leftrightarrow; thic"
        "k; line thin dashed; line dotted 0.1\n"
    ),
    "assert": "box\nassert( last box.wid == 0.75 )\nassert( last box.c == (0,0) )\n",
    "at": (
        'box at 1,1 "a"\n'
        "circle at 2,0 rad 0.3\n"
        "box with .nw at last circle.se\n"
        "box with sw at (1,1)\n"
        'text "hello" at 0.5 above last box\n'
    ),
    "behind": "box fill red; box fill blue at 0.3,0.3 behind 1st box\n",
    "between": (
        "A: box; B: circle at 3,0\n"
        "dot at 1/3 of the way between A and B\n"
        "dot at 0.5 way between A and B\n"
        "dot at 0.25 between A.n and B.n\n"
        "dot at 0.75 <A,B>\n"
    ),
    "chop": (
        "A: box; C: circle at 2,1; arrow from A to C chop; arrow from C to A chop; E: ellipse at 0,-1.5\n"
        "line from A to E chop\n"
    ),
    "classes": 'arc\narrow\nbox\ncircle\ncylinder\ndot\nellipse\nfile\nline\nmove\noval\nspline\ntext "t"\n',
    "classes_text": 'box "box"; circle "circle"; cylinder "cyl"; ellipse "ell"; file "file"; oval "oval"; dot "dot"\n',
    "close": "line right 1 then up 1 then left 0.5 close fill yellow\n",
    "colors": (
        "box fill red color blue; circle fill LightBlue color Green; ellipse fill 0xff8800\n"
        "line color rgb; box fill none\n"
    ),
    "colors2": "color = red; fill = yellow; box; circle; arrow\n",
    "comments": "# comment\n// another\n/* block */ box\n",
    "compass": (
        "A: box\n"
        "arrow from A.nw to A.se; arrow from A.sw to A.ne\n"
        "circle at A.n rad 0.05; circle at A.bot rad 0.05; circle at A.w rad 0.05\n"
        "line from A.north to A.south\n"
    ),
    "cont": "box \\\n wid 2\n",
    "cw": "arc; arc cw; arc ->; arc <- cw; arc from 0,0 to 1,1\n",
    "cylinder": 'cylinder "db" wid 1 ht 1 rad 0.2; cylinder fill lightgreen\n',
    "dark": "fgcolor = 0xff0000; box; bgcolor = 0x0000ff; box fill white\n",
    "dashed": "box dashed; box dotted; circle dashed 0.1; line dotted thick; box dashed color red solid\n",
    "debug": 'debug = 1\nA: box "hi"; arrow; circle\n',
    "debuglabel": "A: box; B: circle at 2,0\n",
    "debuglabel2": 'debug_label_color = red\nA: box "hi"; B: circle at 2,0\n',
    "dirs": "right; box; arrow; down; box; arrow; left; circle; arrow; up; ellipse\n",
    "dot": 'dot; dot color red; dot fill blue rad 0.05; dot "label" above\n',
    "empty": "",
    "entities": 'box "a &lt; b"; box "x & y"; box "<b>"; box "back\\\\slash"; box "q\\"uote"\n',
    "err_already": "box wid 1 wid 2\n",
    "err_arc": "arc right 1 then down 1\n",
    "err_assert": "assert( 1 == 2 )\n",
    "err_at_line": "line at 1,1\n",
    "err_big_nth": "box at 1001st box\n",
    "err_close": "line close\n",
    "err_color": "box fill Nocolor\n",
    "err_comment": "box /* open\n",
    "err_crlf": "box\r\nbox wid q\r\n",
    "err_div0": "box wid 1/0\n",
    "err_eof": "box wid\n",
    "err_eof2": "box wid",
    "err_fixed": "box at 1,1 at 2,2\n",
    "err_from_box": "box from 1,1\n",
    "err_heading_c": "line go 1 c\n",
    "err_lineonly": "box right 1\n",
    "err_macro": "define m { box wid $1 }\nm(zz)\n",
    "err_multi": 'box\ncircle\nline\nellipse\narrow\nbox\noval\nbox "x" bad\n',
    "err_multiline_ctx": "box\n\n\n\n\n\n\n\nbox foo bar\n",
    "err_nested_macro": "define a { box wid $1 }\ndefine b { a($1) }\nb(nope)\n",
    "err_novar": "box wid xyz\n",
    "err_nth": "circle at 5th box\n",
    "err_place": "box at A\n",
    "err_rb": "box ]\n",
    "err_recursive": "define m { m }\nm\n",
    "err_same": "box same\n",
    "err_sqrt": "box wid sqrt(-1)\n",
    "err_string": 'box "unterminated\n',
    "err_syntax": 'box "hi" foo\n',
    "err_then": "box then\n",
    "err_token": "box ` \n",
    "err_toomany": 'box "1" "2" "3" "4" "5" "6"\n',
    "err_unbalanced": "box; [ box\n",
    "err_unknown_obj": "line from Nope to 1,1\n",
    "err_vertex": "L: line; dot at 5th vertex of L\n",
    "even": (
        "A: box; B: box at 2,-1\n"
        "line from A.s down until even with B then right until even with B.w\n"
        "arrow from A.e right even with B\n"
    ),
    "expr": (
        "box wid abs(-1) ht max(0.3,0.5) \n"
        "box wid min(1,2) ht sqrt(0.25)\n"
        "circle rad cos(0)*0.2 + sin(0)\n"
        "box wid int(1.6) ht (1+2)*0.2\n"
        "box wid dist(last box.n, last box.s)\n"
    ),
    "file2": 'file "doc"; file rad 0.3 wid 1; file fill yellow\n',
    "fit": (
        'box "a long text here" fit; circle "x" "y" fit; oval "hi" fit; cylinder "db" fit'
        '; file "f" "g" fit; ellipse "a" "b" "c" fit\n'
    ),
    "fontscale": 'fontscale = 1.5; box "big font"\n',
    "from_to": "line from 0,0 to 1,1 to 2,0\narrow from 0,0 to 2,0 then up 1\n",
    "go": "line go right 1 go down 0.5\narrow go up 0.5 then go left 1\n",
    "headingpos": (
        "A: box\n"
        "dot at 1 ne of A\n"
        "dot at 1 heading 30 from A\n"
        "dot at 0.5 s of A\n"
        "dot at 1 left of A\n"
        "dot at 1 right of A.e\n"
        "dot at 0.5 above A\n"
        "dot at 0.5 below A\n"
    ),
    "invis": 'box invis "invisible"; arrow; circle invisible "c"\n',
    "labels": 'Start: box "start"; End: box "end" at Start + (2,0)\narrow from Start to End "label" above\n',
    "layers": "layer = 5; box fill red; layer = 1; circle fill blue at 0.2,0\n",
    "macros": (
        'define mybox { box $1 fill $2 }\nmybox("A",red)\nmybox("B",0x00ff00)\ndefine two { box; $1 }\ntwo(circle)\n'
    ),
    "margins": "margin = 0.5; leftmargin = 0.2; box\n",
    "nth": (
        "box; circle; box; circle\n"
        "arrow from 1st box to 2nd circle\n"
        "arrow from last box to first circle\n"
        "arrow from 2nd last circle.n to previous box.s\n"
    ),
    "ordinal": "box; box; box; box\ncircle at 3rd box\ncircle at 1st last box rad 0.1\n",
    "percent": "box wid 200% ht 50%\nline right 150%\n",
    "places": (
        "A: box; B: box at A.ne + (1,1); line from A.n to B.s; line from A.e to B.w; line"
        " from A.ne to B.sw; dot at A.c; dot at B.start; dot at A.end\n"
        "line from top of A to bottom of B\n"
        "line from left of B to right of A\n"
    ),
    "print": 'print 1+2, "hello", boxwid\nbox\n',
    "radius": (
        "box rad 0.1; box radius 0.25 wid 0.4; oval wid 2; circle diameter 1; line right "
        "1 then down 1 then left 1 rad 0.2\n"
    ),
    "same": (
        "box wid 2 fill red; box same; circle rad 0.2; box same as 1st box; arrow right 2 then down 1; arrow same\n"
    ),
    "sameline": "line dashed right 1; line same\n",
    "scale": 'scale = 0.5\nbox "half"; arrow; circle\n',
    "scale2": 'scale = 2\nbox "twice"\n',
    "sublist": (
        'A: [ box "x"; arrow; circle "y" ]\n'
        "B: [ box; box ] with .n at A.s - (0,0.5)\n"
        "arrow from A.B to B\n"
        "box at A.x+1, A.y\n"
    ),
    "sublist2": "[ right; box; box ] \n[ down; oval; oval ]\nline from 1st [].e to 2nd [].w\n",
    "text_objects": '"just text"; "more" "lines"; text "x" ljust; "y" rjust bold\n',
    "textpos": (
        'box "a" above "b" below "c" ljust "d" rjust wid 2\n'
        'box "x" bold "y" italic "z" big "w" small\n'
        'line "on" aligned "above" above\n'
    ),
    "textpos2": 'box "1" "2" "3" "4" "5"\nbox "a" ljust "b" rjust\nbox "big" big big "small" small small\n',
    "textwid": 'text "abc" wid 2; box "x" wid 0; box "y" ht 0\n',
    "then": (
        "line right 1 then down 0.5 then left 1 then up 0.25\n"
        "arrow from last line.end right 1 then up 1 then right 0.5 close\n"
    ),
    "then2": (
        "spline right 1 then down 1 then right 1 then up 1\narrow go 1 heading 45 then go 0.5 ne then 1 heading 180\n"
    ),
    "thickness": "box thickness 0.05; circle thick; line thin; thickness = 0.03; box; arrow thick thick\n",
    "this": "box wid 1 ht this.wid/2\n",
    "unicode": 'box "héllo wörld"; circle "日本"\n',
    "units": "box wid 2cm ht 10mm; box wid 100px ht 36pt; box wid 1in ht 3pc\n",
    "vars": (
        "boxwid = 1; boxht *= 2; x = 3\nx += 1; x -= 0.5; x /= 2; x *= 4\nbox wid x/3 ht boxht\ncircle rad 2*0.1+0.05\n"
    ),
    "vertex": (
        "L: line right 1 then up 1 then right 1\n"
        "dot at 2nd vertex of L\n"
        "dot at 3rd vertex of L\n"
        "box at L.start wid 0.2 ht 0.2\n"
    ),
    # Mutated corpus entries that once disagreed.
    "mutated 10_17": (
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ .n ]]]]]]] heading ]]]]]]]]]]]"
        "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n"
    ),
    "mutated 1_38": ("[ right; box; box  \n[ down; oval; oval ]\nline from 1st [].e to 2nd [].w\n"),
    "mutated 2_369": ("L: line; dot  5th vertex of L\n"),
    "mutated 3_66": (
        "box rad 0.1; box radius 0.25 wid 0.4; oval wid 2; circle diameter 1; line right "
        "c  1  fill then down 1 then left 1 rad 0.2\n"
    ),
    "mutated 4_222": ("define m { box wid $1 }m even zz)\n"),
    "mutated 4_237": (
        'define pt { dot at $1,$2 "$3" above }pt(1,1,a)\n'
        "pt(2, 2 ,b)\n"
        'pt((1+2),(3), "c")\n'
        "define nest { pt($1,$1,q) }\n"
        "nest(0.5)\n"
    ),
    "mutated 4_329": (
        'define mybox { box $1 fill $2 }mybox("A",red)\nmybox("B",0x00ff00)\ndefine two { box; $1 }\ntwo(circle)\n'
    ),
    "mutated 4_497": ("line go right 1 go down ne 0.5\narrow go up 0.5 then go left 1\n"),
    "mutated 5_263": ("define m { box wid $1 }m of zz)\n"),
    "mutated 7_487": ('X: [ A: box "a"; B: circle "b" at A + (1,0) ]\nline from  last .A to X.B chop\ndot at X.A.n\n'),
    "mutated 7_570": ('print last 1+2, "hello", boxwid\nbox\n'),
    "mutated 7_88": (
        "box at ((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((("
        " c (((((((((((((((((((((1,1))))))))))))))))))))))))))))))))))))))))))))))) go ))"
        "))))))))))))))))))))))))))))))))))))))))))))\n"
    ),
    "mutated 9_26": ('box close "unterminated'),
    "mutated 25 369": ('X: [ A: box "a"; B: circle "b" at A + (1 / 0) ]\nline from X.A to X.B chop\ndot at X.A.n\n'),
    # Corners of the renderer.
    "arc aligned": 'arc "text" aligned; arc cw "t2" aligned above ->\n',
    "assert pos": "A: box; B: box at 2,0\nassert( A.e == B.w )\n",
    "big text fit": 'box "This is a very long line of text in a box that should be fit" fit\n',
    "bigbold": 'box "x" big big bold fit; box "y" small small italic fit; box "zz" big small fit\n',
    "bigcolor": "box fill 0x1ffffff color -5; circle fill -1 color 0xfffffff\n",
    "chop all": (
        "A: box; B: cylinder at 2,1; C: file at 0,2; D: oval at 2,-1; E: dot at -1,-1; F:"
        ' text "t" at -1,1\n'
        "arrow from A to B chop; arrow from A to C chop; arrow from A to D chop; arrow fr"
        "om A to E chop; arrow from A to F chop\n"
    ),
    "colors fgbg": ('fgcolor = red; bgcolor = 0x00ff00\nbox fill white "x"; circle fill bgcolor; line color black\n'),
    "cyl text": 'cylinder "top" above "mid" "bot" below\n',
    "diag arrows": (
        "A: box; B: box at 2,2; C: box at -2,2; D: box at -2,-2; E: box at 2,-2\n"
        "arrow from A to B chop; arrow from A to C chop; arrow from A to D chop; arrow from A to E chop\n"
    ),
    "dot colors": "dot fill red color blue; dot color green; dot fill yellow; dot rad 0.1 invis\n",
    "dotted thin": "line dotted thin; line dotted thickness 0.001; box dotted 0.2 thick\n",
    "edges all": (
        "A: box rad 0.1\n"
        "for_each = 0\n"
        "dot at A.n; dot at A.ne; dot at A.e; dot at A.se; dot at A.s; dot at A.sw; dot a"
        "t A.w; dot at A.nw; dot at A.c\n"
        "C: circle at 2,0\n"
        "dot at C.ne; dot at C.sw\n"
        "F: file at 4,0\n"
        "dot at F.ne; dot at F.se\n"
        "Y: cylinder at 6,0\n"
        "dot at Y.ne; dot at Y.s\n"
    ),
    "filecyl": "file rad 1; cylinder rad 1; cylinder rad -0.1; file wid 0.1 ht 2\n",
    "fontscale0": 'fontscale = 0\nbox "t"\n',
    "hex nth": "box; box; box\ncircle at 0x2nd box\n",
    "layer neg": "layer = -5; box fill red; layer = 2000000000000; circle fill blue\n",
    "line close rad": "line right 1 then up 1 then left 1 close rad 0.2 fill pink\n",
    "macro params": (
        'define pt { dot at $1,$2 "$3" above }\n'
        "pt(1,1,a)\n"
        "pt(2, 2 ,b)\n"
        'pt((1+2),(3), "c")\n'
        "define nest { pt($1,$1,q) }\n"
        "nest(0.5)\n"
    ),
    "macro redefine": "define a { box }\na\ndefine a { circle }\na\n",
    "move text": 'box; move "label"; box; move to 3,1 "x"; circle\n',
    "negative": 'box wid -1 ht -0.5; circle rad 0; ellipse wid 0 ht 0 "e"\n',
    "oval fit": 'oval "a" "b" "c" "d" fit; oval "wide text here" fit; oval wid 0.2 ht 1\n',
    "percent rel": "box wid 50% ht 200%; line right 200%; circle rad 50%\n",
    "print all": 'x = 2\nprint fill, color, thickness, x, Red, "a<b>", 1/3\nbox\n',
    "props": (
        "A: box wid 1.3 ht 0.7 rad 0.1 thickness 0.02 dashed 0.07 fill red color blue\n"
        "box wid A.wid ht A.ht rad A.rad thickness A.thickness fill A.fill color A.color at 2,0\n"
        "box wid A.dashed*10 ht A.diameter\n"
    ),
    "same line": "L: line right 1 then up 1; line same; line same as L dashed; arrow same as L\n",
    "scale big": "scale = 2000\nbox\n",
    "scale small": "scale = 0.001\nbox\n",
    "spline arrow": (
        "spline -> right 1 then up 1 then right 1 then down 0.5\nspline <-> from 0,-1 right 1 then down 0.5 close\n"
    ),
    "strings escape": 'box "a\\\\b"; box "tab\\tx"; box "q\\"q"; box "end\\\\"\n',
    "sublist names": ('X: [ A: box "a"; B: circle "b" at A + (1,0) ]\nline from X.A to X.B chop\ndot at X.A.n\n'),
    "sublist nested": "[ [ box; box ] ; [ circle; circle ] ]\narrow from last [].e right\n",
    "text color": 'text "red" color red; text "big" big color 0x00ff00; "plain"\n',
    "text just": (
        'box wid 2 ht 1 "l" ljust "r" rjust "c"; box "a" ljust above "b" rjust above "c" ljust below "d" rjust below\n'
    ),
    "text many": (
        'line right 3 "1" "2" "3" "4" "5"; box "a" above "b" above "c" above; box "x" below "y" below "z" below\n'
    ),
    "then heading": (
        "line go 1 heading 0 then go 1 heading 90 then go 1 heading 180 then go 1 heading"
        " 270 then go 1 heading 360 then go 1 heading -45\n"
    ),
    "thickness0": "thickness = 0\nbox; arrow\n",
    "units all": "box wid 1in; box wid 2.54cm; box wid 25.4mm; box wid 72pt; box wid 96px; box wid 6pc\n",
    "until even": "A: box at 3,2\nline from 0,0 up until even with A then right until even with A.w ->\n",
    "zero arrow": "line right 0 ->; arrow from 1,1 to 1,1; arrow <-> right 0.01\n",
    # Diagrams in the style of Fossil's documentation.
    "doc branching": (
        "scale = 0.8\nfill = white\nlinewid *= 0.5\n"
        'circle "C0" fit\ncircle same "C1" at C0.e + (0.5,0)\n'
        'arrow from C0.e to C1.w\nC2: circle same "C2" at C1.e + (0.5,0.6)\n'
        'arrow from C1.ne to C2.w chop\nC3: circle same "C3" at C1.e + (0.5,-0.6)\n'
        'arrow from C1.se to C3.w chop\nbox "trunk" ljust at C0.n + (0,0.3) invis\n'
    ),
    "doc layers": (
        'box "Application" wid 2.5 ht 0.4 fill 0xc6dbef\n'
        'down; move 0.1\nbox same "fossilpy" fill 0x9ecae1\nmove 0.1\n'
        'box same "SQLite" fill 0x6baed6 color white\n'
        "arrow from 1st box.e right 0.5 then down until even with last box then left 0.5\n"
        'text "calls" at last arrow.c + (0.3,0) italic\n'
    ),
    "doc cylinder and file": (
        'D: cylinder "repo.fossil" fit fill lightyellow\narrow <-> "sync" above\n'
        'F: file "checkout" "files" fit\nspline -> from F.s down 0.3 then left 2 then up 0.3 to D.s dashed\n'
    ),
    "doc aligned text": (
        'A: dot; B: dot at 2,1\narrow from A to B "along" aligned above "the line" aligned below\n'
        'arc -> from B to A cw "arc" aligned\nline from A to (1,-1) "small" small "big" big\n'
    ),
    # The parser's limits: its stack of 100 entries and the token count.
    "depth 93 parentheses": "box at " + "(" * 93 + "1,1" + ")" * 93 + "\n",
    "depth 94 parentheses": "box at " + "(" * 94 + "1,1" + ")" * 94 + "\n",
    "depth 48 brackets": "[" * 48 + "box" + "]" * 48 + "\n",
    "depth 49 brackets": "[" * 49 + "box" + "]" * 49 + "\n",
    "depth 3000 parentheses": "box at " + "(" * 3000 + "1" + ")" * 3000 + ",1\n",
    "unary signs 95": "box wid " + "- " * 95 + "1\n",
    "unary signs 96": "box wid " + "- " * 96 + "1\n",
    "unary signs 5000": "box wid " + "- " * 5000 + "1\n",
    "many boxes": "box\n" * 2000,
    "long path": "line " + "right 0.01 then " * 900 + "up\n",
    "too many path points": "line " + "right 0.01 then up 0.01 then " * 520 + "right\n",
    "too many tokens": "x = 1\n" * 33400,
    "macro bomb": (
        "define a {box;box;box;box;box;box;box;box;box;box}\n"
        "define b {a\na\na\na\na\na\na\na\na\na}\ndefine c {b\nb\nb\nb\nb\nb\nb\nb\nb\nb}\nc\n"
    ),
}


def _fossil(src: str, tmp_path: Path) -> str:
    """What ``fossil pikchr`` prints for ``src``: the SVG, or its error message."""
    path = tmp_path / "d.pikchr"
    path.write_bytes(src.encode())
    done = subprocess.run([require_binary("fossil"), "pikchr", str(path)], capture_output=True, timeout=60)
    return (done.stdout if done.returncode == 0 else done.stderr).decode()


def _ours(src: str) -> str:
    """The same from fossilpy (an error as ``fossil pikchr`` prints it)."""
    out, w, h = pikchr(src)
    if w > 0 and h > 0:
        return out
    return "pikchr ERROR:\n" + html.escape(out).replace("&#x27;", "&#39;") + "\n"


@pytest.mark.parametrize("name", sorted(DIAGRAMS))
def test_diagram_is_fossils(name: str, tmp_path: Path) -> None:
    src = DIAGRAMS[name]
    assert _ours(src) == _fossil(src, tmp_path)


def test_the_corpus_draws_and_refuses() -> None:
    """The corpus is not all errors: most scripts draw, and the errors are
    of many kinds."""
    drawn = [n for n, s in DIAGRAMS.items() if pikchr(s)[1] > 0]
    errors = {pikchr(s)[0].rsplit("ERROR: ", 1)[-1].strip() for s in DIAGRAMS.values() if pikchr(s)[1] < 0}
    assert len(drawn) >= 60, len(drawn)
    assert len(errors) >= 20, errors


def test_error_report_is_pikchrs() -> None:
    """The report of a syntax error, exactly (plain text, as Fossil asks for)."""
    out, w, h = pikchr('box "hi"\ncircle "x" foo bar\n')
    assert (w, h) == (-1, -1)
    assert (
        out == '/*    1 */  box "hi"\n/*    2 */  circle "x" foo bar\n                       ^^^\nERROR: syntax error\n'
    )
    assert pikchr("") == ("<!-- empty pikchr diagram -->\n", 0, 0)
    out, w, h = pikchr("define m {box wid $1}\nm(nope)\n")
    assert out.endswith("ERROR: no such variable\n")


_ATTRS = (
    "wid 1|ht 0.3|rad 0.1|diameter 0.4|thickness 0.02|dashed|dotted 0.03|fill red|color blue|right|left 0.5"
    "|up|down 50%|then|then down 0.2|go 0.5 ne|then 1 heading 120|close|chop|from 0,0|to 1,1|to last box"
    '|from A|to B.n|at 1,0|at A.ne + (0.1,0.1)|with .n at A.s|with se at (1,1)|same|same as A|"a"'
    '|"b" above|"c" below ljust|"d" rjust bold|"e" italic big|fit|behind A|cw|ccw|->|<-|<->'
    "|invis|thick|thin|solid|at 0.5 between A and B|at 1 ne of A|at 0.3 above B|at 1 heading 45 from A"
    "|right until even with B|at (A,B)|at A.x, B.y|at 2nd vertex of L|wid A.wid*2|ht dist(A,B)/3|aligned"
    '|"f" aligned above|0.5|1.2|x|rad boxht/4|color 0x808080|fill none|at last circle.start|from A.e'
).split("|")
_OBJECTS = "box circle ellipse oval cylinder file dot text line arrow spline move arc".split() + [
    '"txt"',
    "[box;circle]",
    "[]",
]
_STATEMENTS = [
    'A: box "A"',
    'B: circle "B" at 2,1',
    "L: line right 1 then up 0.5 then right 0.5",
    "x = 0.7",
    "boxwid *= 1.2",
    "down",
    "right",
    "left",
    "up",
    "linerad = 0.1",
    "boxrad = 0.05",
    "C: 1,2",
]
_SOUP = (
    "box circle line arrow dot text move arc spline oval file cylinder ellipse A B C: A: x n ne e sw c "
    "center top bottom left right start end up down then go heading even until with at from to of the way "
    "between and above below ljust rjust bold italic big small aligned fit chop close same as behind wid ht "
    "rad diameter thickness dashed dotted fill color red Blue 0x123 1 2 0.5 3in 2cm 50% 1st 2nd last "
    "previous this vertex invis thick thin solid cw ccw -> <- <-> + - * / ( ) , .x .y .n .e .start .wid "
    '[ ] ; "s" "t" = += -= assert == print dist abs max min sqrt int define m {box} $1 < > boxwid'
).split() + ["\n"] * 6


def _structured(rng: random.Random) -> str:
    lines = rng.sample(_STATEMENTS, rng.randint(0, 4))
    for _ in range(rng.randint(1, 6)):
        words = [rng.choice(_ATTRS) for _ in range(rng.randint(0, 4))]
        line = " ".join([rng.choice(_OBJECTS), *words])
        if rng.random() < 0.2:
            line = rng.choice("ABLX") + "x: " + line
        lines.insert(rng.randint(0, len(lines)), line)
    return "\n".join(lines) + "\n"


def _soup(rng: random.Random) -> str:
    return " ".join(rng.choice(_SOUP) for _ in range(rng.randint(1, 14))).replace(" .", ".") + "\n"


_BLOCKS = "box circle ellipse oval cylinder file dot text".split() + [
    '"txt"',
    '[box "in"; arrow; circle]',
    "[right; box; box]",
]
_LINES = "line arrow spline move arc".split()
_COMMON = (
    '"a"|"b" above|"c" below ljust|"d" rjust bold|"e" italic big|"w w" small small|"x" aligned|thickness 0.02'
    "|thick|thin|invis|dashed|dotted|dashed 0.08|fill red|color blue|fill 0xeeddcc|color Green|behind A|same"
    '|same as A|solid|"&lt;q&gt;"|"\u00fc"'
).split("|")
_BLOCK_ATTRS = (
    "wid 1|ht 0.3|rad 0.1|diameter 0.4|wid 150%|ht 2cm|fit|at 1,0|at A.ne + (0.1,0.1)|with .n at A.s"
    "|with se at (1,1)|with .start at B.e|with .end at A.w|at 0.5 between A and B|at 1 ne of A|at 0.3 above B"
    "|at 1 heading 45 from A|at (A,B)|at A.x, B.y|at 2nd vertex of L|wid A.wid*2|ht dist(A,B)/3|at L.end"
    "|at B.bot|at 0.2 <A,B>|at 1 sw of B|wid 0|ht 0|rad 0.05 fit"
).split("|")
_LINE_ATTRS = (
    "right|left 0.5|up|down 50%|then|then down 0.2|go 0.5 ne|then 1 heading 120|chop|from A|to B|from 0,0"
    "|to 1,1|to B.n|from A.e|then right 0.3 then down 0.3 rad 0.05|right until even with B"
    "|up until even with B.n|->|<-|<->|cw|ccw|close|same as L|to 2nd vertex of L|from A.n to B.s then down 0.2"
    "|rad 0.1|1.2|0.5|then go 0.4 heading 300|right 1 then up 1 then left 0.5 close fill yellow"
).split("|")
_SETTINGS = (
    "margin = 0.1|scale = 0.7|fontscale = 1.2|thickness = 0.02|arrowwid = 0.1|charwid = 0.1|layer = 3"
    "|color = blue|fill = 0xddeeff|boxwid *= 1.3|linerad = 0.1|down|left|up|right|leftmargin = 0.3|boxrad = 0.1"
).split("|")
_NAMED = ['A: box "A"', 'B: circle "B" at 2,1', "L: line right 1 then up 0.5 then right 0.5", 'C: ellipse "C" at 1,-1']


def _drawing(rng: random.Random) -> str:
    """Mostly well-formed diagrams: named objects first, then objects with
    attributes that suit their class (about half of them draw)."""
    out = rng.sample(_SETTINGS, rng.randint(0, 2)) + _NAMED
    for _ in range(rng.randint(1, 6)):
        if rng.random() < 0.5:
            thing, pool = rng.choice(_BLOCKS), _BLOCK_ATTRS + _COMMON
        else:
            thing, pool = rng.choice(_LINES), _LINE_ATTRS + _COMMON
        line = " ".join([thing, *(rng.choice(pool) for _ in range(rng.randint(0, 3)))])
        out.append(rng.choice("DEFG") + ": " + line if rng.random() < 0.3 else line)
        if rng.random() < 0.2:
            out.append(rng.choice(_SETTINGS))
    return "\n".join(out) + "\n"


_PIECES = re.compile(r'"(?:[^"\\]|\\.)*"|\s+|[A-Za-z_][A-Za-z0-9_]*|[0-9.]+[a-z%]*|.')
_SMALL = sorted(src for src in DIAGRAMS.values() if 0 < len(src) < 400)


def _mutated(rng: random.Random) -> str:
    """A corpus script with a token or two deleted, inserted or replaced."""
    pieces = _PIECES.findall(rng.choice(_SMALL))
    for _ in range(rng.randint(1, 2)):
        if not pieces:
            break
        k = rng.randrange(len(pieces))
        roll = rng.random()
        if roll < 0.33:
            del pieces[k]
        elif roll < 0.66:
            pieces.insert(k, f" {rng.choice(_SOUP)} ")
        else:
            pieces[k] = f" {rng.choice(_SOUP)} "
    return "".join(pieces)


_MAKERS = {"structured": _structured, "soup": _soup, "drawing": _drawing, "mutated": _mutated}


@pytest.mark.parametrize("kind", sorted(_MAKERS))
def test_random_scripts_are_fossils(kind: str, tmp_path: Path) -> None:
    """Seeded random scripts, 150 of each kind: same SVG, same error."""
    rng = random.Random(f"pikchr-{kind}")
    mismatches = []
    drawn = 0
    for _ in range(150):
        src = _MAKERS[kind](rng)
        ours = _ours(src)
        drawn += ours.startswith("<svg")
        if ours != _fossil(src, tmp_path):
            mismatches.append(src)
    assert not mismatches, mismatches[:5]
    if kind == "drawing":
        assert drawn >= 50, drawn
