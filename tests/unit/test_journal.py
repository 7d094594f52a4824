"""The delivery journal: at-least-once, acknowledged, with back-off."""


import pytest

from fossilpy.backoffice import journal
from fossilpy.repo.db import Repo


def test_add_is_idempotent_per_key(bare_repo) -> None:
    assert journal.add(bare_repo, "email", "a@example.org", "<m1@x>", b"body", now=100)
    assert not journal.add(bare_repo, "email", "a@example.org", "<m1@x>", b"other", now=101)
    assert journal.add(bare_repo, "email", "b@example.org", "<m1@x>", b"body", now=100)
    rows = bare_repo.all("SELECT dest, key, payload, ctime, next_try, state FROM fx_journal ORDER BY jid")
    assert rows == [
        ("a@example.org", "<m1@x>", b"body", 100, 100, "pending"),
        ("b@example.org", "<m1@x>", b"body", 100, 100, "pending"),
    ]


def test_deliver_removes_only_acknowledged_entries(bare_repo) -> None:
    for i in range(3):
        journal.add(bare_repo, "email", f"u{i}@x", f"<k{i}>", b"m", now=10)
    sent = []

    def send(entry):
        if entry.dest == "u1@x":
            raise journal.DeliveryError("451 try later")
        sent.append(entry.key)

    assert journal.deliver(bare_repo, "email", send, now=20) == 2
    assert sent == ["<k0>", "<k2>"]
    left = bare_repo.all("SELECT dest, attempts, next_try, last_error, state FROM fx_journal")
    assert left == [("u1@x", 1, 80, "451 try later", "pending")]
    log = bare_repo.all("SELECT dest, key, ctime, dtime, attempts FROM fx_journal_log ORDER BY dest")
    assert log == [("u0@x", "<k0>", 10, 20, 1), ("u2@x", "<k2>", 10, 20, 1)]
    # not due yet: nothing tried
    assert journal.deliver(bare_repo, "email", lambda e: sent.append("x"), now=79) == 0
    assert journal.status(bare_repo) == {
        "email": {"pending": 0, "retrying": 1, "failed": 0, "delivered": 2}
    }


def test_backoff_doubles_and_gives_up(bare_repo) -> None:
    journal.add(bare_repo, "email", "d@x", "<k>", b"m", now=0)
    now = 0
    waits = []
    for _ in range(journal.MAX_ATTEMPTS):
        (entry,) = journal.due(bare_repo, "email", now=now)
        journal.failed(bare_repo, entry, "refused\nsecond line", now=now)
        nxt = bare_repo.one("SELECT next_try FROM fx_journal")
        waits.append(nxt - now)
        now = nxt
    assert waits[:4] == [60, 120, 240, 480]
    assert max(waits) == journal.MAX_BACKOFF
    assert bare_repo.row("SELECT state, attempts, last_error FROM fx_journal") == (
        "failed", journal.MAX_ATTEMPTS, "refused")
    assert journal.due(bare_repo, "email", now=10**10) == []
    assert journal.retry(bare_repo) == 1
    assert len(journal.due(bare_repo, "email", now=now)) == 1


def test_permanent_failure_is_not_retried(bare_repo) -> None:
    journal.add(bare_repo, "email", "bad", "<k>", b"m", now=0)
    journal.deliver(bare_repo, "email", lambda e: (_ for _ in ()).throw(
        journal.DeliveryError("550 no such user", permanent=True)), now=0)
    assert bare_repo.row("SELECT state, attempts FROM fx_journal") == ("failed", 1)


def test_crash_in_send_keeps_the_entry(bare_repo) -> None:
    journal.add(bare_repo, "email", "c@x", "<k>", b"m", now=0)

    def send(entry):
        raise KeyboardInterrupt  # like a kill in the middle of a send

    with pytest.raises(KeyboardInterrupt):
        journal.deliver(bare_repo, "email", send, now=0)
    assert bare_repo.one("SELECT count(*) FROM fx_journal") == 1
    assert journal.deliver(bare_repo, "email", lambda e: None, now=0) == 1
    assert bare_repo.one("SELECT count(*) FROM fx_journal") == 0


def test_journal_survives_fossil_rebuild(fossil, tmp_path) -> None:
    fossil("init", "r.fossil")
    r = Repo.open(str(tmp_path / "r.fossil"))
    journal.add(r, "email", "e@x", "<k>", b"m")
    r.close()
    fossil("rebuild", "r.fossil")
    r = Repo.open(str(tmp_path / "r.fossil"))
    assert r.all("SELECT dest, key FROM fx_journal") == [("e@x", "<k>")]
    r.close()


def test_max_attempts_zero_never_gives_up(bare_repo) -> None:
    journal.add(bare_repo, "peer-sync", "http://h/", "1", b"{}", now=0)

    def fail(entry):  # type: ignore[no-untyped-def]
        raise journal.DeliveryError("down")

    now = 0
    for n in range(1, journal.MAX_ATTEMPTS + 5):
        assert journal.deliver(bare_repo, "peer-sync", fail, now=now, max_attempts=0) == 0
        attempts, next_try, state = bare_repo.row("SELECT attempts, next_try, state FROM fx_journal")
        assert (attempts, state) == (n, "pending")
        assert next_try - now == min(60 * 2 ** (n - 1), journal.MAX_BACKOFF)
        now = next_try
    # a permanent error still gives up
    assert journal.deliver(bare_repo, "peer-sync", lambda e: (_ for _ in ()).throw(
        journal.DeliveryError("gone", permanent=True)), now=now, max_attempts=0) == 0
    assert bare_repo.one("SELECT state FROM fx_journal") == "failed"
