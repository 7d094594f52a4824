"""The client side of the xfer protocol (Fossil 2.21 ``client_sync``).

Each round trip: build a request, exchange it, apply the reply, all inside
one local write transaction; then decide whether another round is needed.

Request layout::

    [login USER NONCE SIG]            added at send time (not over ssh/file,
                                      not in the first round of a clone)
    [pragma send-private]
    pragma client-version 22100 20230226 192424
    clone 3 SEQNO | pull SCODE PCODE | push SCODE PCODE (both for sync)
    [pragma send-catalog]  [cookie TEXT]
    gimme HASH ...                    phantoms wanted (pull, first clone round)
    file ... / igot HASH ...          unsent and unclustered artifacts (push)
    reqconfig /NAME ...               (clone: from the second round)
    pragma uv-hash HASH               (unversioned sync)
    config ... / uvfile ...
    # RANDOM-HEX                      makes every nonce unique

Another round follows when: files arrived and phantoms remain; files were
sent or unversioned files wait; private igots arrived in round 1; uvgimme
cards are outstanding; or, cloning, it is round 1, files arrived, or the
server's ``clone_seqno`` is not yet 0 while artifacts keep coming.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, TextIO

from fossilpy.errors import ProtocolError, UserError
from fossilpy.repo.db import Repo
from fossilpy.sync import auth, cards, receive, uv, xfer
from fossilpy.sync.cards import CT_COMPRESSED, CT_DEBUG, as_int, is_hname
from fossilpy.sync.transport import Transport
from fossilpy.sync.url import Url
from fossilpy.text import human_age


@dataclass
class SyncOptions:
    push: bool = False
    pull: bool = False
    clone: bool = False
    private: bool = False
    verbose: bool = False
    resync: bool = False
    unversioned: bool = False
    uv_revert: bool = False
    uv_dryrun: bool = False
    uv_trace: bool = False
    config_rcv: int = 0
    config_send: int = 0
    httptrace: bool = False
    no_compress: bool = False
    #: a check-out's sync: its client id (``pragma ci-unlock ID`` each round), and with
    #: ``ckin_lock`` (the check-out's hash) ``pragma ci-lock HASH ID`` in the first round instead
    client_id: str | None = None
    ckin_lock: str | None = None


@dataclass
class SyncResult:
    errors: list[str] = field(default_factory=list)
    round_trips: int = 0
    artifacts_sent: int = 0
    artifacts_rcvd: int = 0
    op: str = ""
    #: the user holding the check-in lock the server refused (``pragma ci-lock-fail``)
    ckin_lock_fail: str | None = None


class Progress:
    """Round-trip counters on the terminal (``\\r``-updated when a tty)."""

    def __init__(self, stream: TextIO | None, verbose: bool) -> None:
        self.stream = stream
        self.verbose = verbose
        self.tty = bool(stream is not None and hasattr(stream, "isatty") and stream.isatty())
        self.pending = False
        #: the last counters line, printed by finish() when not on a tty
        self.last: str | None = None

    def say(self, text: str) -> None:
        if self.stream is not None:
            self.newline()
            self.stream.write(text)
            self.stream.flush()

    def note(self, text: str) -> None:
        """A line Fossil prints under the counters line of the round (which it always
        shows, ``\r``-updated): off a tty that line is written out first."""
        if self.stream is None:
            return
        if not self.tty and self.last and not self.verbose:
            self.stream.write(self.last + "\n")
        self.say(text)

    def brief(self, rounds: int, sent: int, rcvd: int, wire: tuple[int, int] | None = None) -> None:
        if self.stream is None or self.verbose:
            return
        line = f"Round-trips: {rounds}   Artifacts sent: {sent}  received: {rcvd}"
        if self.tty:
            if wire is not None:
                line += f"   bytes sent: {wire[0]}  received: {wire[1]}"
            self.stream.write("\r" + line)
            self.stream.flush()
            self.pending = True
        else:
            self.last = line

    def newline(self) -> None:
        if self.pending and self.stream is not None:
            self.stream.write("\n")
            self.pending = False

    def finish(self) -> None:
        if self.stream is None:
            return
        if self.pending:
            self.newline()
        elif self.last:
            self.stream.write(self.last + "\n")
            self.last = None


def _version_pragma() -> bytes:
    return (
        f"pragma client-version {xfer.RELEASE_VERSION_NUMBER}"
        f" {xfer.MANIFEST_NUMERIC_DATE} {xfer.MANIFEST_NUMERIC_TIME}\n"
    ).encode()


class SyncSession:
    """One push/pull/sync/clone conversation with a remote repository."""

    def __init__(
        self,
        repo: Repo,
        transport: Transport,
        url: Url,
        opts: SyncOptions,
        *,
        stream: TextIO | None = sys.stdout,
        password_prompt: Callable[[str], str] | None = None,
    ) -> None:
        self.repo = repo
        self.tp = transport
        self.url = url
        self.opts = opts
        self.progress = Progress(stream, opts.verbose)
        self.password_prompt = password_prompt
        self.secret: str | None = None
        if stream is not None:
            transport.notify = self.progress.say

    # -- login card ------------------------------------------------------

    def _login(self, payload: bytes) -> bytes:
        url = self.url
        if not url.user or url.user == "anonymous" or self.tp.is_ssh or self.tp.is_file:
            return b""
        if self.secret is None:
            pw = url.password
            if pw is None and self.password_prompt is not None:
                pw = url.password = self.password_prompt(url.user)
            if pw is None:
                raise UserError(f'missing or incorrect password for user "{url.user}"')
            pcode = self.repo.config_get("project-code")
            if pw and not auth.is_sha1_hex(pw) and pcode:
                pw = auth.shared_secret(pw, url.user, pcode)
                if url.pw_config and not self.repo.readonly:
                    self.repo.config_set(url.pw_config, auth.obscure(pw))
                self.secret = pw
            elif pcode:
                self.secret = pw
            else:
                return cards.login_card(url.user, pw, payload)
        return cards.login_card(url.user, self.secret, payload)

    def _exchange(self, send: bytes, use_login: bool) -> tuple[str, bytes]:
        login = self._login(send) if use_login else b""
        debug = self.opts.httptrace or self.opts.no_compress
        ct = CT_DEBUG if debug else CT_COMPRESSED
        message = login + send
        if self.tp.raw:
            message, ct = send, CT_DEBUG
        rct, body = self.tp.exchange(cards.frame(message, ct), ct)
        return rct, cards.unframe(body, rct)

    # -- the loop --------------------------------------------------------

    def run(self) -> SyncResult:  # noqa: C901 - mirrors Fossil's client_sync
        repo, opts = self.repo, self.opts
        res = SyncResult()
        if repo.setting_bool("dont-push"):
            opts.push = False
        if not (opts.push or opts.pull or opts.clone or opts.unversioned
                or opts.config_rcv or opts.config_send):
            return res
        scode = repo.config_get("server-code", "x")
        pcode = repo.config_get("project-code")
        x = xfer.Xfer(repo)
        x.mx_send = repo.setting_int("max-upload")
        x.max_time = -1
        if opts.private:
            x.sync_private = x.may_private = True
        send = bytearray()
        if opts.private:
            send += b"pragma send-private\n"
        if opts.unversioned or opts.clone:
            uv.ensure_schema(repo)
            with repo.write():
                repo.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS uv_tosend(name TEXT PRIMARY KEY,"
                    " mtimeOnly BOOLEAN) WITHOUT ROWID"
                )
                repo.execute("DELETE FROM uv_tosend")
                repo.execute(
                    "REPLACE INTO uv_tosend(name,mtimeOnly)"
                    " SELECT name, 0 FROM unversioned WHERE hash IS NOT NULL"
                )
        send += _version_pragma()
        clone_seqno = 1
        n_cycle = 0
        uv_hash_sent = False
        uv_do_push = False
        uv_pull_only = 0
        mx_phantom = 200
        config_rcv = opts.config_rcv
        config_send = opts.config_send
        orig_config_rcv = 0
        if opts.clone:
            send += f"clone 3 {clone_seqno}\n".encode()
            opts.push = opts.pull = False
            res.op = "Clone"
        elif opts.pull:
            send += f"pull {scode} {pcode}\n".encode()
            res.op = "Sync" if opts.push else "Pull"
            if opts.resync:
                send += b"pragma send-catalog\n"
        if opts.push:
            send += f"push {scode} {pcode}\n".encode()
            if not opts.pull:
                res.op = "Push"
            if opts.resync:
                x.resync = 0x7FFFFFFF
        if opts.verbose:
            self.progress.say(f"{'':<10} {'Bytes':>10} {'Cards':>10} {'Artifacts':>10} {'Deltas':>10}\n")
        go = True
        n_uncsent = n_uncrcvd = 0
        ckin_lock = opts.ckin_lock
        while go:
            new_phantom = False
            n_card_sent = 0
            with repo.write():
                xfer.begin_round(repo)
                with (xfer.crosslink_batch(repo) if not opts.clone else nullcontext()) as batch:
                    x.batch = batch
                    x.rcvid = None
                    x.out = send
                    cookie = repo.config_get("cookie")
                    if cookie:
                        x.emit(f"cookie {cookie}\n")
                    if ckin_lock and opts.client_id:
                        x.emit(f"pragma ci-lock {ckin_lock} {opts.client_id}\n")
                        ckin_lock = None
                    elif opts.client_id:
                        x.emit(f"pragma ci-unlock {opts.client_id}\n")
                    if opts.pull or (opts.clone and clone_seqno == 1):
                        xfer.request_phantoms(x, mx_phantom)
                    if opts.push:
                        xfer.send_unsent(x)
                        n_card_sent += xfer.send_unclustered(x)
                        if opts.private:
                            xfer.send_private(x)
                    if config_rcv and (not opts.clone or n_cycle > 0):
                        from fossilpy.sync import config_sync as cs

                        if not res.op:
                            res.op = "Pull"
                        for name in cs.request_names(config_rcv):
                            x.emit(f"reqconfig {name}\n")
                        orig_config_rcv, config_rcv = config_rcv, 0
                    if opts.unversioned and (not opts.clone or n_cycle > 0) and not uv_hash_sent:
                        x.emit(f"pragma uv-hash {uv.content_hash(repo)}\n")
                        uv_hash_sent = True
                    if config_send:
                        from fossilpy.sync import config_sync as cs

                        if not res.op:
                            res.op = "Push"
                        cs.send_group(repo, x.out, config_send)
                        config_send = 0
                    if uv_do_push:
                        uv_do_push = self._uv_push(x, res)
                    x.out += cards.random_comment()
                    if opts.verbose:
                        self.progress.say("waiting for server...")
                    use_login = not (opts.clone and n_cycle == 0)
                    request = bytes(x.out)
                    rct, recv = self._exchange(request, use_login)
                    if n_cycle == 0:
                        self._syncwith()
                    sent_files = x.n_file_sent + x.n_delta_sent
                    if opts.verbose:
                        self.progress.say(
                            f"\r{'Sent:':<10} {len(request):>10} "
                            f"{n_card_sent + x.n_gimme_sent + x.n_igot_sent:>10} "
                            f"{x.n_file_sent:>10} {x.n_delta_sent:>10}\n"
                        )
                    else:
                        res.round_trips += 1
                        res.artifacts_sent += sent_files
                        self.progress.brief(res.round_trips, res.artifacts_sent, res.artifacts_rcvd,
                                            (self.tp.sent, self.tp.rcvd))
                    n_priv_igot = x.n_priv_igot
                    x.n_file_sent = x.n_delta_sent = x.n_gimme_sent = x.n_igot_sent = 0
                    x.n_priv_igot = 0
                    n_uncsent += len(request)
                    send = bytearray(_version_pragma())
                    if opts.private:
                        send += b"pragma send-private\n"
                    if opts.pull:
                        send += f"pull {scode} {pcode}\n".encode()
                    if opts.push:
                        send += f"push {scode} {pcode}\n".encode()
                    x.out = send
                    prior = res.artifacts_rcvd
                    state: dict[str, Any] = {"uv_gimme": 0, "uv_rcvd": 0, "new_phantom": False}
                    err, clone_seqno, pcode, uv_do_push2, uv_pull_only = self._apply(
                        x, recv, res, n_cycle, clone_seqno, pcode, orig_config_rcv,
                        state, uv_pull_only,
                    )
                    uv_do_push = uv_do_push or uv_do_push2
                    new_phantom = bool(state["new_phantom"])
                    orig_config_rcv = 0
                    n_uncrcvd += (n_recv := len(recv))
                    recv = request = b""  # not held while the next reply arrives
                    if opts.verbose and state.get("cards"):
                        self.progress.say(
                            f"\r{'Received:':<10} {n_recv:>10} {state['cards']:>10} "
                            f"{x.n_file_rcvd:>10} {x.n_delta_rcvd + x.n_dangling:>10}\n"
                        )
                    if not opts.verbose:
                        self.progress.brief(res.round_trips, res.artifacts_sent, res.artifacts_rcvd,
                                            (self.tp.sent, self.tp.rcvd))
                    n_cycle += 1
                    if err:
                        res.errors.append(err)
                        go = False
                    else:
                        n_rcvd_files = x.n_file_rcvd + x.n_delta_rcvd + x.n_dangling
                        go = False
                        if (n_rcvd_files or new_phantom) and repo.one("SELECT 1 FROM phantom LIMIT 1"):
                            go = True
                            mx_phantom = max(200, n_rcvd_files * 2)
                        elif x.n_file_sent + x.n_delta_sent or uv_do_push:  # files queued by gimme cards
                            go = True
                        elif n_priv_igot and n_cycle == 1:
                            go = True
                        elif state["uv_gimme"] and (state["uv_rcvd"] or n_cycle < 3):
                            go = True
                        elif opts.clone:
                            if n_cycle == 1 or n_rcvd_files:
                                go = True
                            elif clone_seqno > 0 and res.artifacts_rcvd > prior:
                                go = True
                    x.n_file_rcvd = x.n_delta_rcvd = x.n_dangling = 0
                xfer.end_round(repo)
        self.progress.finish()
        if self.progress.stream is not None and not self.tp.raw:
            self.progress.say(
                f"{res.op} done, wire bytes sent: {self.tp.sent}  received: {self.tp.rcvd}"
                f"  remote: {self.tp.remote}\n"
            )
        if opts.verbose:
            self.progress.say(f"Uncompressed payload sent: {n_uncsent}  received: {n_uncrcvd}\n")
        self.tp.close()
        return res

    def _syncwith(self) -> None:
        url = self.url
        if url.protocol.startswith("http") and "localhost" not in url.name.lower():
            canon = url.canonical
            if url.user:
                canon = canon.replace(f"{url.user}@", "", 1)
            self.repo.execute(
                "REPLACE INTO config(name,value,mtime) VALUES(?,'{}',?)",
                (f"syncwith:{canon}", int(time.time())),
            )

    def _uv_push(self, x: xfer.Xfer, res: SyncResult) -> bool:
        repo, opts = self.repo, self.opts
        if opts.uv_dryrun:
            return False
        if opts.uv_revert:
            repo.execute("DELETE FROM unversioned WHERE name IN (SELECT name FROM uv_tosend)")
            repo.execute("DELETE FROM uv_tosend")
            return False
        for name, mtime_only in repo.all("SELECT name, mtimeOnly FROM uv_tosend"):
            uv.send_file(repo, x.out, name, bool(mtime_only), 1 << 62)
            res.artifacts_sent += 1
            repo.execute("DELETE FROM uv_tosend WHERE name=?", (name,))
            if opts.verbose:
                self.progress.say(f"\rUnversioned-file sent: {name}\n")
            if len(x.out) > x.mx_send:
                return True
        return False

    def _apply(  # noqa: C901 - one branch per card, as in Fossil
        self,
        x: xfer.Xfer,
        recv: bytes,
        res: SyncResult,
        n_cycle: int,
        clone_seqno: int,
        pcode: str | None,
        orig_config_rcv: int,
        state: dict[str, Any],
        uv_pull_only: int,
    ) -> tuple[str, int, str | None, bool, int]:
        repo, opts = self.repo, self.opts
        rd = cards.Reader(recv)
        uv_do_push = False
        while True:
            card = rd.next_card()
            if card is None:
                break
            line, toks = card
            state["cards"] = state.get("cards", 0) + 1
            if line.startswith(b"#"):
                continue
            n = len(toks)
            word = toks[0] if toks else b""
            if word == b"file":
                receive.accept_file(x, toks, rd, clone=opts.clone)
                res.artifacts_rcvd += 1
            elif word == b"cfile":
                receive.accept_cfile(x, toks, rd, verify=not opts.clone)
                res.artifacts_rcvd += 1
            elif word == b"uvfile":
                err = uv.accept_file(repo, toks, rd, True, 0)
                if err:
                    x.err = err
                res.artifacts_rcvd += 1
                state["uv_rcvd"] += 1
                if opts.verbose:
                    self.progress.say(f"\rUnversioned-file received: {toks[1].decode(errors='replace')}\n")
            elif word == b"gimme" and n == 2 and is_hname(toks[1]):
                uuid = toks[1].decode()
                xfer.remote_unk(repo, uuid)
                if opts.push:
                    rid = xfer.rid_from_uuid(repo, uuid)
                    if rid:
                        xfer.send_file(x, rid, uuid, False)
            elif n >= 2 and word == b"igot" and is_hname(toks[1]):
                uuid = toks[1].decode()
                priv = n >= 3 and toks[2] == b"1"
                rid = xfer.rid_from_uuid(repo, uuid)
                if rid:
                    (xfer._make_private if priv else xfer._make_public)(repo, rid)
                elif priv and not x.may_private:
                    pass
                elif opts.pull or opts.clone:
                    rid = xfer.rid_from_uuid(repo, uuid, True, priv)
                    if rid:
                        state["new_phantom"] = True
                xfer.remote_has(repo, rid)
            elif (
                n == 5 and word == b"uvigot" and cards.is_simple_filename(toks[1].decode("utf-8", "replace"))
                and as_int(toks[2]) is not None and as_int(toks[4]) is not None
                and (toks[3] == b"-" or is_hname(toks[3]))
            ):
                self._uvigot(x, toks, state, uv_pull_only)
                if uv_pull_only == 1 and state.get("uv_status", 0) >= 4:
                    uv_pull_only = 2
            elif word == b"push" and n == 3 and opts.clone and is_hname(toks[2]):
                if pcode is None:
                    pcode = toks[2].decode()
                    repo.config_set("project-code", pcode)
                if clone_seqno > 0:
                    x.emit(f"clone 3 {clone_seqno}\n")
            elif word == b"config" and n == 3 and as_int(toks[2]) is not None:
                from fossilpy.sync import config_sync as cs

                payload = rd.extract(as_int(toks[2]) or 0)
                cs.receive(repo, toks[1].decode("utf-8", "replace"), payload, orig_config_rcv)
                res.artifacts_rcvd += 1
                rd.skip(1)
            elif word == b"cookie" and n == 2:
                repo.config_set("cookie", toks[1].decode("utf-8", "replace"))
            elif word == b"private":
                x.next_is_private = True
            elif word == b"clone_seqno" and n == 2:
                v = as_int(toks[1])
                if v is not None:
                    clone_seqno = v
            elif word == b"message" and n == 2:
                msg = cards.defossilize(toks[1].decode("utf-8", "replace"))
                if opts.push and msg.startswith("pull only "):
                    opts.push = False
                elif msg:
                    self.progress.say(f"Server says: {msg}\n")
            elif word == b"pragma" and n >= 2:
                name = toks[1]
                if name == b"server-version" and n >= 3:
                    x.remote_version = as_int(toks[2]) or 0
                    if n >= 5:
                        x.remote_date = as_int(toks[3]) or 0
                elif opts.unversioned and name == b"uv-pull-only":
                    uv_pull_only = 1
                    if opts.uv_revert:
                        uv_do_push = True
                elif opts.unversioned and name == b"uv-push-ok":
                    uv_do_push = True
                elif name == b"ci-lock-fail" and n == 4:
                    holder = cards.defossilize(toks[2].decode("utf-8", "replace"))
                    when = as_int(toks[3])
                    now = int(time.time())
                    if when is not None and now > when:
                        age = human_age((now + 1 - when) / 86400.0)
                        self.progress.note(f"Parent check-in locked by {holder} {age} ago\n")
                    else:
                        self.progress.note(f"Parent check-in locked by {holder}\n")
                    res.ckin_lock_fail = holder
            elif word == b"error" and n == 2:
                msg = cards.defossilize(toks[1].decode("utf-8", "replace"))
                if not opts.clone or n_cycle > 0:
                    self.progress.say(f"Error: {msg}\n")
                    return f"server says: {msg}", clone_seqno, pcode, uv_do_push, uv_pull_only
            elif toks:
                if toks[0].startswith(b"<"):
                    return (
                        "server replies with HTML instead of fossil sync protocol:\n"
                        + recv.decode("utf-8", "replace"),
                        clone_seqno, pcode, uv_do_push, uv_pull_only,
                    )
                x.err = f"unknown command: [{toks[0].decode('utf-8', 'replace')}]"
            if x.err:
                err, x.err = x.err, ""
                return err, clone_seqno, pcode, uv_do_push, uv_pull_only
        return "", clone_seqno, pcode, uv_do_push, uv_pull_only

    def _uvigot(self, x: xfer.Xfer, toks: list[bytes], state: dict[str, Any], uv_pull_only: int) -> None:
        repo, opts = self.repo, self.opts
        name = toks[1].decode()
        mtime = as_int(toks[2]) or 0
        digest = toks[3].decode()
        st = uv.status(repo, name, mtime, digest)
        if opts.uv_revert:
            st = {4: 2, 5: 1}.get(st, st)
        if opts.uv_trace or opts.uv_dryrun:
            msg = {0: "UV-PULL", 1: "UV-PULL", 2: "UV-PULL-MTIME-ONLY", 4: "UV-PUSH-MTIME-ONLY",
                   5: "UV-PUSH"}.get(st)
            if msg:
                self.progress.say(f"\r{msg}: {name}\n")
            if opts.uv_dryrun:
                st = 99
        state["uv_status"] = st
        if st <= 1:
            if digest != "-":
                x.emit(f"uvgimme {name}\n")
                state["uv_gimme"] += 1
                repo.execute("DELETE FROM unversioned WHERE name=?", (name,))
            elif st == 1:
                repo.execute(
                    "UPDATE unversioned SET mtime=?, hash=NULL, sz=0, encoding=0, content=NULL"
                    " WHERE name=?",
                    (mtime, name),
                )
                repo.execute("DELETE FROM config WHERE name='uv-hash'")
        elif st == 2:
            repo.execute("UPDATE unversioned SET mtime=? WHERE name=?", (mtime, name))
            repo.execute("DELETE FROM config WHERE name='uv-hash'")
        if st >= 4 and uv_pull_only == 1:
            self.progress.say(
                "Warning: uv-pull-only\n"
                "         Unable to push unversioned content because you lack\n"
                "         sufficient permission on the server\n"
            )
        if st <= 3 or uv_pull_only:
            repo.execute("DELETE FROM uv_tosend WHERE name=?", (name,))
        elif st == 4:
            repo.execute("UPDATE uv_tosend SET mtimeOnly=1 WHERE name=?", (name,))
        elif st == 5:
            repo.execute("REPLACE INTO uv_tosend(name,mtimeOnly) VALUES(?,0)", (name,))


def sync(repo: Repo, transport: Transport, url: Url, opts: SyncOptions, **kw: Any) -> SyncResult:
    """Run one session; raise ProtocolError if the server reported errors."""
    res = SyncSession(repo, transport, url, opts, **kw).run()
    if res.errors:
        raise ProtocolError(res.errors[0].splitlines()[0])
    return res
