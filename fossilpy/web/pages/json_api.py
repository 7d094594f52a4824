"""The ``/json`` page: Fossil's JSON API (the work is in :mod:`fossilpy.web.json_api`).

Every path under ``/json/`` arrives here (the page is the first path
element); the package reads the command from the rest of the path or from
the POSTed envelope, authenticates by auth token or login cookie, checks
each command's own capabilities and answers with Fossil's JSON envelope,
HTTP 200 even for errors, as Fossil does.
"""

from __future__ import annotations

from fossilpy.web.request import Response
from fossilpy.web.routes import Context, PageSet

pages = PageSet()


@pages.webpage("/json", caps="", methods=("GET", "HEAD", "POST"))
def json_page(ctx: Context) -> Response:
    """/json/COMMAND[/SUBCOMMAND[/ARG...]]?authToken=TOKEN&requestId=ID&indent=N&jsonp=NAME

    Fossil's JSON API: login, logout, whoami, anonymousPassword, cap,
    timeline/checkin|wiki|ticket|technote, wiki/list|get|save|create|diff,
    report/list|get|run, branch/list, tag/list, artifact/HASH, diff, dir,
    finfo, stat, user/list|get, config/get, version, resultCodes.  A POST
    carries a JSON envelope {"command", "authToken", "payload",
    "requestId"}.  Each command checks its own capabilities and answers with
    a JSON envelope (resultCode FOSSIL-#### on errors)."""
    from fossilpy.web.json_api.envelope import handle

    return handle(ctx)
