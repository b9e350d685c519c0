"""The load benchmark's rows: every page measured on one size of data, each beside its reference and goal."""

import datetime as dt
import statistics
from argparse import Namespace
from dataclasses import dataclass
from pathlib import Path

from load_booking import measure_post
from load_data import RLS, staff_session_cookie
from load_servers import Servers, app_env, fetch, start_app, start_nginx
from wrk import paths_script, wrk

# Goals as a multiple of the floor (issues 11 and 21); None: a reference or a figure without a goal.
GOALS = {
    "nginx static, same article bytes": None,
    "/robots.txt (floor)": None,
    "/healthz (1 query)": None,
    "home": 0.8,
    "article list, cached": 0.8,
    "article list, uncached": 0.25,
    "RLS article, cached": 0.8,
    "RLS article, uncached": 0.25,
    "article list, first visitor after an edit": None,  # nothing kept: the render itself
    "RLS article, first visitor after an edit": None,
    "RLS article, 304 revalidation": 0.6,
    "search ?q=iron": 0.2,
    "availability.json, 14 days": 0.5,
    "request page, first shown": 0.5,
    "request page, a week chosen": 0.5,
    "request page, a day chosen": 0.5,
    "request page, every week and day in turn": 0.5,
    "request page, a week chosen, uncached": None,  # what a page costs the first visitor after a booking
    "request POST (successful)": None,  # goal: >= 100 bookings/s, one row per success
    "signed-in changelist": None,
    "RLS article through nginx micro-cache": None,  # goal: >= 0.85x nginx static
    "nginx static, same article gzipped": None,
    "RLS article through nginx micro-cache, gzip": None,  # goal: >= 0.85x nginx static gzipped
}
BOOKINGS_PER_SECOND_GOAL = 100
MICRO_CACHE_GOAL = 0.85
# What a browser sends: the micro-cache's compressed copy against nginx's gzip_static file.
BROWSER_ENCODINGS = "Accept-Encoding: gzip, deflate, br, zstd"
# The request page's "every week and day" row walks this many weeks from next Monday, each day of each.
WALKED_WEEKS = 8
REQUEST_PAGE = "/appointments/request/?visit_type=vein-evaluation"


@dataclass
class Site:
    """Where one size's rows are served: the app, the app without page cache, nginx static, nginx in front."""

    app: str
    uncached: str
    static: str  # the article's bytes as a static file
    front: str


def measure_site(servers: Servers, workdir: Path, database_url: str, options: Namespace, wrk_options: dict) -> dict:
    """Every chosen row on the data as it is now; the servers it started are stopped again."""
    app, port = start_app(servers, "granian", app_env(database_url), "granian")
    uncached, uncached_port = start_app(servers, "granian", app_env(database_url, TRUFFLES_PAGE_CACHE="false"),
                                        "granian-uncached")  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    etag = copy_article_for_nginx(workdir, base)
    nginx, static_port, front_port = start_nginx(servers, workdir, port)
    site = Site(base, f"http://127.0.0.1:{uncached_port}", f"http://127.0.0.1:{static_port}/article.html",
                f"http://127.0.0.1:{front_port}")  # fmt: skip
    checks = micro_cache_checks(site.front)
    monday = next_monday()
    rows = site_rows(site, monday, etag, request_page_walk(workdir, monday), staff_session_cookie())
    floor = base + "/robots.txt"
    results = measure_rows(rows, site, options, wrk_options)
    results.update(measure_first_visitors(servers, database_url, options, wrk_options, floor))
    if chosen("request POST (successful)", options.rows):
        results["request POST (successful)"] = measure_post(base, workdir, options, wrk_options)
    results["_checks"] = checks
    for process in (nginx, app, uncached):
        servers.stop(process)
    return results


def copy_article_for_nginx(workdir: Path, base: str) -> str:
    """The article's exact bytes (and its gzip bytes) for nginx static; returns its ETag."""
    status, headers, article_bytes = fetch(base + RLS)
    assert status == 200, status
    (workdir / "static-site").mkdir(exist_ok=True)
    (workdir / "static-site" / "article.html").write_bytes(article_bytes)
    _, _, gzipped = fetch(base + RLS, {"Accept-Encoding": "gzip"})
    (workdir / "static-site" / "article.html.gz").write_bytes(gzipped)
    return headers["ETag"]


def micro_cache_checks(front: str) -> dict:
    """A second request is a HIT, one with a session a BYPASS, and two browsers share one gzip copy."""
    micro = [fetch(front + RLS)[1].get("X-Micro-Cache") for _ in range(2)]
    with_session = fetch(front + RLS, {"Cookie": "sessionid=x"})[1].get("X-Micro-Cache")
    gzip_copies = [fetch(front + RLS, {"Accept-Encoding": line})[1] for line in ("gzip, deflate, br", "gzip, br, zstd")]
    micro_gzip = [(headers.get("X-Micro-Cache"), headers.get("Content-Encoding")) for headers in gzip_copies]
    return {"micro_cache_statuses": micro, "micro_cache_with_session": with_session, "micro_cache_gzip": micro_gzip}


def next_monday() -> dt.date:
    return dt.date.today() + dt.timedelta(days=7 - dt.date.today().weekday())


def request_page_walk(workdir: Path, monday: dt.date) -> Path:
    """A Lua script through the request page: each of WALKED_WEEKS weeks, then each of its days."""
    return paths_script(workdir, "walk.lua", [
        f"{REQUEST_PAGE}&week={monday + dt.timedelta(weeks=week)}" + (f"&day={day}" if day else "")
        for week in range(WALKED_WEEKS)
        for day in [None, *(monday + dt.timedelta(weeks=week, days=offset) for offset in range(7))]
    ])  # fmt: skip


def site_rows(site: Site, monday: dt.date, etag: str, walk: Path, staff_cookie: str) -> list[tuple[str, str, dict]]:
    """(name, URL, wrk extras) of every row, in the table's order."""
    base, base_uncached, request_page = site.app, site.uncached, REQUEST_PAGE
    availability = f"/appointments/availability.json?visit_type=vein-evaluation&date={monday}&days=14"
    return [
        ("nginx static, same article bytes", site.static, {}),
        ("/robots.txt (floor)", base + "/robots.txt", {}),
        ("/healthz (1 query)", base + "/healthz", {}),
        ("home", base + "/", {}),
        ("article list, cached", base + "/articles/", {}),
        ("article list, uncached", base_uncached + "/articles/", {}),
        ("RLS article, cached", base + RLS, {}),
        ("RLS article, uncached", base_uncached + RLS, {}),
        ("RLS article, 304 revalidation", base + RLS, {"headers": [f"If-None-Match: {etag}"]}),
        ("search ?q=iron", base + "/articles/?q=iron", {}),
        ("availability.json, 14 days", base + availability, {}),
        ("request page, first shown", base + "/appointments/request/", {}),
        ("request page, a week chosen", base + request_page + f"&week={monday}", {}),
        ("request page, a day chosen", base + request_page + f"&week={monday}&day={monday + dt.timedelta(days=2)}", {}),
        # Warmed first (each process renders each of the 64 pages once): the cold cost is the next row's.
        ("request page, every week and day in turn", base + request_page, {"script": walk, "warm": True}),
        ("request page, a week chosen, uncached", base_uncached + request_page + f"&week={monday}", {}),
        ("signed-in changelist", base + "/admin/appointments/appointment/", {"headers": [f"Cookie: {staff_cookie}"]}),
        ("RLS article through nginx micro-cache", site.front + RLS, {}),
        ("nginx static, same article gzipped", site.static, {"headers": [BROWSER_ENCODINGS]}),
        ("RLS article through nginx micro-cache, gzip", site.front + RLS, {"headers": [BROWSER_ENCODINGS]}),
    ]


def measure_rows(rows: list[tuple[str, str, dict]], site: Site, options: Namespace, wrk_options: dict) -> dict:
    """The chosen rows; one with a goal runs each time right after its reference (the floor, or nginx static)."""
    results = {}
    floor = site.app + "/robots.txt"
    for name, url, extra in rows:
        if not chosen(name, options.rows):
            continue
        status, _, _ = fetch(url, dict(header.split(": ", 1) for header in extra.get("headers", [])))
        assert status in (200, 304), (name, status)
        reference = site.static if name.startswith("RLS article through nginx") else floor if GOALS.get(name) else None
        if extra.get("warm"):
            wrk(url, script=extra["script"], **wrk_options)
        results[name] = measure_row(name, url, options, wrk_options, extra, status, reference)
    return results


def measure_first_visitors(
    servers: Servers, database_url: str, options: Namespace, wrk_options: dict, floor: str
) -> dict:
    """The article pages as the first visitor after an edit gets them: no stored page, no kept part
    (articles/pages.py), so every request renders the whole page. Paired with the floor, no goal."""
    names = [name for name in GOALS if name.endswith("first visitor after an edit") and chosen(name, options.rows)]
    if not names:
        return {}
    env = app_env(database_url, TRUFFLES_PAGE_CACHE="false", TRUFFLES_PAGE_PARTS_ENTRIES="0")
    process, port = start_app(servers, "granian", env, "granian-first-visitors")
    paths = {"article list": "/articles/", "RLS article": RLS}
    results = {}
    for name in names:
        url = f"http://127.0.0.1:{port}{paths[name.split(',')[0]]}"
        results[name] = measure_row(name, url, options, wrk_options, {}, 200, floor)
    servers.stop(process)
    return results


def chosen(name: str, rows: str) -> bool:
    """Whether `--rows` (names' parts, comma-separated; blank: all) picks this row; the floor always runs."""
    return (
        not rows
        or name == "/robots.txt (floor)"
        or any(part.strip() and part.strip() in name for part in rows.split(","))
    )


def measure_row(
    name: str, url: str, options: Namespace, wrk_options: dict, extra: dict, expected_status: int, reference=None
) -> dict:
    """Median req/s of `runs` wrk runs; with a reference URL, each run follows one of the reference,
    and the ratio is the median of each pair's: neighbours' load moves both alike."""

    def run():
        return wrk(url, headers=extra.get("headers", ()), script=extra.get("script"), **wrk_options)

    runs, reference_runs = [], []
    for _ in range(options.runs):
        if reference:
            reference_runs.append(wrk(reference, headers=extra.get("headers", ()), **wrk_options)[0])
        runs.append(run())
    rate = statistics.median(run[0] for run in runs)
    errors = sum(run[2] for run in runs)
    row = {"requests_per_second": rate, "runs": [run[0] for run in runs], "status": expected_status,
           "non_2xx_3xx": errors}  # fmt: skip
    if reference:
        row["reference_runs"] = reference_runs
        row["ratio"] = statistics.median(run[0] / ref for run, ref in zip(runs, reference_runs, strict=True))
    ratio = f"  {row['ratio']:.3f}× its reference" if reference else ""
    print(f"  {name:44} {rate:10,.0f} req/s{ratio}  (status {expected_status}, non-2xx/3xx {errors})", flush=True)
    return row
