"""The server side of the xfer protocol (Fossil 2.21 ``page_xfer``).

Entry point: :func:`handle_xfer` takes the raw HTTP request body and its
Content-Type, returns ``(reply content type, reply body)``.  It is sans-io:
the WSGI application, ``test-http`` (ssh) and ``file://`` all call it.

Cards are processed in order (2.21 semantics, so a login card must come
first); see ``fossilpy.sync.cards`` for the syntax and ``docs`` in
``www/doc/sync.md`` for every card.  Reply::

    [pragma server-version 22100 20230226 192424]   (after client-version)
    ... cards ...
    # timestamp YYYY-MM-DDTHH:MM:SS errors N

Errors are in-band ``error TEXT`` cards.  Most discard the reply built so
far and stop reading cards (Fossil's ``cgi_reset_content(); break``); an
unknown card discards the reply and continues.  Whenever an error card was
produced the whole round is rolled back, so a malformed or unauthorised
request changes nothing.  Everything else happens in one write transaction.
"""

from __future__ import annotations

import sqlite3
import time

from fossilpy import budget
from fossilpy.budget import BudgetExceeded
from fossilpy.errors import FossilError, RepositoryBusy, StorageError
from fossilpy.repo import capabilities
from fossilpy.repo.capabilities import Caps
from fossilpy.repo.db import Repo, is_busy
from fossilpy.sync import auth, cards, receive, uv, xfer
from fossilpy.sync.cards import CT_COMPRESSED, CT_DEBUG, CT_UNCOMPRESSED, as_int, is_hname


class _Rollback(Exception):
    pass


def _reply(ct: str, message: bytes) -> tuple[str, bytes]:
    return ct, cards.frame(message, CT_COMPRESSED if ct == CT_COMPRESSED else ct)


def _timestamp(n_err: int) -> bytes:
    now = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    return f"# timestamp {now} errors {n_err}\n".encode()


def _schema_out_of_date(repo: Repo) -> bool:
    aux = str(repo.config_get("aux-schema", "") or "")
    return not ("2011-04-25 19:50" <= aux <= "2015-01-24")


def handle_xfer(
    repo: Repo,
    body: bytes,
    content_type: str,
    *,
    remote_addr: str = "",
    remote_user: str | None = None,
    trusted_caps: str | None = None,
) -> tuple[str, bytes]:
    """Answer one xfer request; never raises for bad input.

    Raises ``RepositoryBusy`` (another process held the lock past the busy
    timeout) or ``BudgetExceeded`` (the request ran out of time or memory):
    the round was rolled back, and the door answers 503 with Retry-After.
    """
    try:
        return _handle_xfer(repo, body, content_type, remote_addr, remote_user, trusted_caps)
    except sqlite3.OperationalError as exc:
        if is_busy(exc) and not budget.spent():
            raise RepositoryBusy(f"repository is busy: {exc}") from None
        raise


def _handle_xfer(repo: Repo, body: bytes, content_type: str, remote_addr: str, remote_user: str | None,
                 trusted_caps: str | None) -> tuple[str, bytes]:
    """The body of :func:`handle_xfer`."""
    ct = content_type.split(";")[0].strip().lower()
    reply_ct = ct if ct in (CT_DEBUG, CT_UNCOMPRESSED) else CT_COMPRESSED
    try:
        message = cards.unframe(body, ct)
    except FossilError as exc:
        text = cards.fossilize(f"malformed request: {exc}")
        return _reply(reply_ct, f"error {text}\n".encode() + _timestamp(1))
    own = None
    if repo.readonly:
        own = repo = Repo.open(repo.path)
    try:
        if _schema_out_of_date(repo):
            return _reply(
                reply_ct, b"error database\\sschema\\sis\\sout-of-date\\son\\sthe\\sserver.\n"
            )
        server = _Server(repo, message, remote_addr, remote_user, trusted_caps)
        try:
            out = server.run()
        except BudgetExceeded:
            raise  # out of time or memory: the round was rolled back, the door answers 503
        except (StorageError, sqlite3.Error) as exc:
            if budget.spent():
                raise  # a statement interrupted by the budget: 503 as above
            if isinstance(exc, RepositoryBusy) or is_busy(exc):
                # Transient: the round was rolled back; the door answers 503
                # with Retry-After and the client sends the same round again.
                raise RepositoryBusy(f"repository is busy: {exc}") from None
            # The detail names server paths and SQL: it goes to the server's
            # log (stderr), and the client gets a generic error card.
            from fossilpy import log

            log.get(__name__).error("xfer from %s failed: %s", remote_addr or "?", exc)
            out = b"error server\\serror\\swhile\\shandling\\sthe\\srequest\n" + _timestamp(1)
        except FossilError as exc:  # input the checks above let through
            out = f"error {cards.fossilize(str(exc))}\n".encode() + _timestamp(1)
        return _reply(server.reply_ct or reply_ct, out)
    finally:
        if own is not None:
            own.close()


class _Server:
    def __init__(
        self,
        repo: Repo,
        message: bytes,
        remote_addr: str,
        remote_user: str | None,
        trusted_caps: str | None,
        disable_login: bool = False,
    ) -> None:
        self.repo = repo
        self.disable_login = disable_login
        self.rd = cards.Reader(message)
        self.remote_addr = remote_addr
        self.remote_user = remote_user
        self.reply_ct: str | None = None
        self.login = "nobody"
        self.uid = 0
        self.nonce = ""
        if trusted_caps is not None:
            caps = trusted_caps
            self.uid, self.login = capabilities.setup_user(repo) or (0, "nobody")
            if not self.uid:
                self.uid = repo.one("SELECT uid FROM user WHERE login='nobody'", (), 0)
        elif remote_user and repo.config_bool("remote_user_ok") and repo.one(
            "SELECT 1 FROM user WHERE login=?", (remote_user,)
        ):
            caps = auth.user_caps(repo, remote_user)
            self.login = remote_user
            self.uid = repo.one("SELECT uid FROM user WHERE login=?", (remote_user,), 0)
        else:
            caps = auth.user_caps(repo, "nobody")
        self.perms = auth.expand_caps(repo, caps)

    # The whole round, inside one write transaction.
    def run(self) -> bytes:
        repo = self.repo
        result = b""
        try:
            with repo.write():
                xfer.begin_round(repo)
                with xfer.crosslink_batch(repo) as batch:
                    x = xfer.Xfer(repo)
                    x.batch = batch
                    x.mx_send = repo.config_int("max-download", 5_000_000)
                    max_time = repo.config_int("max-download-time", 30)
                    x.max_time = time.time() + max(1, max_time)
                    self.x = x
                    n_err, rollback = self._cards()
                    out = x.out
                    out += _timestamp(n_err)
                    result = bytes(out)
                    if n_err or rollback:
                        raise _Rollback
                xfer.end_round(repo)
        except _Rollback:
            pass
        return result

    def _rcvid(self) -> int:
        if self.x.rcvid is None:
            from fossilpy.repo import content

            self.x.rcvid = content.begin_receive(
                self.repo, uid=self.uid, nonce=self.nonce or None, ipaddr=self.remote_addr
            )
        return self.x.rcvid

    def _cards(self) -> tuple[int, bool]:  # noqa: C901 - one branch per card, as in Fossil
        repo, x, rd, perms = self.repo, self.x, self.rd, self.perms
        is_pull = is_push = is_clone = False
        native = False
        n_err = 0
        n_gimme = 0
        uv_catalog_sent = False
        rollback = False

        def fail(text: str) -> None:
            nonlocal n_err
            x.out.clear()
            x.out += b"error " + text.encode() + b"\n"
            n_err += 1

        while True:
            card = rd.next_card()
            if card is None:
                break
            line, toks = card
            if line.startswith(b"#") or not line:
                continue
            n = len(toks)
            word = toks[0] if toks else b""

            if word == b"file":
                if not is_push:
                    fail("not\\sauthorized\\sto\\swrite")
                    break
                x.may_private = perms.private
                self._rcvid()
                receive.accept_file(x, toks, rd, clone=False)
                if x.err:
                    fail(cards.urlize(x.err))
                    break
            elif word == b"cfile":
                if not is_push:
                    fail("not\\sauthorized\\sto\\swrite")
                    break
                x.may_private = perms.private
                x.rcvid = self._rcvid()
                receive.accept_cfile(x, toks, rd, verify=True)
                if x.err:
                    fail(cards.urlize(x.err))
                    break
            elif word == b"uvfile":
                # the receive session (an rcvfrom row) starts only if the file is stored
                err = uv.accept_file(repo, toks, rd, perms.wr_unver, self._rcvid)
                if err:
                    fail(cards.urlize(err))
                    break
            elif word == b"gimme" and n == 2 and is_hname(toks[1]):
                n_gimme += 1
                uuid = toks[1].decode()
                xfer.remote_unk(repo, uuid)
                if is_pull:
                    rid = xfer.rid_from_uuid(repo, uuid)
                    if rid:
                        xfer.send_file(x, rid, uuid, native)
            elif word == b"uvgimme" and n == 2 and cards.is_simple_filename(
                toks[1].decode("utf-8", "replace")
            ):
                if repo.table_exists("unversioned"):
                    uv.send_file(repo, x.out, toks[1].decode(), False, x.mx_send)
            elif n >= 2 and word == b"igot" and is_hname(toks[1]):
                if is_push:
                    uuid = toks[1].decode()
                    if n == 2 or toks[2] != b"1":
                        rid, priv = xfer.rid_from_uuid(repo, uuid, True, False), False
                    elif perms.private:
                        rid, priv = xfer.rid_from_uuid(repo, uuid, True, True), True
                    else:
                        rid, priv = xfer.rid_from_uuid(repo, uuid, False, True), True
                    if rid:
                        xfer.remote_has(repo, rid)
                        if priv:
                            xfer._make_private(repo, rid)
                        else:
                            xfer._make_public(repo, rid)
            elif n == 3 and word in (b"pull", b"push") and is_hname(toks[2]):
                pcode = repo.config_get("project-code")
                if pcode is None:
                    fail("missing\\sproject\\scode")
                    break
                if toks[2].decode() != pcode:
                    fail("wrong\\sproject")
                    break
                if word == b"pull":
                    if not perms.read:
                        fail("not\\sauthorized\\sto\\sread")
                        break
                    is_pull = True
                elif not perms.write:
                    if not is_pull:
                        fail("not\\sauthorized\\sto\\swrite")
                    else:
                        x.out += b"message pull\\sonly\\s-\\snot\\sauthorized\\sto\\spush\n"
                else:
                    is_push = True
            elif word == b"clone":
                scode = repo.config_get("server-code", "x")
                pcode = repo.config_get("project-code", "x")
                if not perms.clone:
                    x.out.clear()
                    x.emit(f"push {scode} {pcode}\n")
                    x.out += b"error not\\sauthorized\\sto\\sclone\n"
                    n_err += 1
                    break
                if repo.setting_bool("uv-sync") and not uv_catalog_sent:
                    if repo.table_exists("unversioned"):
                        x.out += b"pragma uv-pull-only\n"
                        uv.send_catalog(repo, x.out)
                    uv_catalog_sent = True
                vers = as_int(toks[1]) if n == 3 else None
                if vers is not None and vers >= 2:
                    if vers >= 3:
                        self.reply_ct = CT_UNCOMPRESSED
                    seqno = as_int(toks[2]) or 0
                    mx = repo.one("SELECT max(rid) FROM blob") or 0
                    if vers >= 3:
                        seqno = xfer.send_clone_v3(x, seqno, mx)
                    while x.mx_send > len(x.out) and seqno <= mx:
                        if time.time() >= x.max_time:
                            break
                        xfer.send_file(x, seqno, None, True)
                        seqno += 1
                    if seqno > mx:
                        seqno = 0
                    x.emit(f"clone_seqno {seqno}\n")
                else:
                    is_clone = is_pull = True
                    native = True
                x.emit(f"push {scode} {pcode}\n")
            elif word == b"login" and n == 4 and self.disable_login:
                self.perms = perms = perms.plus_flags("oixa")  # Read, Write, Private, Admin: no others implied
            elif word == b"login" and n == 4:
                nonce = toks[2].decode("ascii", "replace")
                tail = rd.tail()
                from fossilpy.artifact import hname

                ok = hname.is_valid(nonce) and hname.verify(tail, nonce)
                login = cards.defossilize(toks[1].decode("utf-8", "replace"))
                if ok:
                    ok, caps, uid = auth.check_login(
                        repo, login, nonce, toks[3].decode("ascii", "replace"),
                        remote_user=self.remote_user,
                    )
                if not ok:
                    fail("login\\sfailed")
                    break
                if caps is not None:
                    self.perms = perms = perms | auth.expand_caps(repo, caps)
                    self.login, self.uid, self.nonce = login, uid, nonce
            elif word == b"reqconfig" and n == 2:
                if perms.read:
                    name = toks[1].decode("utf-8", "replace")
                    if name.startswith("/"):
                        from fossilpy.sync import config_sync as cs

                        mask = cs.name_to_mask(name[1:])
                        if not perms.admin:
                            mask &= ~(cs.USER | cs.SCRIBER)
                        if not perms.rd_addr:
                            mask &= ~cs.ADDR
                        cs.send_group(repo, x.out, mask)
            elif word == b"config" and n == 3 and as_int(toks[2]) is not None:
                payload = rd.extract(as_int(toks[2]) or 0)
                if not perms.admin:
                    fail("not\\sauthorized\\sto\\spush\\sconfiguration")
                    break
                from fossilpy.sync import config_sync as cs

                cs.receive(repo, toks[1].decode("utf-8", "replace"), payload, cs.ALL)
                rd.skip(1)
            elif word == b"cookie" and n == 2:
                pass
            elif word == b"private":
                if not perms.private:
                    x.out += b"error not\\sauthorized\\sto\\ssync\\sprivate\\scontent\n"
                    rollback = True
                else:
                    x.next_is_private = True
            elif word == b"pragma" and n >= 2:
                uv_catalog_sent = self._pragma(toks, perms, uv_catalog_sent)
            else:
                x.out.clear()
                text = cards.fossilize(line.decode("utf-8", "replace"))
                x.out += f"error bad\\scommand:\\s{text}\n".encode()
                rollback = True
        if is_push:
            xfer.request_phantoms(x, 500)
        if is_clone and n_gimme == 0:
            xfer.send_all(x)
            if x.sync_private:
                xfer.send_private(x)
        elif is_pull:
            xfer.create_cluster(x)
            xfer.send_unclustered(x)
            if x.sync_private:
                xfer.send_private(x)
        return n_err, rollback

    def _pragma(self, toks: list[bytes], perms: Caps, uv_sent: bool) -> bool:
        x, repo, n = self.x, self.repo, len(toks)
        name = toks[1]
        if name == b"send-private":
            if not perms.private:
                x.out += b"error not\\sauthorized\\sto\\ssync\\sprivate\\scontent\n"
            else:
                x.sync_private = True
                x.may_private = True
        elif name == b"send-catalog":
            x.resync = 0x7FFFFFFF
        elif name == b"client-version" and n >= 3:
            x.remote_version = as_int(toks[2]) or 0
            if n >= 5:
                x.remote_date = as_int(toks[3]) or 0
                x.emit(
                    f"pragma server-version {xfer.RELEASE_VERSION_NUMBER}"
                    f" {xfer.MANIFEST_NUMERIC_DATE} {xfer.MANIFEST_NUMERIC_TIME}\n"
                )
        elif name == b"uv-hash" and n >= 3 and is_hname(toks[2]):
            if not uv_sent and perms.read and toks[2].decode() != uv.content_hash(repo):
                if perms.wr_unver:
                    x.out += b"pragma uv-push-ok\n"
                else:
                    x.out += b"pragma uv-pull-only\n"
                if repo.table_exists("unversioned"):
                    uv.send_catalog(repo, x.out)
            uv_sent = True
        elif name == b"ci-lock" and n == 4 and is_hname(toks[2]):
            self._ci_lock(toks[2].decode(), toks[3].decode("utf-8", "replace"))
        elif name == b"client-url" and n == 3 and perms.write:
            # The client could be called back at URL: remember "syncfrom:URL"
            # (http/https, not localhost, without user name).
            from fossilpy.errors import UserError
            from fossilpy.sync import url as urlmod

            try:
                u = urlmod.parse(cards.defossilize(toks[2].decode("utf-8", "replace")))
            except UserError:
                u = None
            if u is not None and u.protocol.startswith("http") and "localhost" not in u.name:
                canon = u.canonical.replace(f"{u.user}@", "", 1) if u.user else u.canonical
                repo.execute(
                    "REPLACE INTO config(name,value,mtime) VALUES(?,'{}',?)",
                    (f"syncfrom:{canon}", int(time.time())),
                )
        elif name == b"ci-unlock" and n == 3 and is_hname(toks[2]):
            repo.execute(
                "DELETE FROM config WHERE name GLOB 'ci-lock-*'"
                " AND (NOT json_valid(value) OR json_extract(value,'$.clientid')=?)",
                (toks[2].decode(),),
            )
        return uv_sent

    def _ci_lock(self, ckin: str, client_id: str) -> None:
        repo, x = self.repo, self.x
        now = int(time.time())
        max_age = repo.setting_int("lock-timeout")
        seen = False
        for login, mtime, cid, rid, name in repo.all(
            "SELECT json_extract(value,'$.login'), mtime, json_extract(value,'$.clientid'),"
            " (SELECT rid FROM blob WHERE uuid=substr(name,9)), name FROM config"
            " WHERE name GLOB 'ci-lock-*' AND json_valid(value)"
        ):
            is_leaf = rid and repo.one("SELECT 1 FROM leaf WHERE rid=?", (rid,))
            if int(mtime or 0) <= now - max_age or not is_leaf:
                repo.execute("DELETE FROM config WHERE name=?", (name,))
                continue
            if name[8:] == ckin:
                if cid != client_id:
                    x.emit(f"pragma ci-lock-fail {cards.fossilize(login or '')} {int(mtime)}\n")
                seen = True
        if not seen:
            import json

            repo.execute(
                "REPLACE INTO config(name,value,mtime) VALUES(?,?,?)",
                (f"ci-lock-{ckin}", json.dumps({"login": self.login, "clientid": client_id}), now),
            )
        if repo.setting_bool("forbid-delta-manifests"):
            x.out += b"pragma avoid-delta-manifests\n"


def run_test_xfer(repo: Repo, message: bytes) -> bytes:
    """``test-xfer``: run an uncompressed request with login checks disabled
    (any 4-token login card grants read, write, private and admin)."""
    server = _Server(repo, message, "", None, None, disable_login=True)
    return server.run()
