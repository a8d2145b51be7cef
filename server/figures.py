"""The daily public figures as files (docs/figures.md): GET /figures/daily.csv and /figures/daily.json, with
`?period=ID` or, without it, the most relevant strike period (core.report.public_figures.chosen_period). Public, like
the page "Strike figures": aggregates by region only. Answered from the figures counted at most a minute ago,
and marked so (Cache-Control: max-age=60) for browsers and caches in between.

A bad `period` is refused with 400, a period that does not exist or has not started with 404; nothing in the
answer echoes what was asked. Plain functions: Starlette runs them on its thread pool."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from core.platform.db import DatabaseBusy
from core.platform.errors import NotFound
from core.report import public_figures

HEADERS = {
    "Cache-Control": f"public, max-age={public_figures.CACHE_SECONDS}",
    "X-Content-Type-Options": "nosniff",
    "Access-Control-Allow-Origin": "*",  # open data: other systems' pages may read it
}


def _refusal(status: int, text: str, **headers: str) -> PlainTextResponse:
    return PlainTextResponse(text, status_code=status, headers={"Cache-Control": "no-store", **headers})


def _answer(request: Request, write: Callable[[public_figures.Publication], str], media_type: str) -> Response:
    try:
        period_id = public_figures.period_id_from(request.query_params.get("period"))
        period = public_figures.chosen_period(period_id)
        publication = public_figures.published(period)
    except public_figures.BadPeriod:
        return _refusal(400, "period must be the number of a strike period, for example ?period=1\n")
    except NotFound:
        return _refusal(404, "No figures for that strike period: it does not exist or has not started.\n")
    except DatabaseBusy:
        return _refusal(503, "The figures could not be read just now: please try again.\n", **{"Retry-After": "10"})
    return Response(write(publication), media_type=media_type, headers=HEADERS)


def daily_csv(request: Request) -> Response:
    return _answer(request, public_figures.to_csv, "text/csv; charset=utf-8")


def daily_json(request: Request) -> Response:
    return _answer(request, public_figures.to_json, "application/json")


ROUTES = [
    Route("/figures/daily.csv", daily_csv, methods=["GET"]),
    Route("/figures/daily.json", daily_json, methods=["GET"]),
]
