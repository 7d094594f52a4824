"""``fossilpy help``: commands, web pages, unknown topics."""

from __future__ import annotations

from tests.conftest import Runner


def test_help_lists_every_command(fossilpy: Runner) -> None:
    from fossilpy.cli.main import COMMANDS

    out = fossilpy.text("help", "-a")
    assert out.splitlines() == sorted(COMMANDS)
    columns = fossilpy.text("help")
    assert columns.startswith("Usage: fossilpy help TOPIC\nCommands:\n")
    assert set(columns.split()) >= set(COMMANDS)


def test_help_of_a_command_is_its_help(fossilpy: Runner) -> None:
    assert fossilpy.text("help", "ticket") == fossilpy.text("ticket", "--help")
    assert "fossilpy ticket history TICKETUUID" in fossilpy.text("help", "ticket")


def test_help_of_a_web_page_is_its_registry_docstring(fossilpy: Runner) -> None:
    from fossilpy.web import routes

    page = routes.lookup("tktnew")
    assert page is not None
    assert fossilpy.text("help", "-w", "tktnew") == f"Web page /tktnew:\n\n{page.help}\n"
    assert fossilpy.text("help", "/tktnew") == fossilpy.text("help", "-w", "tktnew")
    assert "/wikiedit" in fossilpy.text("help", "-w").split()


def test_unknown_topics_name_the_near_ones_and_fail(fossilpy: Runner) -> None:
    r = fossilpy("help", "tim", check=False)
    assert (r.returncode, r.stdout, r.stderr.decode()) == (
        1,
        b"",
        "fossilpy: no such command: tim; did you mean: timeline\n",
    )
    r = fossilpy("help", "/nosuchpage", check=False)
    assert (r.returncode, r.stderr.decode()) == (1, "fossilpy: no such web page: /nosuchpage\n")
