"""The form engine of the setup pages: Fossil's ``onoff_attribute``,
``entry_attribute``, ``textarea_attribute`` and ``multiple_choice_attribute``
(``src/setup.c``), with fossilpy's checks of the values.

An :class:`Attr` ties a config row (``var``) to a form field (``qp``, the
short name Fossil's page uses).  :func:`attribute_page` shows a page made
of them and, on a POST with ``submit`` from the same origin with the
login's ``csrf`` token, writes what changed in one transaction, with one
admin-log entry per change (:mod:`fossilpy.repo.admin_log`).  A checkbox
that is absent means "off", as in Fossil.  Every value is checked before
anything is written (a whole number, a decimal number, one of the
choices, one line, known capability letters); the first bad one is shown
on the form (status 400) and nothing is written.  The pages themselves
are in :mod:`fossilpy.web.pages.setup`.
"""

from __future__ import annotations

import re
from typing import Any

from fossilpy import settings as registry
from fossilpy.repo import admin_log
from fossilpy.repo.capabilities import unknown_letters
from fossilpy.web.forms import FormError, check_post, writable
from fossilpy.web.request import Response
from fossilpy.web.routes import Context, PageSet

#: This module declares no page of its own (every module under pages/ has a PageSet).
pages = PageSet()

_INTEGER = re.compile(r"-?[0-9]{1,18}")
_DECIMAL = re.compile(r"-?[0-9]{1,18}(\.[0-9]{1,18})?")


class Attr:
    """One field of a setup page: config row ``var`` edited as form field ``qp``.

    ``kind`` is "onoff", "entry", "textarea" or "choice"; ``check`` is
    "int", "number" (decimal), "caps" or "" for what a value must be.
    """

    __slots__ = ("kind", "label", "var", "qp", "default", "size", "choices", "check", "help", "versionable")

    def __init__(
        self,
        kind: str,
        label: str,
        var: str,
        qp: str,
        default: str | None,
        *,
        size: int = 40,
        choices: tuple[tuple[str, str], ...] = (),
        check: str = "",
        help: str = "",
        versionable: bool = False,
    ) -> None:
        self.kind, self.label, self.var, self.qp, self.default = kind, label, var, qp, default
        self.size, self.choices, self.check, self.help = size, choices, check, help
        self.versionable = versionable


def current(repo: Any, var: str, default: str | None) -> str:
    """The value a page shows for config row ``var`` (a registered setting's
    default comes from the registry; other rows use the page's default)."""
    if var in registry.SETTINGS or var in registry.EXTENSIONS:
        value = repo.setting(var)
    else:
        value = repo.config_get(var)
        if value is not None:
            value = registry.as_text(value)
    if value is None:
        return default or ""
    return str(value)


def _is_on(repo: Any, attr: Attr) -> bool:
    if attr.var in registry.SETTINGS or attr.var in registry.EXTENSIONS:
        return bool(repo.setting_bool(attr.var))
    return registry.as_bool(repo.config_get(attr.var), registry.is_truth(attr.default or "0"))


def _posted_on(value: str) -> bool:
    """A posted checkbox value as Fossil reads it: "on" or a non-zero number."""
    if value == "on":
        return True
    m = re.match(r"\s*[+-]?[0-9]+", value)
    return bool(m and int(m.group(0)))


def _problem(attr: Attr, value: str) -> str:
    """Why ``value`` is not acceptable for ``attr`` ("" if it is)."""
    name = attr.label or attr.var
    if attr.kind == "onoff":
        if value != "on" and not registry.is_truth(value) and not registry.is_false(value):
            return f'{name}: "{value[:40]}" is not on or off'
        return ""
    if attr.kind == "choice":
        if value not in [c for c, _ in attr.choices]:
            allowed = ", ".join(c for c, _ in attr.choices)
            return f'{name}: "{value[:40]}" is not one of the choices ({allowed})'
        return ""
    if attr.kind == "entry" and ("\n" in value or "\r" in value):
        return f"{name}: must be a single line"
    if attr.check == "int" and not _INTEGER.fullmatch(value.strip()):
        return f'{name}: "{value[:40]}" is not a whole number'
    if attr.check == "number" and not _DECIMAL.fullmatch(value.strip()):
        return f'{name}: "{value[:40]}" is not a number'
    if attr.check == "caps":
        bad = unknown_letters(value)
        if bad:
            return f'{name}: unknown capability letter{"s" if len(bad) > 1 else ""} "{bad}"'
    return ""


def _changes(ctx: Context, attrs: list[Attr]) -> list[tuple[Attr, str, str]]:
    """(attr, value to store, admin-log message) for each changed field; FormError on a bad value."""
    req, repo = ctx.req, ctx.repo
    out: list[tuple[Attr, str, str]] = []
    for attr in attrs:
        value = req.get(attr.qp)
        if attr.kind == "onoff":
            if value is None:
                value = "off"
            problem = _problem(attr, value)
            if problem:
                raise FormError(problem)
            on = _posted_on(value) or registry.is_truth(value)
            if on != _is_on(repo, attr):
                out.append((attr, "1" if on else "0", admin_log.set_option(attr.var, on)))
            continue
        if value is None:
            continue
        problem = _problem(attr, value)
        if problem:
            raise FormError(problem)
        if attr.check in ("int", "number"):
            value = value.strip()
        if value != current(repo, attr.var, attr.default):
            kind = {"entry": "entry_attribute", "textarea": "textarea_attribute"}.get(
                attr.kind, "multiple_choice_attribute"
            )
            out.append((attr, value, admin_log.set_value(kind, attr.var, value)))
    return out


def apply_form(ctx: Context, attrs: list[Attr], page: str) -> tuple[int, str, bool]:
    """Handle a submitted form of ``attrs``: (status, error message, saved)."""
    req = ctx.req
    if req.method != "POST" or req.get("submit") is None:
        return 200, "", False
    check_post(ctx)
    try:
        changes = _changes(ctx, attrs)
    except FormError as exc:
        return 400, str(exc), False
    if changes:
        with writable(ctx) as w, w.write():
            for attr, value, message in changes:
                w.config_set(attr.var, value)
                admin_log.record(w, page, ctx.login.name or "nobody", message)
    return 200, "", True


def view(ctx: Context, attrs: list[Attr], status: int) -> list[dict[str, Any]]:
    """The fields as the template draws them (a refused form shows what was typed)."""
    req, repo = ctx.req, ctx.repo
    rows = []
    for attr in attrs:
        posted = req.get(attr.qp) if status == 400 else None
        if attr.kind == "onoff":
            on = (posted is not None) if status == 400 else _is_on(repo, attr)
            rows.append({"a": attr, "on": on, "value": ""})
        else:
            value = posted if posted is not None else current(repo, attr.var, attr.default)
            rows.append({"a": attr, "on": False, "value": value})
    return rows


def attribute_page(
    ctx: Context,
    page: str,
    title: str,
    sections: list[tuple[str, list[Attr]]],
    *,
    note: str = "",
    layout: str = "form",
    buttons: tuple[tuple[str, str], ...] = (),
    done: str = "",
) -> Response:
    """Show (and on submit apply) a page made of ``sections`` (heading, attributes).

    ``buttons``: more submit buttons (name, label) after "Apply Changes", for
    the page to act on; ``done`` a line saying what such an action did.
    """
    attrs = [a for _, group in sections for a in group]
    status, error, saved = apply_form(ctx, attrs, page)
    shown = [(heading, view(ctx, group, status)) for heading, group in sections]
    return ctx.render(
        "setup_attrs.html",
        status=status,
        title=title,
        page=page,
        sections=shown,
        error=error,
        saved=saved,
        note=note,
        layout=layout,
        buttons=buttons,
        done=done,
    )


def is_int_text(text: str) -> bool:
    """True if ``text`` is a whole number (optionally negative)."""
    return bool(_INTEGER.fullmatch(text))
