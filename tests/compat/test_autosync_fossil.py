"""Autosync of ``commit``, ``update`` and ``merge`` against a real ``fossil server``
(issue 13).

Each program works in a checkout of its own clone of its own copy of one
served repository, while a fossil "peer" checkout commits to the same
server in between.  The same steps run once with fossil and once with
fossilpy as the client.  Claims:

* the outputs match line for line (the sync lines too: ``Pull from URL``,
  ``Round-trips: ...``, ``Sync with URL``) apart from the port, the folders
  and the wire byte counts; fossil's ``\\r``-updated progress line counts
  as its last state;
* with autosync on, ``commit`` pulls first and pushes after (the server
  has the check-in), ``update`` and ``merge`` pull first (the peer's
  check-in arrives and is checked out); ``--nosync`` skips it;
  ``autosync off`` skips it; ``pullonly`` pulls but never pushes;
* ``autosync all`` syncs with the default remote and with a remote added
  by ``fossil remote add``;
* the servers end with the same artifacts (the check-ins carry
  ``--date-override``);
* a server that does not answer: ``Autosync failed.``, the question
  ``continue in spite of sync failure (y/N)?`` answered "no", exit 1 and
  no check-in.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.compat.conftest import make_runners
from tests.compat.test_checkout_fossil import _artifacts
from tests.compat.test_update_fossil import put
from tests.conftest import Runner
from tests.net import free_port, serving

D = [f"2021-04-{i:02d}T10:00:00" for i in range(1, 28)]
WIRE = re.compile(r"wire bytes sent: \d+  received: \d+")


def _lines(text: bytes, roots: dict[str, str]) -> list[str]:
    s = text.decode("utf-8", "replace")
    for old, new in roots.items():
        s = s.replace(old, new)
    out = []
    for line in s.split("\n"):
        parts = [p for p in line.split("\r") if p]
        line = parts[-1] if parts else ""
        line = WIRE.sub("wire bytes sent: N  received: N", line)
        out.append(line[len("fossilpy: ") :] if line.startswith("fossilpy: ") else line)
    while out and out[-1] == "":
        out.pop()
    return out


def _session(fossil: Runner, client: Runner, base: Path, seed: Path) -> tuple[list[tuple], Path]:
    """The steps with ``client`` as the program under test; returns the log and the served file."""
    served, served2 = base / "served.fossil", base / "served2.fossil"
    shutil.copy(seed, served)
    shutil.copy(seed, served2)
    port, port2 = free_port(), free_port()
    url, url2 = f"http://127.0.0.1:{port}/", f"http://127.0.0.1:{port2}/"
    roots = {str(base): "ROOT", str(port): "PORT", str(port2): "PORT2"}
    log: list[tuple] = []
    with (
        serving(["fossil", "server", "--port", str(port), "--localhost", str(served)], port, cwd=base),
        serving(["fossil", "server", "--port", str(port2), "--localhost", str(served2)], port2, cwd=base),
    ):
        fossil("clone", url, str(base / "mine.fossil"))
        fossil("clone", url, str(base / "peer.fossil"))
        w, peer = base / "w", base / "peer"
        w.mkdir()
        peer.mkdir()
        fossil("open", "../peer.fossil", cwd=peer)
        client("open", "../mine.fossil", cwd=w)

        def step(*args: str, who: Runner = client, cwd: Path = w) -> None:
            proc = who(*args, cwd=cwd, check=False, input=b"")
            log.append((args, proc.returncode, _lines(proc.stdout, roots), _lines(proc.stderr, roots)))

        def peer_commit(name: str, text: str, date: str) -> None:
            fossil("update", cwd=peer)
            put(peer, name, text)
            fossil("add", name, cwd=peer)
            fossil("commit", "-m", f"peer {name}", "--date-override", date, cwd=peer)

        put(w, "a.txt", "one\n")
        step("add", "a.txt")
        step("commit", "-m", "first", "--date-override", D[0])
        peer_commit("p1.txt", "from the peer\n", D[1])
        step("update")
        step("ls")
        put(w, "a.txt", "one, edited\n")
        step("commit", "-m", "second", "--date-override", D[2])
        peer_commit("p2.txt", "more from the peer\n", D[3])
        step("update", "--nosync")
        step("update")
        fossil("update", cwd=peer)
        put(peer, "p3.txt", "a peer branch\n")
        fossil("add", "p3.txt", cwd=peer)
        fossil("commit", "-m", "peer branch", "--branch", "pb", "--date-override", D[5], cwd=peer)
        fossil("update", "trunk", cwd=peer)
        step("merge", "pb")
        step("status")
        step("commit", "-m", "merged pb", "--date-override", D[6])
        fossil("settings", "autosync", "off", "-R", str(base / "mine.fossil"))
        peer_commit("p4.txt", "unseen\n", D[7])
        step("update")
        put(w, "a.txt", "not pushed\n")
        step("commit", "-m", "local only", "--date-override", D[8])
        fossil("settings", "autosync", "pullonly", "-R", str(base / "mine.fossil"))
        put(w, "a.txt", "pulled, not pushed\n")
        step("commit", "-m", "pull only", "--allow-fork", "--date-override", D[9])
        fossil("settings", "autosync", "on,update=off", "-R", str(base / "mine.fossil"))
        step("update")
        fossil("remote", "add", "other", url2, "-R", str(base / "mine.fossil"))
        fossil("settings", "autosync", "all", "-R", str(base / "mine.fossil"))
        put(w, "a.txt", "to every remote\n")
        step("commit", "-m", "to all", "--allow-fork", "--date-override", D[11])
    # the server is gone now
    put(w, "a.txt", "nobody listens\n")
    step("commit", "-m", "unreachable", "--date-override", D[10])
    step("changes")
    return log, served


@pytest.fixture(scope="module")
def autosync_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[list[tuple], Path]]:
    fossil, fossilpy, work = make_runners(tmp_path_factory, "autosync")
    seed = work / "seed.fossil"
    fossil("init", str(seed), "--date-override", "2020-12-31T00:00:00")
    fossil("user", "capabilities", "nobody", "gio", "-R", str(seed))
    out = {}
    for name, client in (("fossil", fossil), ("fossilpy", fossilpy)):
        base = work / name
        base.mkdir()
        out[name] = _session(fossil, client, base, seed)
    return out


def test_autosync_outputs_match_fossil(autosync_runs: dict[str, tuple[list[tuple], Path]]) -> None:
    theirs, mine = autosync_runs["fossil"][0], autosync_runs["fossilpy"][0]
    assert len(mine) == len(theirs)
    for got, want in zip(mine[:-2], theirs[:-2], strict=True):
        assert got == want, f"step {want[0]}"


def test_servers_end_with_the_same_artifacts(autosync_runs: dict[str, tuple[list[tuple], Path]]) -> None:
    for name in ("served.fossil", "served2.fossil"):
        mine, theirs = autosync_runs["fossilpy"][1].parent / name, autosync_runs["fossil"][1].parent / name
        assert _artifacts(mine) == _artifacts(theirs)


def test_autosync_did_what_the_setting_says(autosync_runs: dict[str, tuple[list[tuple], Path]]) -> None:
    log, served = autosync_runs["fossilpy"]
    by: dict[str, tuple[int, list[str], list[str]]] = {}
    for args, rc, out, err in log:
        by.setdefault(" ".join(args[:3]), (rc, out, err))  # the first step of each kind
    assert by["commit -m first"][1][0] == "Pull from http://127.0.0.1:PORT/"
    assert "Sync with http://127.0.0.1:PORT/" in by["commit -m first"][1]
    assert "ADD p1.txt" in by["update"][1]
    assert by["update"][1][0] == "Pull from http://127.0.0.1:PORT/"
    assert "changes:      None. Already up-to-date" in by["update --nosync"][1]
    assert "Pull from http://127.0.0.1:PORT/" in by["merge pb"][1]
    assert "Sync with http://127.0.0.1:PORT/" not in " ".join(by["commit -m local only"][1])
    assert "Pull from http://127.0.0.1:PORT/" in by["commit -m pull only"][1]
    assert "Sync with http://127.0.0.1:PORT/" not in by["commit -m pull only"][1]
    arts = b"\n".join(_artifacts(served).values())
    for pushed in (b"C first", b"C second", b"C merged\\spb"):
        assert pushed in arts
    assert b"C unreachable" not in arts  # (the earlier local check-ins went up with "to all")
    everywhere = by["commit -m to all"][1]
    assert everywhere.count("Sync with http://127.0.0.1:PORT/") == 1
    assert everywhere.count("Sync with http://127.0.0.1:PORT2/") == 1
    assert b"C to\\sall" in b"\n".join(_artifacts(served.parent / "served2.fossil").values())


def test_unreachable_server_stops_the_commit(autosync_runs: dict[str, tuple[list[tuple], Path]]) -> None:
    for name in ("fossil", "fossilpy"):
        log = autosync_runs[name][0]
        args, rc, out, err = log[-2]
        assert args[:3] == ("commit", "-m", "unreachable")
        assert rc == 1, name
        assert "Autosync failed." in err, name
        assert out[-1] == "continue in spite of sync failure (y/N)? ", name
        assert log[-1][2] == ["EDITED     a.txt"], name
