"""The JSON API's request reading, result codes, response envelope and command table.

Request (``conventions.md``; ``json_bootstrap_late`` and ``json_getenv`` in
``src/json.c``):

* The command is the path after ``/json/`` (``/json/wiki/get/Home``: command
  ``wiki``, subcommand ``get``, argument ``Home``).  At ``/json`` itself the
  ``command`` parameter (GET or envelope) names it, ``"wiki/get"``.
* A POST body is read as JSON when its Content-Type is
  ``application/json``, ``text/plain``, ``application/javascript`` or
  ``text/javascript`` (parameters after ``;`` ignored).  It must be a JSON
  object, the *envelope*: ``command``, ``authToken``, ``requestId`` (any JSON
  value, echoed), ``indent``, ``jsonp`` and ``payload`` (the command's own
  options).  A body that is not such an object, a POST of any other
  Content-Type with a body, or a body over :data:`MAX_BODY` bytes gets
  ``FOSSIL-1101``.
* A command option is looked up in ``payload`` (when it is an object), then
  in the GET parameters, then in the envelope, then (for some) in the path.
  From GET a boolean is true when it starts with one of ``1-9tT``, an integer
  is read as ``atoi`` does; from JSON they keep their type (JavaScript
  truthiness for booleans).

Response (``json_create_response``): a JSON object, always HTTP 200, with
``fossil`` (Fossil's version hash), ``timestamp`` (Unix seconds),
``resultCode`` and ``resultText`` on errors only (``resultText`` may also be
set on success), ``command`` (the command path that ran, ``"wiki/get"``),
``requestId`` when given, ``procTimeUs`` and ``procTimeMs``, and ``payload``
on success when the command has one.  Content-Type is
``application/json; charset=utf-8`` unless ``Accept`` names neither
``application/json`` nor ``*/*`` (then ``text/plain``); JSONP wraps the
object in ``NAME(...)`` as ``text/javascript; charset=utf-8``.  ``indent``:
0 (default) compact, 1 a tab per level, N>1 that many spaces.
"""

from __future__ import annotations

import importlib
import json
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

from fossilpy.web.request import Response

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo
    from fossilpy.repo.visibility import Visibility
    from fossilpy.web.auth import Login
    from fossilpy.web.routes import Context

#: Fossil 2.21's check-in hash (``MANIFEST_UUID``), the envelope's ``fossil`` property.
FOSSIL_UUID = "f9aa474081f0618c76f4c2f4d6f0277a3fd480aa185d7da0b8b61b00fad1aa78"
#: ``FOSSIL_JSON_API_VERSION`` of Fossil 2.21.
API_VERSION = "20120713"
#: The largest JSON request body read (bytes); larger ones get FOSSIL-1101.
MAX_BODY = 12 * 1024 * 1024
#: Content-Types whose POST body is read as JSON (``json_can_consume_content_type``).
JSON_TYPES = ("application/json", "text/plain", "text/javascript", "application/javascript")

# Fossil's FossilJsonCodes (src/json_detail.h) and their default texts (json_err_cstr).
E_GENERIC = 1000
E_INVALID_REQUEST = 1101
E_UNKNOWN_COMMAND = 1102
E_UNKNOWN = 1103
E_TIMEOUT = 1105
E_ALLOC = 1107
E_NYI = 1108
E_MANIFEST_READ_FAILED = 1110
E_AUTH = 2000
E_MISSING_AUTH = 2001
E_DENIED = 2002
E_LOGIN_FAILED = 2100
E_LOGIN_FAILED_NOSEED = 2101
E_USAGE = 3000
E_INVALID_ARGS = 3001
E_MISSING_ARGS = 3002
E_AMBIGUOUS_UUID = 3003
E_UNRESOLVED_UUID = 3004
E_ALREADY_EXISTS = 3005
E_NOT_FOUND = 3006
E_DB = 4000
E_DB_LOCKED = 4004

#: number -> (C symbol suffix, default resultText), in Fossil's /json/resultCodes order.
CODES: dict[int, tuple[str, str]] = {
    1000: ("GENERIC", "Generic error"),
    1101: ("INVALID_REQUEST", "Invalid request"),
    1102: ("UNKNOWN_COMMAND", "Unknown command or subcommand"),
    1103: ("UNKNOWN", "Unknown error"),
    1105: ("TIMEOUT", "Timeout reached"),
    1106: ("ASSERT", "Assertion failed"),
    1107: ("ALLOC", "Resource allocation failed"),
    1108: ("NYI", "Not yet implemented"),
    1109: ("PANIC", "x"),
    1110: ("MANIFEST_READ_FAILED", "Reading artifact manifest failed"),
    1111: ("FILE_OPEN_FAILED", "Opening file failed"),
    2000: ("AUTH", "Authentication error"),
    2001: ("MISSING_AUTH", "Authentication info missing from request"),
    2002: ("DENIED", "Access denied"),
    2003: ("WRONG_MODE", "Request not allowed (wrong operation mode)"),
    2100: ("LOGIN_FAILED", "Login failed"),
    2101: ("LOGIN_FAILED_NOSEED", "Anonymous login attempt was missing password seed"),
    2102: ("LOGIN_FAILED_NONAME", "Login failed - name not supplied"),
    2103: ("LOGIN_FAILED_NOPW", "Login failed - password not supplied"),
    2104: ("LOGIN_FAILED_NOTFOUND", "Login failed - no match found"),
    3000: ("USAGE", "Usage error"),
    3001: ("INVALID_ARGS", "Invalid argument(s)"),
    3002: ("MISSING_ARGS", "Missing argument(s)"),
    3003: ("AMBIGUOUS_UUID", "Resource identifier is ambiguous"),
    3004: ("UNRESOLVED_UUID", "Provided uuid/tag/branch could not be resolved"),
    3005: ("RESOURCE_ALREADY_EXISTS", "Resource already exists"),
    3006: ("RESOURCE_NOT_FOUND", "Resource not found"),
    4000: ("DB", "Database error"),
    4001: ("STMT_PREP", "Statement preparation failed"),
    4002: ("STMT_BIND", "Statement parameter binding failed"),
    4003: ("STMT_EXEC", "Statement execution/stepping failed"),
    4004: ("DB_LOCKED", "Database is locked"),
    4101: ("DB_NEEDS_REBUILD", "Fossil repository needs to be rebuilt"),
    4102: ("DB_NOT_FOUND", "Fossil repository db file could not be found."),
    4103: ("DB_NOT_VALID", "Fossil repository db file is not valid."),
}

#: A command: takes the request, returns the payload (None: no payload).
Handler = Callable[["JsonRequest"], Any]

#: The top-level commands (Fossil's ``JsonPageDefs``): name -> "module:function" in this package.
COMMANDS: dict[str, str] = {
    "anonymousPassword": "auth:anonymous_password",
    "artifact": "artifact:artifact",
    "branch": "timeline:branch",
    "cap": "auth:cap",
    "config": "misc:config",
    "diff": "artifact:diff",
    "dir": "artifact:directory",
    "finfo": "artifact:finfo",
    "g": "misc:not_yet",
    "HAI": "misc:version",
    "login": "auth:login",
    "logout": "auth:logout",
    "query": "misc:not_yet",
    "rebuild": "misc:not_yet",
    "report": "misc:report",
    "resultCodes": "misc:result_codes",
    "settings": "misc:not_yet",
    "stat": "misc:stat",
    "status": "misc:not_yet",
    "tag": "timeline:tag",
    "timeline": "timeline:timeline",
    "user": "misc:user",
    "version": "misc:version",
    "whoami": "auth:whoami",
    "wiki": "wiki:wiki",
}

_JSONP = re.compile(r"[A-Za-z_$][A-Za-z0-9_$.]{0,99}")
_ATOI = re.compile(r"\s*([+-]?[0-9]+)")


def result_code(code: int) -> str:
    """``FOSSIL-####`` for ``code``."""
    return f"FOSSIL-{code:04d}"


class JsonError(Exception):
    """A command failed with Fossil result ``code``; ``text`` becomes ``resultText``."""

    def __init__(self, code: int, text: str | None = None) -> None:
        super().__init__(text or CODES.get(code, ("", "Unknown error"))[1])
        self.code = code
        self.text = text or CODES.get(code, ("", "Unknown error"))[1]


def fail(code: int, text: str | None = None) -> NoReturn:
    """Stop the command with result ``code`` (``json_set_err``)."""
    raise JsonError(code, text)


class JsonRequest:
    """One JSON request as the commands see it.

    Attributes:
        ctx: the page context (``ctx.login`` is the JSON login, see :mod:`.auth`).
        path: the command path, "json" first (``["json", "wiki", "get", "Home"]``).
        post: the POSTed envelope (a dict) or None.
        payload: ``post["payload"]`` (any JSON value) or None.
        token: the auth token in force (request or cookie), or None.
        token_from: "request", "cookie" or "" (none).
        bad_token: a token was given but names no login.
        depth: how many path elements after "json" have been dispatched.
    """

    def __init__(self, ctx: Context, path: list[str], post: dict[str, Any] | None) -> None:
        self.ctx = ctx
        self.path = path
        self.post = post
        self.payload: Any = post.get("payload") if post else None
        self.get_params = {k: v[0] for k, v in ctx.req.multi.items() if v}
        self.token: str | None = None
        self.token_from = ""
        self.bad_token = False
        self.depth = 1

    @property
    def repo(self) -> Repo:
        """The repository (read-only handle)."""
        return self.ctx.repo

    @property
    def login(self) -> Login:
        """Who is asking."""
        return self.ctx.login

    @property
    def private(self) -> bool:
        """True if the reader may see private content (capability ``x``)."""
        return self.ctx.login.has("x")

    def visibility(self) -> Visibility:
        """The private-content rule for this reader."""
        from fossilpy.repo.visibility import Visibility

        return Visibility(self.repo, private=self.private)

    def arg(self, n: int) -> str | None:
        """Path element ``n`` (0 is "json", 1 the command), None past the end."""
        return self.path[n] if 0 <= n < len(self.path) and self.path[n] else None

    def rest(self, n: int) -> str | None:
        """Path elements ``n`` and after joined with "/" (a page or file name), None if none."""
        parts = [p for p in self.path[n:] if p] if n > 0 else []
        return "/".join(parts) or None

    def raw(self, name: str, short: str | None = None) -> Any:
        """Option ``name``: ``payload`` object, then GET (``name``, ``short``), then envelope."""
        if isinstance(self.payload, dict) and name in self.payload:
            return self.payload[name]
        for key in (name, short):
            if key and key in self.get_params:
                return self.get_params[key]
        if self.post is not None and name in self.post:
            return self.post[name]
        return None

    def text(self, name: str, short: str | None = None, pos: int | None = None) -> str | None:
        """Option ``name`` as a string (numbers as written); else path element ``pos``."""
        value = self.raw(name, short)
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return self.arg(pos) if pos is not None else None

    def flag(self, name: str, short: str | None = None, default: bool = False) -> bool:
        """Option ``name`` as a boolean (GET: starts with ``1-9tT``; JSON: truthiness)."""
        value = self.raw(name, short)
        if value is None:
            return default
        if isinstance(value, str) and (name in self.get_params or (short or "") in self.get_params):
            return value[:1] in tuple("123456789tT")
        return bool(value)

    def integer(self, name: str, default: int, short: str | None = None) -> int:
        """Option ``name`` as an integer (``atoi`` for strings), ``default`` if absent or not a number."""
        value = self.raw(name, short)
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            return int(value)
        if isinstance(value, str):
            m = _ATOI.match(value)
            if m:
                return int(m.group(1))
        return default

    def need(self, alternatives: str, text: str) -> None:
        """FOSSIL-2002 with ``text`` unless the login has one of ``alternatives`` ("o|j")."""
        if any(self.login.has(alt) for alt in alternatives.split("|")):
            return
        if self.bad_token:
            text += " (the authToken given is not valid: it expired or was logged out)"
        fail(E_DENIED, text)

    def check_write(self) -> None:
        """Refuse a change by a logged-in user from another site unless the request carries the token.

        Credentials a browser adds by itself (the login cookie, localauth,
        HTTP authentication, REMOTE_USER) could be used by any page the user
        visits (CSRF); the token in the request could not."""
        if self.token_from != "request" and self.ctx.login.name and not self.ctx.req.same_origin:
            fail(E_DENIED, "A change authenticated by the login cookie must come from this site;"
                           " send the authToken in the request instead.")  # fmt: skip

    def sub(self, table: dict[str, Handler]) -> Any:
        """Run the subcommand named by the next path element (``json_page_dispatch_helper``)."""
        name = self.arg(1 + self.depth)
        if not name:
            fail(E_MISSING_ARGS, "No subcommand specified. Try one of: " + ", ".join(table))
        handler = table.get(name)
        if handler is None:
            fail(E_UNKNOWN_COMMAND, f"Unknown subcommand: {name}")
        self.depth += 1
        return handler(self)


class _Reply:
    """What the envelope needs besides the payload: echoed id, command name, output options."""

    def __init__(self) -> None:
        self.request_id: Any = None
        self.has_request_id = False
        self.command: str | None = None
        self.jsonp: str | None = None
        self.indent = 0


def _path(ctx: Context) -> list[str]:
    """PATH_INFO split at "/" from the "json" element on, empty elements dropped."""
    parts = [p.strip() for p in ctx.req.path_info.split("/")]
    parts = [p for p in parts if p]
    return parts if parts and parts[0] == "json" else ["json"]


def _read_post(ctx: Context) -> dict[str, Any] | None:
    """The POSTed envelope, None without a body; FOSSIL-1101 for anything that is not one."""
    req = ctx.req
    if req.method != "POST" or not req.body:
        return None
    ctype = req.content_type.split(";", 1)[0].strip().lower()
    if ctype not in JSON_TYPES:
        fail(E_INVALID_REQUEST, "POST data must be a JSON request envelope"
                                " (Content-Type application/json or text/plain).")  # fmt: skip
    if len(req.body) > MAX_BODY:
        fail(E_INVALID_REQUEST, f"Request body too large ({len(req.body)} bytes; the limit is {MAX_BODY}).")
    try:
        value = json.loads(req.body.decode("utf-8", "surrogateescape"))
    except json.JSONDecodeError as exc:
        fail(E_INVALID_REQUEST, f"JSON parse error at line {exc.lineno}, column {exc.colno},"
                                f" byte offset {exc.pos}: {exc.msg}")  # fmt: skip
    except (RecursionError, ValueError):
        fail(E_INVALID_REQUEST, "JSON parse error: the request envelope cannot be read.")
    if not isinstance(value, dict):
        fail(E_INVALID_REQUEST, "Request envelope must be a JSON Object (not array).")
    return value


def _resolve(name: str) -> Handler:
    module, _, func = COMMANDS[name].partition(":")
    mod = importlib.import_module(f"fossilpy.web.json_api.{module}")
    handler: Handler = getattr(mod, func)
    return handler


def _run(ctx: Context, reply: _Reply) -> Any:
    """Parse the request, establish the login and run the command; its payload."""
    from fossilpy.web.json_api import auth

    path = _path(ctx)
    post = _read_post(ctx)
    jr = JsonRequest(ctx, path, post)
    if post is not None and "requestId" in post:
        reply.request_id, reply.has_request_id = post["requestId"], True
    elif "requestId" in jr.get_params:
        reply.request_id, reply.has_request_id = jr.get_params["requestId"], True
    jsonp = jr.get_params.get("jsonp") or (post or {}).get("jsonp")
    if jsonp is not None:
        if not isinstance(jsonp, str) or not _JSONP.fullmatch(jsonp):
            fail(E_INVALID_ARGS, "The jsonp callback name must be a JavaScript identifier.")
        reply.jsonp = jsonp
    indent = jr.integer("indent", 0) if post is None or "indent" not in post else post.get("indent")
    reply.indent = indent if isinstance(indent, int) and not isinstance(indent, bool) and 0 < indent < 256 else 0
    if len(path) == 1:
        command = jr.get_params.get("command") or (post or {}).get("command")
        if isinstance(command, str) and command.strip("/ "):
            reply.command = command
            path.extend(p.strip() for p in command.split("/") if p.strip())
    auth.establish(jr, cookie_ok=reply.jsonp is None)
    name = jr.arg(1)
    if not name:
        fail(E_MISSING_ARGS, "No command (sub-path) specified. Try one of: " + ", ".join(COMMANDS))
    if name not in COMMANDS:
        fail(E_UNKNOWN_COMMAND, f"Unknown command: {name}")
    try:
        return _resolve(name)(jr)
    finally:
        if reply.command is None:
            reply.command = "/".join(path[1 : jr.depth + 1])


def _failure_code(ctx: Context, exc: Exception) -> tuple[int, str]:
    """Result code and text for an exception that is not a :class:`JsonError`."""
    from fossilpy import budget
    from fossilpy.errors import FossilError, NotFound, PermissionDenied, UserError
    from fossilpy.repo.db import is_busy

    if isinstance(exc, budget.BudgetExceeded):
        return E_TIMEOUT, f"The request was stopped: {exc}."
    if isinstance(exc, MemoryError):
        return E_ALLOC, CODES[E_ALLOC][1]
    if is_busy(exc) or (isinstance(exc, FossilError) and exc.http_status == 503):
        return E_DB_LOCKED, "The repository is busy; try again in a moment."
    if isinstance(exc, NotFound):
        return E_NOT_FOUND, str(exc) or CODES[E_NOT_FOUND][1]
    if isinstance(exc, PermissionDenied):
        return E_DENIED, str(exc) or CODES[E_DENIED][1]
    if isinstance(exc, UserError):
        return E_INVALID_ARGS, str(exc) or CODES[E_INVALID_ARGS][1]
    from fossilpy import log

    log.get(__name__).exception("JSON request %s failed", ctx.req.path_info)
    return E_UNKNOWN, "Unknown error; the details are in the server log."


def envelope(
    reply: _Reply, started: int, *, payload: Any = None, code: int = 0, text: str | None = None
) -> dict[str, Any]:
    """The response object, properties in Fossil's order (``json_create_response``)."""
    out: dict[str, Any] = {"fossil": FOSSIL_UUID, "timestamp": int(time.time())}
    if code:
        out["resultCode"] = result_code(code)
        out["resultText"] = text or CODES.get(code, ("", "Unknown error"))[1]
    elif text:
        out["resultText"] = text
    out["command"] = reply.command or ""
    if reply.has_request_id:
        out["requestId"] = reply.request_id
    span = max(1, (time.perf_counter_ns() - started) // 1000)
    out["procTimeUs"] = span
    out["procTimeMs"] = span // 1000
    if not code and payload is not None:
        out["payload"] = payload
    return out


def _content_type(ctx: Context, jsonp: bool) -> str:
    """``json_guess_content_type``."""
    if jsonp:
        return "text/javascript; charset=utf-8"
    accept = ctx.req.environ.get("HTTP_ACCEPT")
    if accept is None or "application/json" in accept or "*/*" in accept:
        return "application/json; charset=utf-8"
    return "text/plain"


def render(ctx: Context, reply: _Reply, obj: dict[str, Any]) -> Response:
    """The HTTP reply carrying ``obj``."""
    if reply.indent == 1:
        text = json.dumps(obj, ensure_ascii=False, indent="\t")
    elif reply.indent > 1:
        text = json.dumps(obj, ensure_ascii=False, indent=reply.indent)
    else:
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    if reply.jsonp:
        text = f"{reply.jsonp}({text})"
    body = text.encode("utf-8", "surrogateescape")
    return Response(status=200, body=body, content_type=_content_type(ctx, reply.jsonp is not None))


def handle(ctx: Context) -> Response:
    """Answer one ``/json/...`` request (never raises; every failure is an error envelope)."""
    started = time.perf_counter_ns()
    reply = _Reply()
    try:
        payload = _run(ctx, reply)
        obj = envelope(reply, started, payload=payload)
    except JsonError as exc:
        obj = envelope(reply, started, code=exc.code, text=exc.text)
    except Exception as exc:  # noqa: BLE001 - a JSON client gets a JSON error, never an HTML page
        code, text = _failure_code(ctx, exc)
        obj = envelope(reply, started, code=code, text=text)
    return render(ctx, reply, obj)
