"""Formats against the real fossil 2.21: artifacts, deltas, dates, compression, hashes."""

from __future__ import annotations

import hashlib
import os
import random
import sqlite3
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from fossilpy.artifact import blob, delta, manifest
from fossilpy.artifact.fossilize import julian_ms
from fossilpy.cli import format_cmds
from fossilpy.errors import ArtifactError
from tests.unit.test_manifest import CASES

pytestmark = pytest.mark.compat

MARK = "@@fossilpy-end@@"


def _fossil_batch(fossil, tmp_path: Path, lines: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
    """Run one fossil command line per entry in a single shell; outputs in order."""
    script = tmp_path / "batch.sh"
    exe = fossil.argv0[0]
    body = "".join(f'{exe} {line} 2>&1; echo "{MARK}"\n' for line in lines)
    script.write_text(body)
    proc = subprocess.run(
        ["sh", str(script)], capture_output=True, cwd=str(tmp_path), env=fossil.env, timeout=600
    )
    parts = proc.stdout.decode("utf-8", "replace").split(MARK + "\n")
    assert len(parts) == len(lines) + 1, proc.stderr
    return parts[:-1]


def _fossil_verdicts(fossil, tmp_path: Path, blobs: list[bytes]) -> list[str | None]:  # type: ignore[no-untyped-def]
    """fossil test-parse-manifest on each blob: None if it parsed, else the error."""
    d = tmp_path / "arts"
    d.mkdir(exist_ok=True)
    names = []
    for i, data in enumerate(blobs):
        p = d / f"a{i}"
        p.write_bytes(data)
        names.append(f"test-parse-manifest {p}")
    verdicts: list[str | None] = []
    for out in _fossil_batch(fossil, tmp_path, names):
        lines = out.splitlines()
        assert len(lines) == 2, out
        if lines[1] == "manifest_parse() worked":
            verdicts.append(None)
        else:
            assert lines[1].startswith("ERROR: "), out
            verdicts.append(lines[1][7:])
    return verdicts


def _ours(data: bytes) -> str | None:
    try:
        manifest.parse(data)
    except ArtifactError as exc:
        return str(exc)
    return None


def test_expected_messages_are_fossils(fossil, tmp_path: Path) -> None:
    blobs = [c[1] for c in CASES]
    verdicts = _fossil_verdicts(fossil, tmp_path, blobs)
    for (name, _data, expected), theirs in zip(CASES, verdicts, strict=True):
        assert (name, theirs) == (name, expected)


def test_parse_manifest_reports_match(fossil, tmp_path: Path) -> None:
    """Whole ``test-parse-manifest`` stdout, including the quick well-formedness check."""
    d = tmp_path / "cases"
    d.mkdir()
    lines = []
    for i, (_name, data, _expected) in enumerate(CASES):
        (d / f"c{i}").write_bytes(data)
        lines.append(f"test-parse-manifest {d}/c{i}")
    theirs = _fossil_batch(fossil, tmp_path, lines)
    runner = CliRunner()  # in-process: the subprocess path is covered elsewhere
    for i, (name, _data, expected) in enumerate(CASES):
        res = runner.invoke(format_cmds.test_parse_manifest_cmd, [str(d / f"c{i}")])
        assert (name, res.stdout) == (name, theirs[i])
        assert res.exit_code == (0 if expected is None else 1)
        assert res.stderr == ("" if expected is None else f"fossilpy: {expected}\n")


def _deconstruct(fossil, repo: Path, dest: Path) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    dest.mkdir()
    fossil("deconstruct", "-R", repo, dest)
    out = {}
    for root, _dirs, files in os.walk(dest):
        for f in files:
            rel = os.path.relpath(os.path.join(root, f), dest).replace(os.sep, "")
            out[rel] = Path(root, f).read_bytes()
    return out


@pytest.fixture(scope="module")
def varied_artifacts(varied_repos, tmp_path_factory) -> dict[str, dict[str, bytes]]:  # type: ignore[no-untyped-def]
    """Every artifact of each varied repository, by hash."""
    from tests.conftest import Runner, base_env, require_binary

    root = tmp_path_factory.mktemp("deconstructed")
    home = root / "home"
    home.mkdir()
    runner = Runner([require_binary("fossil")], base_env(home), root)
    return {k: _deconstruct(runner, repo, root / k) for k, repo in varied_repos.items()}


@pytest.mark.parametrize("variant", ["sha3", "sha1"])
def test_varied_repositories_round_trip(varied_artifacts, varied_repos, variant, fossil, tmp_path) -> None:  # type: ignore[no-untyped-def]
    arts = varied_artifacts[variant]
    names = sorted(arts)
    verdicts = _fossil_verdicts(fossil, tmp_path, [arts[n] for n in names])
    kinds = set()
    for name, theirs in zip(names, verdicts, strict=True):
        data = arts[name]
        mine = _ours(data)
        assert (name, mine) == (name, theirs)
        if theirs is None:
            m = manifest.parse(data)
            kinds.add(m.type)
            assert m.to_bytes() == data, name
            m.extra.pop("verbatim", None)
            m.source = None
            assert m.to_bytes() == data, name  # canonical without any help
    expected = {
        manifest.ArtifactType.MANIFEST,
        manifest.ArtifactType.CONTROL,
        manifest.ArtifactType.WIKI,
        manifest.ArtifactType.TICKET,
        manifest.ArtifactType.ATTACHMENT,
        manifest.ArtifactType.EVENT,
        manifest.ArtifactType.FORUM,
    }
    assert expected <= kinds
    # D (E for technotes) Julian days, written as fossil writes REALs, are event.mtime exactly
    from fossilpy.artifact.julian import fossil_real as sql_real

    db = sqlite3.connect(f"file:{varied_repos[variant]}?mode=ro", uri=True)
    rows = db.execute("SELECT blob.uuid, event.mtime FROM event JOIN blob ON blob.rid=event.objid").fetchall()
    db.close()
    checked = 0
    for uuid, mtime in rows:
        m = manifest.parse(arts[uuid])
        jd = m.event_julian if m.type == manifest.ArtifactType.EVENT else m.julian
        assert (uuid, sql_real(jd)) == (uuid, mtime)
        assert abs(jd - mtime) < 2e-9
        checked += 1
    assert checked >= 20


def _mutate(rng: random.Random, data: bytes) -> bytes:
    lines = data.split(b"\n")
    kind = rng.randrange(8)
    i = rng.randrange(len(data))
    if kind == 0:
        out = data[:i] + data[i + 1 :]
    elif kind == 1:
        out = data[:i] + bytes([rng.choice(b" \\\n0aZ*+-/.\x00\xe9")]) + data[i:]
    elif kind == 2:
        j = rng.randrange(len(lines) - 1)
        k = rng.randrange(len(lines) - 1)
        lines[j], lines[k] = lines[k], lines[j]
        out = b"\n".join(lines)
    elif kind == 3:
        j = rng.randrange(len(lines) - 1)
        lines.insert(j, lines[j])
        out = b"\n".join(lines)
    elif kind == 4:
        out = data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1 :]
    elif kind == 5:
        out = data[:i] + b"\n"
    elif kind == 6:
        j = rng.randrange(len(lines) - 1)
        lines[j] = lines[j][:1] + b" " + lines[j][1:]
        out = b"\n".join(lines)
    else:
        out = data.replace(b"-", b"\\-", 1)
    # Half of the time recompute the Z card, so that card-level rules are reached.
    if rng.random() < 0.5 and out.endswith(b"\n") and len(out) > 35 and out[-35:-33] == b"Z ":
        body = out[:-35]
        out = body + b"Z " + hashlib.md5(body).hexdigest().encode() + b"\n"
    return out


def test_mutated_artifacts_match_fossil(varied_artifacts, fossil, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(2021)
    arts = varied_artifacts["sha3"]
    structural = [d for d in arts.values() if _ours(d) is None]
    structural += [c[1] for c in CASES if c[2] is None]
    blobs = [_mutate(rng, rng.choice(structural)) for _ in range(400)]
    verdicts = _fossil_verdicts(fossil, tmp_path, blobs)
    for data, theirs in zip(blobs, verdicts, strict=True):
        assert (data, _ours(data)) == (data, theirs)
        if theirs is None:
            assert manifest.parse(data).to_bytes() == data


def test_julianday_matches_fossil_sqlite(fossil, tmp_path: Path) -> None:
    rng = random.Random(7)
    cases = {"2024-01-02T03:04:05.678", "2020-01-01T12:00:00.9996", "-0100-03-01", "12:00", "2459000.5"}
    dates = ["2020-01-01", "-4713-11-24", "9999-12-31", "2024-02-30", "2020-13-01"]
    times = ["", "T", " T", "T12:00", "T24:00", "T23:59:59.999", "T12:00:00.0005", "T12:60", "T1:00"]
    zones = ["", "Z", " z ", "+05:00", "-14:00", "+15:00", "+0500", "x"]
    cases |= {d + t + z for d in dates for t in times for z in zones}
    cases |= {"".join(rng.choice("0123456789-:T .Z+e") for _ in range(rng.randrange(1, 24))) for _ in range(400)}
    ordered = sorted(cases)
    sql = "".join(
        "SELECT CAST(round(julianday('" + c.replace("'", "''") + "')*86400000) AS INT);\n" for c in ordered
    )
    out = fossil.text("sql", "-R", _repo(fossil, tmp_path), input=sql).splitlines()
    assert len(out) == len(ordered)
    for text, theirs in zip(ordered, out, strict=True):
        assert (text, julian_ms(text)) == (text, None if theirs == "NULL" else int(theirs))


def _repo(fossil, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    repo = tmp_path / "r.fossil"
    if not repo.exists():
        fossil("init", repo)
    return repo


def _delta_pairs(seed: int, count: int) -> list[tuple[bytes, bytes]]:
    rng = random.Random(seed)
    pairs = []
    for n in range(count):
        size = rng.choice([0, 1, 15, 16, 17, 100, 1000, 5000, 40000])
        if rng.random() < 0.5:
            src = bytes(rng.getrandbits(8) for _ in range(size))
        else:
            src = b"".join(b"line %d %s\n" % (i, rng.choice([b"a", b"bb", b"ccc"])) for i in range(size // 8))
        tgt = bytearray(src)
        for _ in range(rng.randrange(0, 6)):
            op = rng.randrange(3)
            p = rng.randrange(len(tgt) + 1)
            if op == 0:
                tgt[p:p] = bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 50)))
            elif op == 1:
                del tgt[p : p + rng.randrange(1, 200)]
            else:
                q = rng.randrange(len(tgt) + 1)
                tgt[p:p] = tgt[q : q + rng.randrange(1, 300)]
        if n % 7 == 0:
            tgt = bytearray(rng.getrandbits(8) for _ in range(rng.randrange(0, 300)))
        pairs.append((src, bytes(tgt)))
    return pairs


def test_deltas_interoperate(fossil, tmp_path: Path) -> None:
    pairs = _delta_pairs(1234, 60)
    d = tmp_path / "d"
    d.mkdir()
    lines = []
    for i, (src, tgt) in enumerate(pairs):
        (d / f"s{i}").write_bytes(src)
        (d / f"t{i}").write_bytes(tgt)
        (d / f"ours{i}").write_bytes(delta.create(src, tgt))
        lines.append(f"test-delta-apply {d}/s{i} {d}/ours{i} {d}/out{i}")
        lines.append(f"test-delta-create {d}/s{i} {d}/t{i} {d}/theirs{i}")
    outputs = _fossil_batch(fossil, tmp_path, lines)
    assert all(o == "" for o in outputs), outputs
    ours_total = theirs_total = 0
    for i, (src, tgt) in enumerate(pairs):
        assert (d / f"out{i}").read_bytes() == tgt, i
        theirs = (d / f"theirs{i}").read_bytes()
        assert delta.apply(src, theirs, verify_checksum=True) == tgt, i
        ours = (d / f"ours{i}").read_bytes()
        ours_total += len(ours)
        theirs_total += len(theirs)
        assert len(ours) <= len(theirs) * 1.25 + 40, (i, len(ours), len(theirs))
    assert ours_total <= theirs_total * 1.1


def test_cli_matches_fossil(fossil, fossilpy, tmp_path: Path) -> None:
    rng = random.Random(99)
    a = tmp_path / "a.bin"
    a.write_bytes(bytes(rng.getrandbits(8) for _ in range(5000)))
    b = tmp_path / "b.txt"
    b.write_bytes(b"hello\n")
    for cmd in (["sha1sum", a, b, "missing"], ["sha3sum", a, b], ["sha3sum", "--384", b]):
        assert fossilpy.text(*cmd) == fossil.text(*cmd)
    assert fossilpy.text("sha1sum", "-", input=b"xyz") == fossil.text("sha1sum", "-", input=b"xyz")
    fossil("test-compress", a, tmp_path / "f.z")
    fossilpy("test-compress", a, tmp_path / "p.z")
    assert (tmp_path / "f.z").read_bytes() == (tmp_path / "p.z").read_bytes()
    fossilpy("test-uncompress", tmp_path / "f.z", tmp_path / "p.out")
    assert (tmp_path / "p.out").read_bytes() == a.read_bytes()
    assert blob.uncompress((tmp_path / "p.z").read_bytes()) == a.read_bytes()
    # delta commands, crossed
    fossilpy("test-delta-create", a, b, tmp_path / "p.delta")
    fossil("test-delta-apply", a, tmp_path / "p.delta", tmp_path / "f.out")
    assert (tmp_path / "f.out").read_bytes() == b"hello\n"
    fossil("test-delta-create", b, a, tmp_path / "f.delta")
    fossilpy("test-delta-apply", b, tmp_path / "f.delta", tmp_path / "p2.out")
    assert (tmp_path / "p2.out").read_bytes() == a.read_bytes()
    # test-parse-manifest: same report lines; on errors fossilpy also exits 1
    good = tmp_path / "good"
    good.write_bytes(CASES[0][1])
    assert fossilpy.text("test-parse-manifest", good) == fossil.text("test-parse-manifest", good)
    bad = next(c for c in CASES if c[2] and c[2].startswith("line "))
    (tmp_path / "bad").write_bytes(bad[1])
    res = fossilpy("test-parse-manifest", tmp_path / "bad", check=False)
    assert res.returncode == 1
    assert res.stdout == fossil("test-parse-manifest", tmp_path / "bad").stdout
    assert res.stderr.decode() == f"fossilpy: {bad[2]}\n"


def test_clusters_delta_manifests_and_odd_names(fossil, tmp_path: Path) -> None:
    """A repository with 130 files, odd names, a delta manifest and clusters."""
    repo = tmp_path / "c.fossil"
    fossil("init", repo)
    work = tmp_path / "work"
    work.mkdir()
    fossil("open", repo, "--nosync", cwd=work)
    fossil("settings", "autosync", "off", cwd=work)
    for i in range(120):
        (work / f"f{i:03d}.txt").write_text(f"file {i}\n")
    (work / "with space.txt").write_text("space\n")
    (work / "ünïcode ✓.txt").write_text("unicode\n")
    (work / "sub dir").mkdir()
    (work / "sub dir" / "x").write_text("x\n")
    fossil("add", ".", cwd=work)
    fossil("commit", "-m", "many files\twith a tab and\\backslash", "--no-warnings", cwd=work)
    (work / "f001.txt").write_text("changed\n")
    fossil("mv", "--hard", "with space.txt", "moved name.txt", cwd=work)
    fossil("commit", "-m", "delta manifest", "--delta", "--no-warnings", cwd=work)
    fossil("test-create-clusters", "-R", repo)
    arts = _deconstruct(fossil, repo, tmp_path / "dc")
    names = sorted(arts)
    verdicts = _fossil_verdicts(fossil, tmp_path, [arts[n] for n in names])
    kinds: list[manifest.ArtifactType] = []
    for name, theirs in zip(names, verdicts, strict=True):
        assert (name, _ours(arts[name])) == (name, theirs)
        if theirs is None:
            m = manifest.parse(arts[name])
            kinds.append(m.type)
            assert "verbatim" not in m.extra, name
            assert m.to_bytes() == arts[name]
            if m.type == manifest.ArtifactType.MANIFEST and m.baseline is None and len(m.files) > 100:
                content = {
                    f.name: arts[f.uuid] for f in m.files  # type: ignore[index]
                }
                assert m.repo_cksum == manifest.repo_checksum(content.items())
                assert m.comment == "many files\twith a tab and\\backslash"
            if m.baseline is not None:
                assert [f.name for f in m.files] == ["f001.txt", "moved name.txt", "with space.txt"]
                assert m.files[1].prior == "with space.txt" and m.files[1].perm == "w"
                assert m.files[2].uuid is None
    assert manifest.ArtifactType.CLUSTER in kinds


def test_reserved_names_match_fossil(fossil) -> None:  # type: ignore[no-untyped-def]
    from fossilpy.artifact.fossilize import is_reserved_name

    names = [
        "_FOSSIL_", "a/_FOSSIL_", "x_FOSSIL_", "x_FOSSIL_-wal", ".fslckout", "d/.fslckout-journal",
        "d/.FSLCKOUT-SHM", "a.fslckout", "_FOSSIL_-foo", "readme.txt", "_fossil_-journal",
        "_FOSSIL_-shm", "ab_FOSSIL_-journal", "x.fslckout-wal", "fslckout", "a/b/.fslckout",
        "short", "abcdefgh-wal", "a_FOSSIL_x",
    ]
    out = fossil.text("test-is-reserved-name", *names).splitlines()
    theirs = [line.split(" ", 1) for line in out]
    assert [(n, is_reserved_name(n.encode())) for n in names] == [(n, v != "0") for v, n in theirs]
