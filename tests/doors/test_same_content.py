"""The real application through every door: same pages, same xfer reply, hostile paths 404.

Doors compared: ``fossilpy http`` (stdin), ``fossilpy server``, a CGI script
run directly and by lighttpd, ``fossilpy server --scgi`` behind nginx, and
(for xfer) ``fossilpy test-http`` in its SSH form.  Bodies are compared after
removing what legitimately differs per reply: the CSP nonce, the generation
time, and the script prefix of the lighttpd CGI.
"""

from __future__ import annotations

import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from tests.conftest import base_env
from tests.net import raw_http, split_reply

pytestmark = pytest.mark.doors

PAGES = ["/timeline?n=50", "/stat", "/info/tip", "/dir", "/robots.txt"]
HOSTILE = [
    "/../../../../etc/passwd",
    "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/..%2f..%2f..%2fetc%2fpasswd",
    "//etc/passwd",
    "/raw/..%2f..%2f..%2fetc%2fpasswd",
    "/doc/trunk/../../../../etc/passwd",
    "/file?name=../../../../etc/passwd",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> dict[str, Path]:
    """A repository with a few check-ins, and a directory of repositories."""
    from tests.conftest import runner

    root = tmp_path_factory.mktemp("site")
    run = runner("fossil", root)
    repo = root / "repos" / "project.fossil"
    repo.parent.mkdir()
    run("init", str(repo), "--date-override", "2024-01-02 03:04:05")
    work = root / "work"
    work.mkdir()
    run("open", str(repo), "--workdir", str(work))
    for i in range(4):
        (work / f"file{i}.txt").write_text(f"line {i}\n" * (i + 2))
        run("add", f"file{i}.txt", cwd=work)
        run("commit", "-m", f"check-in {i}", "--no-warnings", "--date-override",
            f"2024-01-0{i + 3} 10:00:00", cwd=work)
    run("close", cwd=work)
    (root / "repos" / "notes.txt").write_text("static file\n")
    (root / "secret.txt").write_text("outside the root\n")
    return {"root": root, "repo": repo, "dir": repo.parent}


def request(path: str, *, method: str = "GET", body: bytes = b"", ctype: str | None = None) -> bytes:
    head = f"{method} {path} HTTP/1.0\r\nHost: example.org\r\n"
    if ctype:
        head += f"Content-Type: {ctype}\r\n"
    if body or method == "POST":
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


def normalize(reply: bytes, prefix: str = "") -> tuple[int, bytes]:
    first, headers, body = split_reply(reply)
    status = int(first.split()[1])
    csp = headers.get("content-security-policy", "")
    nonce = re.search(r"nonce-([0-9a-f]+)", csp)
    if nonce:
        body = body.replace(nonce.group(1).encode(), b"NONCE")
    body = re.sub(rb"generated in about [0-9.]+s", b"generated in about Ns", body)
    if prefix:
        body = body.replace(prefix.encode(), b"")
    return status, body


def xfer_body() -> bytes:
    message = b"clone 3 1\n# 00112233445566778899aabbccddeeff00112233\n"
    return struct.pack(">I", len(message)) + zlib.compress(message)


def xfer_reply_text(status_and_body: tuple[int, bytes]) -> bytes:
    status, body = status_and_body
    assert status == 200
    return b"\n".join(line for line in body.split(b"\n") if not line.startswith(b"# timestamp"))


@pytest.fixture
def real_env(home: Path) -> dict[str, str]:
    return base_env(home)


def via_http(env: dict[str, str], target: str, raw: bytes) -> bytes:
    return subprocess.run([sys.executable, "-m", "fossilpy", "http", target], input=raw, env=env,
                          capture_output=True, timeout=120).stdout


def via_cgi(env: dict[str, str], script: Path, path: str, *, script_name: str = "",
            body: bytes = b"", ctype: str | None = None) -> bytes:
    p, _, q = path.partition("?")
    from fossilpy.serve.request import percent_decode

    cgi = {**env, "GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "POST" if body else "GET",
           "SCRIPT_NAME": script_name, "PATH_INFO": percent_decode(p), "QUERY_STRING": q,
           "REQUEST_URI": script_name + path, "HTTP_HOST": "example.org", "SERVER_NAME": "example.org",
           "SERVER_PORT": "80", "REMOTE_ADDR": "192.0.2.1"}
    if body:
        cgi["CONTENT_LENGTH"] = str(len(body))
        cgi["CONTENT_TYPE"] = ctype or ""
    out = subprocess.run([sys.executable, "-m", "fossilpy", str(script)], input=body, env=cgi,
                         capture_output=True, timeout=120).stdout
    return out.replace(b"Status: ", b"HTTP/1.0 ", 1)


def test_same_pages_and_xfer_through_every_door(site, real_env, fossilpy_server, nginx, lighttpd,
                                                fossilpy_exe, tmp_path):
    repo = str(site["repo"])
    server_port = fossilpy_server(repo, env=real_env)
    nginx_port = nginx(fossilpy_server(repo, "--scgi", env=real_env))
    docroot = tmp_path / "www"
    docroot.mkdir()
    script = docroot / "repo.cgi"
    script.write_text(f"#!{fossilpy_exe}\nrepository: {repo}\n")
    script.chmod(0o755)
    lighttpd_port = lighttpd(docroot)

    doors = {
        "http": lambda raw, path: normalize(via_http(real_env, repo, raw)),
        "server": lambda raw, path: normalize(raw_http(server_port, raw)),
        "cgi": lambda raw, path: normalize(via_cgi(real_env, script, path, body=_body(raw),
                                                   ctype=_ctype(raw))),
        "nginx-scgi": lambda raw, path: normalize(raw_http(nginx_port, raw)),
        "lighttpd-cgi": lambda raw, path: normalize(
            raw_http(lighttpd_port, raw.replace(b" " + path.encode(), b" /repo.cgi" + path.encode(), 1)),
            prefix="/repo.cgi"),
    }
    for page in PAGES:
        results = {name: fetch(request(page), page) for name, fetch in doors.items()}
        reference = results["http"]
        assert reference[0] == 200, (page, reference[1][:300])
        for name, result in results.items():
            assert result == reference, f"{page} differs through {name}"

    raw = request("/xfer", method="POST", body=xfer_body(), ctype="application/x-fossil")
    replies = {name: xfer_reply_text(fetch(raw, "/xfer")) for name, fetch in doors.items()}
    ssh_env = {**real_env, "SSH_CONNECTION": "127.0.0.1 1 127.0.0.1 22"}
    ssh_raw = raw.replace(b"\r\n\r\n", b"\r\nX-Fossil-Transport: SSH\r\n\r\n", 1)
    out = subprocess.run([sys.executable, "-m", "fossilpy", "test-http", repo], input=ssh_raw * 2,
                         env=ssh_env, capture_output=True, timeout=120).stdout
    first_reply = out[: out.index(b"\r\n\r\n") + 4 + int(re.search(rb"Content-Length: (\d+)", out).group(1))]
    replies["test-http"] = xfer_reply_text(normalize(first_reply.replace(b"Status: ", b"HTTP/1.0 ", 1)))
    assert out.count(b"Status: 200 OK") == 2
    assert b"cfile " in replies["http"]
    for name, reply in replies.items():
        assert reply == replies["http"], f"xfer reply differs through {name}"


def _body(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[1]


def _ctype(raw: bytes) -> str | None:
    m = re.search(rb"Content-Type: ([^\r]+)", raw)
    return m.group(1).decode() if m else None


def test_hostile_paths_404_through_every_door(site, real_env, fossilpy_server, nginx, fossilpy_exe,
                                              tmp_path):
    repo = str(site["repo"])
    directory = str(site["dir"])
    server_port = fossilpy_server(directory, "--files", "*.txt", env=real_env)
    nginx_port = nginx(fossilpy_server(repo, "--scgi", env=real_env))
    script = tmp_path / "dir.cgi"
    script.write_text(f"#!{fossilpy_exe}\ndirectory: {directory}\nfiles: *.txt\n")

    # Directory mode serves project.fossil and notes.txt, nothing else.
    assert split_reply(raw_http(server_port, request("/project/stat")))[0] == "HTTP/1.0 200 OK"
    assert split_reply(raw_http(server_port, request("/notes.txt")))[2] == b"static file\n"
    dir_hostile = HOSTILE + ["/project.fossil", "/project.fossil/stat", "/-project/stat",
                             "/pro..ject/stat", "/.project/stat", "/%2e%2e/secret.txt",
                             "/..%2fsecret.txt", "/notes.txt%00.fossil", "/pro%20ject/stat", "/pro%3bject/stat"]
    for path in dir_hostile:
        raw = request(path)
        doors = [("server", raw_http(server_port, raw)), ("http", via_http(real_env, directory, raw))]
        if "%00" not in path:  # a CGI variable cannot hold a NUL
            doors.append(("cgi", via_cgi(real_env, script, path)))
        for name, reply in doors:
            status, body = normalize(reply)
            assert status == 404, f"{path} via {name}: {status}"
            assert b"outside the root" not in body and b"root:" not in body
    # test-http (the SSH door): every hostile path on one connection.
    ssh_env = {**real_env, "SSH_CONNECTION": "192.0.2.1 1 127.0.0.1 22"}
    raw = b"".join(request(p).replace(b"\r\n\r\n", b"\r\nX-Fossil-Transport: SSH\r\n\r\n", 1)
                   for p in HOSTILE)
    out = subprocess.run([sys.executable, "-m", "fossilpy", "test-http", repo], input=raw, env=ssh_env,
                         capture_output=True, timeout=120).stdout
    statuses = []
    while out:  # replies follow each other directly, each sized by its Content-Length
        head, _, rest = out.partition(b"\r\n\r\n")
        statuses.append(head.split(b"\r\n", 1)[0])
        length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
        assert b"root:" not in rest[:length]
        out = rest[length:]
    assert statuses == [b"Status: 404 Not Found"] * len(HOSTILE), statuses
    for path in HOSTILE:
        for name, reply in (("server-repo", via_http(real_env, repo, request(path))),
                            ("nginx-scgi", raw_http(nginx_port, request(path)))):
            status, body = normalize(reply)
            assert status in (400, 404), f"{path} via {name}: {status}"
            assert b"root:" not in body


def test_real_fossil_clones_through_each_door(site, real_env, fossilpy_server, nginx, lighttpd,
                                              fossilpy_exe, fossil, tmp_path):
    """A real ``fossil clone`` through the server, nginx+SCGI (under /code) and lighttpd CGI."""
    repo = str(site["repo"])
    docroot = tmp_path / "www"
    docroot.mkdir()
    script = docroot / "repo.cgi"
    script.write_text(f"#!{fossilpy_exe}\nrepository: {repo}\n")
    script.chmod(0o755)
    urls = {
        "server": f"http://127.0.0.1:{fossilpy_server(repo, env=real_env)}/",
        "nginx-scgi": f"http://127.0.0.1:{nginx(fossilpy_server(repo, '--scgi', env=real_env))}/code/",
        "lighttpd-cgi": f"http://127.0.0.1:{lighttpd(docroot)}/repo.cgi",
    }
    want = fossil.text("sql", "-R", repo, "SELECT uuid FROM blob ORDER BY uuid")
    for name, url in urls.items():
        clone = tmp_path / f"{name}.fossil"
        proc = fossil("clone", url, str(clone), check=False)
        assert proc.returncode == 0, f"{name}: {proc.stdout.decode()} {proc.stderr.decode()}"
        assert fossil.text("sql", "-R", str(clone), "SELECT uuid FROM blob ORDER BY uuid") == want, name
        fossil("test-integrity", "-R", str(clone))
