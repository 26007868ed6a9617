"""The archive as an ASGI application (Starlette): pages, the JSON API, Atom, CSV and GeoJSON.

Every handler is a plain function, which Starlette runs in its thread pool: each thread reads
through its own read-only SQLite connection.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from digest import config as configuration
from digest.errors import ConfigError, StorageError
from digest.render import local
from digest.storage.base import ReviewAction
from digest.storage.reader import Found
from digest.storage.search import FIRST_DAY, LAST_DAY, QueryError, SearchFilters
from digest.storage.sqlite import SqliteStorage
from digest.story_report import story_json
from digest.types import StoryView
from digest.unsubscribe import valid, what_stops
from digest.web import formats, pages
from digest.web.desk import KEY, ActionForm, desk_page, token_valid
from digest.web.security import BASIC_CHALLENGE, Access, Guard
from digest.web.site import Links, Site

EXPORT_LIMIT = 5000
FORM_BYTES = 16_384
API_LIMIT = 500


class BadRequest(Exception):
    """A request whose parameters say what is wrong with them."""


def filters_of(request: Request) -> SearchFilters:
    values = {k: v for k, v in request.query_params.items() if v.strip()}
    try:
        return SearchFilters.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'query'}: {error['msg']}"
            for error in exc.errors()
        )
        raise BadRequest(problems) from None


def period_of(
    request: Request, zone: str, default_days: int = pages.OVERVIEW_DAYS
) -> tuple[date, int]:
    """The last day (default: today in `zone`) and the number of days a page covers."""
    params = request.query_params
    try:
        last = date.fromisoformat(params["until"]) if params.get("until") else None
        days = int(params.get("days") or default_days)
    except ValueError:
        raise BadRequest("until: a date YYYY-MM-DD; days: a whole number") from None
    if not 1 <= days <= 366:
        raise BadRequest("days: from 1 to 366")
    if last is not None and not FIRST_DAY <= last <= LAST_DAY:
        raise BadRequest(f"until: a date from {FIRST_DAY} to {LAST_DAY}")
    return last or datetime.now(ZoneInfo(zone)).date(), days


def limit_of(request: Request, default: int, most: int) -> int:
    raw = request.query_params.get("limit", "")
    if not raw:
        return default
    if not re.fullmatch(r"[0-9]{1,6}", raw) or not 1 <= int(raw) <= most:
        raise BadRequest(f"limit: a whole number from 1 to {most}")
    return int(raw)


def base_url(site: Site, request: Request) -> str:
    return site.base_url or str(request.base_url)


def stylesheet(site: Site) -> str:
    email = site.env.get_template("_style.css.j2").render()
    web = site.env.loader.get_source(site.env, "web/archive.css")[0] if site.env.loader else ""
    return f"{email}\n{web}"


def create_app(site: Site, access: Access | None = None) -> Guard:
    """The archive app. Behind a proxy that serves it under a path (`[web] base_url`
    https://intranet.example.org/digest/), the proxy strips that path; links carry it."""
    css = stylesheet(site)
    guard = access or Access()
    links = Links(urlsplit(site.base_url).path if site.base_url else "/")

    def page(html: str | None, what: str = "page") -> Response:
        if html is None:
            return not_found(what)
        return HTMLResponse(html)

    def not_found(what: str) -> Response:
        html = site.render(
            "web/error.html.j2", links, title="Not found", message=f"No such {what}."
        )
        return HTMLResponse(html, status_code=404)

    def index(request: Request) -> Response:
        return page(pages.index_page(site, links))

    def digest(request: Request) -> Response:
        profile, day = request.path_params["profile"], request.path_params["day"]
        return page(pages.digest_page(site, links, profile, day), "digest")

    def email(request: Request) -> Response:
        profile, day = request.path_params["profile"], request.path_params["day"]
        record = site.reader.digest(profile, day)
        draft = site.reader.review_draft(profile, day)
        if record is None or (draft is not None and draft.closed_at is None):
            return not_found("digest")  # a draft under review is no email yet
        return HTMLResponse(record.html)

    def story(request: Request) -> Response:
        return page(pages.story_page(site, links, request.path_params["story"]), "story")

    def search(request: Request) -> Response:
        view = "stories" if request.query_params.get("view") == "stories" else "items"
        results = pages.search_results(site, filters_of(request), view)
        return HTMLResponse(pages.search_page(site, links, results, view))

    def overview(request: Request) -> Response:
        return HTMLResponse(pages.overview_page(site, links, *period_of(request, "UTC")))

    def region_of(request: Request) -> str | None:
        region = request.query_params.get("region") or None
        if region is not None and region not in site.region_names:
            raise BadRequest(f"region: not a country or P-code the archive knows: {region!r}")
        return region

    def evacuation_orders(request: Request) -> Response:
        last, days = period_of(request, site.timezone, pages.ORDER_DAYS)
        return HTMLResponse(pages.orders_page(site, links, last, days, region_of(request)))

    def district_trends(request: Request) -> Response:
        last, days = period_of(request, site.timezone, pages.TREND_DAYS)
        params = request.query_params
        region = region_of(request)
        severity = params.get("severity") or "1"
        if severity not in ("1", "2", "3", "4"):
            raise BadRequest("severity: 1 to 4")
        return HTMLResponse(pages.trends_page(site, links, last, days, region, int(severity)))

    def static_css(request: Request) -> Response:
        return Response(css, media_type="text/css")

    def found(request: Request, limit: int, evidence: bool = False) -> Found:
        try:
            return site.reader.search(filters_of(request), limit, evidence)
        except QueryError as exc:
            raise BadRequest(str(exc)) from None

    def next_url(request: Request, result: Found) -> str | None:
        if result.next_before is not None:
            return str(request.url.include_query_params(before=result.next_before))
        if result.next_offset is not None:
            return str(request.url.include_query_params(offset=result.next_offset))
        return None

    def api_items(request: Request) -> Response:
        result = found(request, limit_of(request, site.page_size, API_LIMIT), evidence=True)
        return JSONResponse(
            {
                "items": [formats.item_json(h) for h in result.hits],
                "next": next_url(request, result),
            }
        )

    def api_stories(request: Request) -> Response:
        try:
            ids, before = site.reader.search_stories(
                filters_of(request), limit_of(request, site.page_size, API_LIMIT)
            )
        except QueryError as exc:
            raise BadRequest(str(exc)) from None
        return JSONResponse(
            {
                "stories": [story_json(view) for view in pages.story_views(site, ids)],
                "next": str(request.url.include_query_params(before=before)) if before else None,
            }
        )

    def api_story(request: Request) -> Response:
        story_id = request.path_params["story"]
        stored = site.reader.stories([story_id])
        if not stored:
            return JSONResponse({"error": "no such story"}, status_code=404)
        data = story_json(StoryView(stored[0][0], tuple(stored[0][1]), site.language))
        data["digests"] = [
            {"profile": p, "day": d} for p, d in site.reader.digests_with_story(story_id)
        ]
        return JSONResponse(data)

    def api_digests(request: Request) -> Response:
        base = base_url(site, request)
        return JSONResponse(
            {
                "digests": [
                    {
                        "profile": r.profile,
                        "day": r.day,
                        "subject": r.subject,
                        "built_at": r.built_at.isoformat(),
                        "stories": r.story_count,
                        "url": f"{base}digests/{r.profile}/{r.day}",
                    }
                    for r in site.reader.digests()
                ]
            }
        )

    def search_atom(request: Request) -> Response:
        result = found(request, site.page_size)
        title = f"digest search: {request.query_params.get('q', '') or 'all reports'}"
        body = formats.items_atom(result.hits, title, str(request.url), base_url(site, request))
        return Response(body, media_type="application/atom+xml; charset=utf-8")

    def search_csv(request: Request) -> Response:
        result = found(request, limit_of(request, EXPORT_LIMIT, EXPORT_LIMIT))
        return Response(
            formats.items_csv(result.hits),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": 'attachment; filename="digest-search.csv"'},
        )

    def search_geojson(request: Request) -> Response:
        result = found(request, limit_of(request, EXPORT_LIMIT, EXPORT_LIMIT))
        return Response(
            json.dumps(formats.items_geojson(result.hits), ensure_ascii=False),
            media_type="application/geo+json",
            headers={"content-disposition": 'attachment; filename="digest-search.geojson"'},
        )

    def digests_atom(request: Request) -> Response:
        records = site.reader.digests()[:100]
        body = formats.digests_atom(records, str(request.url), base_url(site, request))
        return Response(body, media_type="application/atom+xml; charset=utf-8")

    def unsubscribe(request: Request) -> Response:
        """RFC 8058: a mail client POSTs to the link to unsubscribe in one click; a GET (a
        person, or a link scanner) only asks for confirmation."""
        params = request.query_params
        kind, name, to = params.get("kind", ""), params.get("list", ""), params.get("to", "")
        key, sig = site.reader.secret("unsubscribe"), params.get("sig", "")
        well_formed = kind in ("digest", "alert") and re.fullmatch("[0-9a-f]{32}", sig)
        if not well_formed or not valid(key, kind, name, to, sig):
            raise BadRequest("this unsubscribe link is not valid (was it cut short?)")
        what = what_stops(kind, name)
        done = request.method == "POST"
        if done:
            storage = SqliteStorage(site.database)
            try:
                storage.unsubscribe(kind, name, to, datetime.now(UTC))
            finally:
                storage.close()
        html = site.render(
            "web/unsubscribe.html.j2",
            links,
            done=done,
            what=what,
            recipient=to,
            action=f"{request.url.path}?{request.url.query}",
        )
        return HTMLResponse(html)

    def reviewer(request: Request) -> str | Response:
        """The reviewer making the request, or the answer to one who is not: 403 when no
        reviewer is configured, else 401 asking for a reviewer's basic-auth credentials."""
        if not guard.reviewers:
            message = "No reviewer is configured: see [web] reviewers (docs/review.md)."
            html = site.render("web/error.html.j2", links, title="Forbidden", message=message)
            return HTMLResponse(html, status_code=403)
        who = guard.reviewer(request.headers.get("authorization", ""))
        if who is None:
            return Response(
                "a reviewer's user name and password are needed\n",
                status_code=401,
                headers={"www-authenticate": BASIC_CHALLENGE.decode()},
                media_type="text/plain; charset=utf-8",
            )
        return who

    def desk(request: Request) -> Response:
        who = reviewer(request)
        if isinstance(who, Response):
            return who
        profile, day = request.path_params["profile"], request.path_params["day"]
        return page(desk_page(site, links, profile, day, who), "digest under review")

    async def act(request: Request) -> Response:
        """One action from the desk, kept in the trail; back to the desk (303)."""
        who = reviewer(request)
        if isinstance(who, Response):
            return who
        profile, day = request.path_params["profile"], request.path_params["day"]
        form = action_form(await request.body())
        key = site.reader.secret(KEY)
        if not token_valid(key, who, profile, day, form.token):
            message = "This form did not come from your desk for this digest: open the desk again."
            html = site.render("web/error.html.j2", links, title="Forbidden", message=message)
            return HTMLResponse(html, status_code=403)
        action = form.as_action(who, datetime.now(UTC))
        if not await run_in_threadpool(keep_action, profile, day, action):
            return refused(profile, day)
        return RedirectResponse(f"{links.review(profile, day)}#story-{form.story}", status_code=303)

    def keep_action(profile: str, day: str, action: ReviewAction) -> bool:
        storage = SqliteStorage(site.database)  # the archive's one kind of write, short-lived
        try:
            return storage.add_review_action(profile, day, action)
        finally:
            storage.close()

    def refused(profile: str, day: str) -> Response:
        draft = site.reader.review_draft(profile, day)
        if draft is None or draft.closed_at is None:
            return not_found("digest under review")
        sent = local(draft.closed_at, site.timezone, "%H:%M")
        html = site.render(
            "web/error.html.j2",
            links,
            title="No more changes",
            message=f"The {profile} digest of {day} was sent at {sent}; no more changes.",
        )
        return HTMLResponse(html, status_code=409)

    def wants_json(request: Request) -> bool:
        path = request.url.path
        return path.startswith("/api/") or path.endswith((".geojson", ".csv", ".atom"))

    async def bad_request(request: Request, exc: Exception) -> Response:
        if wants_json(request):
            return JSONResponse({"error": str(exc)}, status_code=400)
        html = site.render("web/error.html.j2", links, title="Bad request", message=str(exc))
        return HTMLResponse(html, status_code=400)

    async def unavailable(request: Request, exc: Exception) -> Response:
        logging.getLogger("digest.web").error("database: %s", exc)  # the detail, for the operator
        message = "The archive's database cannot be read just now; the server log says why."
        if wants_json(request):
            return JSONResponse({"error": message}, status_code=503)
        return Response(message, status_code=503, media_type="text/plain; charset=utf-8")

    routes: list[tuple[str, Callable[[Request], Any]]] = [
        ("/", index),
        ("/digests/{profile}/{day}", digest),
        ("/digests/{profile}/{day}/email", email),
        ("/stories/{story}", story),
        ("/search", search),
        ("/search.atom", search_atom),
        ("/search.csv", search_csv),
        ("/search.geojson", search_geojson),
        ("/overview", overview),
        ("/trends", district_trends),
        ("/orders", evacuation_orders),
        ("/digests.atom", digests_atom),
        ("/static/archive.css", static_css),
        ("/api/items", api_items),
        ("/api/stories", api_stories),
        ("/api/stories/{story}", api_story),
        ("/api/digests", api_digests),
    ]
    app = Starlette(
        routes=[
            *(Route(path, handler, methods=["GET", "HEAD"]) for path, handler in routes),
            Route("/unsubscribe", unsubscribe, methods=["GET", "HEAD", "POST"]),
            Route("/review/{profile}/{day}", desk, methods=["GET", "HEAD"]),
            Route("/review/{profile}/{day}", act, methods=["POST"]),
        ],
        exception_handlers={BadRequest: bad_request, StorageError: unavailable},
    )
    return Guard(app, guard)


def action_form(body: bytes) -> ActionForm:
    """A desk form's fields (application/x-www-form-urlencoded), validated."""
    if len(body) > FORM_BYTES:
        raise BadRequest("this form is too large")
    fields = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items() if v}
    try:
        return ActionForm.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise BadRequest(problems) from None


def access_of(config: configuration.DigestConfig) -> Access:
    """Access control as configured, its secrets read from the environment: a secret named in
    the config but missing from the environment is an error, never an open archive."""
    web = config.web
    token, password = web.secrets()
    if web.token_env and not token:
        raise ConfigError([f"web.token_env: ${web.token_env} is not set"])
    if web.password_env and not password:
        raise ConfigError([f"web.password_env: ${web.password_env} is not set"])
    reviewers = web.reviewer_passwords()
    missing = [
        f"web.reviewers[{n}].password_env: ${r.password_env} is not set"
        for n, r in enumerate(web.reviewers)
        if not reviewers[r.username]
    ]
    if missing:
        raise ConfigError(missing)
    return Access(token, web.username, password, {k: v for k, v in reviewers.items() if v})


def factory() -> Guard:
    """The app for each of uvicorn's worker processes (`[web] workers` above 1), configured from
    $DIGEST_CONFIG, which `digest serve` sets."""
    config = configuration.load(configuration.locate(None))
    return create_app(Site.configured(config), access_of(config))
