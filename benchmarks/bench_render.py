"""Rendering speed of the wiki renderers, on Fossil's own documentation.

    python benchmarks/bench_render.py WWW-DIR [--rev REV] [--repeat 5]

WWW-DIR is the ``www`` directory of a Fossil source tree (2.21: 43 Markdown
files, 555 KB, and Fossil-wiki files, 696 KB).  The files of each kind are
concatenated and rendered once per repeat with ``render(text, mimetype)``;
check-in comments go through ``render_inline`` (300 plain ones, the
timeline's fast path, and 200 with links and tags).  Printed: the best of
--repeat for each.  With ``--rev REV`` the same is measured, in turn, for
that git revision of this tree (exported to a temporary directory and run
in a child process), and the ratios this tree / REV are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Runs in the child: measures the tree on sys.path[0].
CHILD = r"""
import importlib, json, sys, timeit
from pathlib import Path
www, repeat, tree = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
sys.path.insert(0, str(tree))
name = "fossilpy.markup.wikirender"
if not (tree / "fossilpy" / "markup" / "wikirender.py").exists():
    name = "fossilpy.web.wikirender"  # before the markup layer
wr = importlib.import_module(name)
assert Path(wr.__file__).is_relative_to(tree), wr.__file__
md = "\n".join(p.read_text() for p in sorted(Path(www).glob("*.md")))
wiki = "\n".join(p.read_text() for p in sorted(Path(www).glob("*.wiki")))
plain = ["Fix the build on OpenBSD.", "Merge trunk into the branch", "Typo in the docs."] * 100
marked = ["Fix [abcdef0123] and <b>bold</b> &amp; more", "See [/timeline|the timeline]"] * 100
def best(f, n=repeat):
    return min(timeit.repeat(f, number=1, repeat=n))
out = {
    "markdown": best(lambda: wr.render(md, "text/x-markdown")),
    "wiki": best(lambda: wr.render(wiki, "text/x-fossil-wiki")),
    "inline plain": best(lambda: [wr.render_inline(c) for c in plain], 4 * repeat) / len(plain),
    "inline markup": best(lambda: [wr.render_inline(c) for c in marked], 4 * repeat) / len(marked),
    "sizes": [len(md), len(wiki)],
    "module": wr.__file__,
}
print(json.dumps(out))
"""


def measure(tree: Path, www: Path, repeat: int) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    proc = subprocess.run([sys.executable, "-c", CHILD, str(www), str(repeat), str(tree)], cwd=tree, env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("www", type=Path)
    ap.add_argument("--rev", help="also measure this git revision of the tree")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    here = measure(ROOT, args.www.resolve(), args.repeat)
    sizes = here.pop("sizes")
    print("this tree:", here.pop("module"))
    print(f"documents: {sizes[0] // 1000} KB Markdown, {sizes[1] // 1000} KB Fossil wiki (best of {args.repeat})")
    there = None
    if args.rev:
        with tempfile.TemporaryDirectory() as tmp:
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.rev], capture_output=True,
                                     check=True).stdout
            subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
            there = measure(Path(tmp), args.www.resolve(), args.repeat)
            there.pop("sizes")
            print(f"{args.rev}:", there.pop("module"))
    for key, value in here.items():
        unit, scale = ("us", 1e6) if key.startswith("inline") else ("s", 1.0)
        line = f"{key:14s} {value * scale:9.3f} {unit}"
        if there is not None:
            line += f"   {args.rev}: {there[key] * scale:9.3f} {unit}   ratio {value / there[key]:.2f}"
        print(line)


if __name__ == "__main__":
    main()
