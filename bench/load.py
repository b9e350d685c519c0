"""Load benchmark (`make bench`): the site under concurrent load, as ratios to what this machine can do.

Starts the production configuration (granian, DEBUG off) on loopback against its own database
(`<name>_load`), nginx for the two outside references, and runs wrk against each page: three runs
each, medians. Two references from the same run make the figures comparable across machines:
nginx serving the article's bytes as a static file (the machine's limit) and /robots.txt through
the whole middleware stack with no query (the framework floor). See bench/README.md.

    python bench/load.py [--duration 6] [--runs 3] [--sizes small,large] [--servers granian,...]
"""

import argparse
import datetime as dt
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from http.cookiejar import CookieJar
from pathlib import Path

from common import BASE_DIR, setup_django, use_bench_database

from tests.processes import free_port, wait_until_answers

VENV_BIN = Path(sys.executable).parent
SECRET_KEY = "bench-only-key-" + "x" * 40
SIZES = {"small": (10, 100), "large": (1_000, 100_000)}
RLS = "/articles/restless-legs-syndrome-causes/"
# The server configurations compared; the first is `make serve`.
# granian's default of up to 256 threads per worker would also mean as many database connections.
GRANIAN = ["granian", "--interface", "wsgi", "--no-ws"]
SERVERS = {
    "granian": [*GRANIAN, "--workers", "2", "--blocking-threads", "1"],
    "granian-4t": [*GRANIAN, "--workers", "2", "--blocking-threads", "4"],
    "gunicorn-sync": ["gunicorn", "--worker-class", "sync", "--workers", "4"],
    "gunicorn-gthread": ["gunicorn", "--worker-class", "gthread", "--workers", "2", "--threads", "4"],
}
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
# What a browser sends: the micro-cache's compressed copy against nginx's gzip_static file.
BROWSER_ENCODINGS = "Accept-Encoding: gzip, deflate, br, zstd"
BOOKINGS_PER_SECOND_GOAL = 100
MICRO_CACHE_GOAL = 0.85
# The request page's "every week and day" row walks this many weeks from next Monday, each day of each.
WALKED_WEEKS = 8


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url, headers=None):
    """(status, headers, body) of one request, redirects not followed: a row must not measure a redirect."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


# Data ------------------------------------------------------------------------------------------


def populate(articles_total, appointments_total):
    """Grow the demo to the given numbers of published articles and (past) appointments."""
    from django.db import connection

    from appointments.models import Appointment, Location, Provider, VisitType
    from articles.models import Article

    source = Article.objects.get(slug=RLS.strip("/").split("/")[1])
    topics = list(source.topics.all())
    existing_articles = Article.objects.count()
    copies = [
        Article(
            title=f"{source.title} ({number})", slug=f"load-article-{number}", summary=source.summary,
            body=source.body, body_html=source.body_html, body_text=source.body_text, toc=source.toc,
            reading_minutes=source.reading_minutes, status=Article.Status.PUBLISHED,
            published_at=source.published_at - dt.timedelta(days=number + 1), reviewer_name=source.reviewer_name,
            last_reviewed=source.last_reviewed, next_review_due=source.next_review_due,
        )
        for number in range(existing_articles, articles_total)
    ]  # fmt: skip
    Through = Article.topics.through
    for article in Article.objects.bulk_create(copies, batch_size=500):
        Through.objects.bulk_create([Through(article=article, topic=topic) for topic in topics])

    vein = VisitType.objects.get(slug="vein-evaluation")
    providers = list(Provider.objects.all())
    location = Location.objects.first()
    statuses = ["completed"] * 6 + ["cancelled", "no_show", "declined"]
    existing = Appointment.objects.count()
    days = appointments_total // (8 * len(providers)) + 7
    origin = dt.datetime.combine(dt.date.today() - dt.timedelta(days=days), dt.time(9), tzinfo=dt.UTC)
    batch = []
    for index in range(existing, appointments_total):
        step = index // len(providers)
        start = origin + dt.timedelta(hours=step % 8, days=step // 8)
        batch.append(
            Appointment(
                visit_type=vein, provider=providers[index % len(providers)], location=location,
                starts_at=start, ends_at=start + dt.timedelta(minutes=45), busy_until=start + dt.timedelta(minutes=45),
                status=statuses[index % len(statuses)], first_name="Load", last_name=f"Patient{index}",
                date_of_birth=dt.date(1970, 1, 1), email=f"past{index}@example.com", phone="+12015550123",
                reasons=["rls"], consent_version="bench", consented_at=start,
                reference=f"TVS-L{index:06d}", manage_token_hash=f"load-{index}",
            )
        )  # fmt: skip
        if len(batch) == 5000:
            Appointment.objects.bulk_create(batch)
            batch = []
    Appointment.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def staff_session_cookie():
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(
        username="load-staff", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def remove_posted_requests():
    from appointments.models import Appointment

    Appointment.objects.filter(email__startswith="load-").delete()


def settled_count(count, timeout=15):
    """`count()` once it stopped changing: the requests in flight when wrk stopped have landed."""
    deadline = time.monotonic() + timeout
    last = count()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = count()
        if now == last:
            return now
        last = now
    return last


def posted_requests():
    from appointments.models import Appointment

    return Appointment.objects.filter(email__startswith="load-").count()


# Servers ---------------------------------------------------------------------------------------


class Servers:
    """The processes of one run; all stopped (by their own process group) on exit."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.processes = []

    def start(self, command, env, log_name):
        log = open(self.workdir / f"{log_name}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            command, env=env, cwd=BASE_DIR, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append(process)
        return process

    def stop(self, process):
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)
        self.processes.remove(process)

    def stop_all(self):
        for process in list(self.processes):
            self.stop(process)


def app_env(database_url, **extra):
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url, DJANGO_SECRET_KEY=SECRET_KEY, DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost", DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_COOKIES="false", DJANGO_HSTS_SECONDS="0", DJANGO_LOG_LEVEL="WARNING",
        TRUFFLES_REQUIRE_2FA="false", TRUFFLES_HORIZON_DAYS="365",
        # The POST row books hundreds of times from one address: the anti-abuse limits are raised for it.
        TRUFFLES_RATE_PER_ADDRESS_PER_HOUR="10000000", TRUFFLES_RATE_PER_EMAIL_PER_DAY="10000000",
        TRUFFLES_MAX_OPEN_REQUESTS_PER_PATIENT="10000000", TRUFFLES_MAX_UNPROVEN_PER_NETWORK="10000000",
        TRUFFLES_MAX_UNPROVEN_PER_DOMAIN="10000000",
        PYTHONPATH=str(BASE_DIR),
        # As behind deploy/nginx.conf: the client address is the hop the proxy adds (the POST row sets it).
        DJANGO_TRUSTED_PROXY_COUNT="1",
    )  # fmt: skip
    env.update(extra)
    return env


def start_app(servers, name, env, label):
    port = free_port()
    command = [str(VENV_BIN / SERVERS[name][0]), *SERVERS[name][1:]]
    if name.startswith("granian"):
        command += ["--host", "127.0.0.1", "--port", str(port), "truffles.wsgi:application"]
    else:
        command += ["--bind", f"127.0.0.1:{port}", "--chdir", str(BASE_DIR), "truffles.wsgi:application"]
    process = servers.start(command, env, label)
    wait_until_answers(f"http://127.0.0.1:{port}/healthz", 60)
    return process, port


def nginx_conf(workdir, static_port, front_port, app_port):
    """deploy/nginx.conf on loopback over plain HTTP, plus a static server for the reference row."""
    text = (BASE_DIR / "deploy" / "nginx.conf").read_text()
    text = re.sub(r"\n\s*server \{\s*listen 80;.*?return 301[^}]*\}", "", text, flags=re.S)
    text = text.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{front_port};")
    text = "\n".join(line for line in text.splitlines() if "[::]" not in line and "ssl_" not in line)
    for shipped, local in [
        ("user www-data;", "user root;"),
        ("/run/nginx-truffles.pid", f"{workdir}/nginx.pid"),
        ("/var/cache/nginx/truffles", f"{workdir}/nginx-cache"),
        ("access_log /var/log/nginx/truffles.access.log;", "access_log off;"),
        ("/var/log/nginx/", f"{workdir}/"),
        ("/srv/truffles/", f"{BASE_DIR}/"),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};"),
    ]:
        text = text.replace(shipped, local)
    static_server = f"""
    server {{
        listen 127.0.0.1:{static_port};
        root {workdir}/static-site;
        location = /article.html {{ default_type text/html; gzip_static on; }}
    }}
"""
    text = text[: text.rstrip().rfind("}")] + static_server + "}\n"
    conf = workdir / "nginx.conf"
    conf.write_text(text)
    return conf


# Measuring -------------------------------------------------------------------------------------


def wrk(url, duration, connections, threads, headers=(), script=None):
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s"]
    for header in headers:
        command += ["-H", header]
    if script:
        command += ["-s", str(script)]
    finished = subprocess.run([*command, url], capture_output=True, text=True, timeout=duration + 60)
    if finished.stderr.strip():  # e.g. a Lua error: wrk would then measure plain GETs instead
        raise SystemExit(f"wrk: {finished.stderr.strip()}")
    output = finished.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    total = int(re.search(r"(\d+) requests in", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    statuses = {int(status): int(count) for status, count in re.findall(r"^status (\d+) (\d+)$", output, re.M)}
    return rate, total, (int(errors.group(1)) if errors else 0), statuses


def paths_script(workdir, name, paths):
    """A Lua script whose requests go to each of `paths` in turn (each wrk thread from its own start)."""
    entries = ",\n".join(f'"{path}"' for path in paths)
    script = workdir / name
    script.write_text(f"""
local paths = {{
{entries}
}}
local counter = 0
function init(args)
  counter = math.random(#paths)
end
request = function()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end
""")
    return script


def post_script(workdir, base, slots, csrf_cookie, csrf_token, threads):
    """A Lua script that books a distinct slot with each request, as a browser submits the form."""
    entries = ",\n".join(f'"{slot}"' for slot in slots)
    fields = (
        "first_name=Load&last_name=Patient&date_of_birth_month=04&date_of_birth_day=23&date_of_birth_year=1971"
        "&phone=%28201%29+555-0123&reasons=rls&rls_urge_to_move=on&urgent_one_leg=no"
        "&urgent_breathing=no&urgent_bleeding=no&urgent_cord=no&consent=on&website=&csrfmiddlewaretoken=" + csrf_token
    )
    script = workdir / "post.lua"
    script.write_text(f"""
local slots = {{
{entries}
}}
local threads = {threads}
local counter = 0
local id = 0
local next_id = 0
local run = "{uuid.uuid4().hex[:8]}"
local threads_seen = {{}}
statuses = {{}}  -- a global: done() reads it from each thread
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads_seen, thread)
end
function init(args)
  id = tonumber(wrk.thread:get("id")) or 0
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
-- One line per status for load.py: a booking answers 302 (to its page), anything else is a failure.
function done(summary, latency, requests)
  local total = {{}}
  for _, thread in ipairs(threads_seen) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  for status, count in pairs(total) do
    io.write(string.format("status %d %d\\n", status, count))
  end
end
request = function()
  counter = counter + 1
  local index = ((counter - 1) * threads + id) % #slots + 1
  local body = slots[index] .. "&{fields}"
    .. "&email=load-" .. run .. "-" .. id .. "-" .. counter .. "%40example.com"
    .. string.format("&submission_token=%s-%04x-4000-8000-%012x", run, id, counter)
  return wrk.format("POST", "/appointments/request/details/", {{
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "{csrf_cookie}",
    ["Origin"] = "{base}",
    -- Patients in a burst come from many addresses, as the TLS proxy in front reports them.
    ["X-Forwarded-For"] = string.format("10.%d.%d.%d", id, math.floor(counter / 256) % 256, counter % 256),
  }}, body)
end
""")
    return script


def distinct_slots(base, days):
    """Free starts at least an hour apart per provider over `days` days: none overlaps another."""
    from urllib.parse import urlencode

    slots, last = [], {}
    first = dt.date.today() + dt.timedelta(days=2)
    for offset in range(0, days, 14):
        query = urlencode({"visit_type": "vein-evaluation", "date": first + dt.timedelta(days=offset), "days": 14})
        status, _, body = fetch(f"{base}/appointments/availability.json?{query}")
        if status != 200:  # past the booking horizon
            break
        for slot in json.loads(body)["slots"]:
            provider = slot["provider"]["id"]
            start = dt.datetime.fromisoformat(slot["start"])
            if provider in last and start < last[provider] + dt.timedelta(minutes=60):
                continue
            last[provider] = start
            quoted = urllib.request.quote(slot["start"], safe="")
            slots.append(f"visit_type=vein-evaluation&provider={provider}&start={quoted}")
    return slots


def csrf_for(base, slot):
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/appointments/request/details/?{slot}", timeout=10) as response:
        page = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    cookie = next(f"{c.name}={c.value}" for c in jar if c.name == "csrftoken")
    return cookie, token


def median_of(runs, measure):
    results = [measure() for _ in range(runs)]
    return statistics.median(result[0] for result in results), results


def main():
    # A stopped bench stops its servers too (the finally below), whatever stopped it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=6)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sizes", default="small,large")
    parser.add_argument("--servers", default=",".join(SERVERS))
    parser.add_argument("--no-comparisons", action="store_true", help="the site's rows only: no server comparisons")
    parser.add_argument("--label", default="", help="written to results/<date>-<label>.json")
    parser.add_argument(
        "--rows", default="", help="the floor and only the rows whose names contain one of these, e.g. POST"
    )
    options = parser.parse_args()

    os.environ["DJANGO_SECRET_KEY"] = SECRET_KEY  # the staff session is signed here, used by the servers
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    setup_django()
    from django.conf import settings
    from django.core.management import call_command

    from core.database import url_for

    use_bench_database("load")
    call_command("load_demo", verbosity=0)
    db = settings.DATABASES["default"]
    database_url = url_for(db)

    workdir = Path(tempfile.mkdtemp(prefix="truffles-load-"))
    servers = Servers(workdir)
    wrk_options = {"duration": options.duration, "connections": options.connections, "threads": options.threads}
    report = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                 cwd=BASE_DIR).stdout.strip(),
        "cpus": os.cpu_count(), "load_average_before": os.getloadavg(),
        "wrk": {**wrk_options, "runs": options.runs}, "sizes": {}, "servers": {}, "cache_backends": {},
    }  # fmt: skip
    try:
        for size in options.sizes.split(","):
            articles, appointments = SIZES[size]
            started = time.monotonic()
            populate(articles, appointments)
            print(f"\n== {size}: {articles:,} articles, {appointments:,} appointments "
                  f"(filled in {time.monotonic() - started:.0f} s)", flush=True)  # fmt: skip
            report["sizes"][size] = measure_site(servers, workdir, database_url, options, wrk_options)
            report["sizes"][size]["_load_average_after"] = os.getloadavg()
            print_table(report["sizes"][size])
        last = options.sizes.split(",")[-1]
        if options.no_comparisons:
            return write_report(report, options.label)
        print(f"\n== app servers ({last} data): floor, cached and uncached article, availability", flush=True)
        report["servers"] = compare_servers(servers, database_url, options, wrk_options)
        print("\n== shared page cache alone (no per-process copy): PostgreSQL database cache vs Redis", flush=True)
        report["cache_backends"] = compare_cache_backends(servers, database_url, options, wrk_options)
    finally:
        servers.stop_all()
    write_report(report, options.label)


def write_report(report, label=""):
    name = "-".join(filter(None, [dt.datetime.now(dt.UTC).date().isoformat(), label]))
    out = BASE_DIR / "bench" / "results" / f"{name}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {out.relative_to(BASE_DIR)}")


def measure_site(servers, workdir, database_url, options, wrk_options):
    app, port = start_app(servers, "granian", app_env(database_url), "granian")
    uncached, uncached_port = start_app(servers, "granian", app_env(database_url, TRUFFLES_PAGE_CACHE="false"),
                                        "granian-uncached")  # fmt: skip
    base, base_uncached = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{uncached_port}"
    status, headers, article_bytes = fetch(base + RLS)
    assert status == 200, status
    (workdir / "static-site").mkdir(exist_ok=True)
    (workdir / "static-site" / "article.html").write_bytes(article_bytes)
    _, _, gzipped = fetch(base + RLS, {"Accept-Encoding": "gzip"})
    (workdir / "static-site" / "article.html.gz").write_bytes(gzipped)
    static_port, front_port = free_port(), free_port()
    conf = nginx_conf(workdir, static_port, front_port, port)
    nginx = servers.start(["nginx", "-c", str(conf), "-e", str(workdir / "nginx-error.log"), "-g", "daemon off;"],
                          dict(os.environ), "nginx")  # fmt: skip
    wait_until_answers(f"http://127.0.0.1:{static_port}/article.html", 60)
    front = f"http://127.0.0.1:{front_port}"
    micro = [fetch(front + RLS)[1].get("X-Micro-Cache") for _ in range(2)]
    with_session = fetch(front + RLS, {"Cookie": "sessionid=x"})[1].get("X-Micro-Cache")
    # Two browsers' Accept-Encoding lines share the one gzip copy.
    gzip_copies = [fetch(front + RLS, {"Accept-Encoding": line})[1] for line in ("gzip, deflate, br", "gzip, br, zstd")]
    micro_gzip = [(headers.get("X-Micro-Cache"), headers.get("Content-Encoding")) for headers in gzip_copies]

    monday = dt.date.today() + dt.timedelta(days=7 - dt.date.today().weekday())
    availability = f"/appointments/availability.json?visit_type=vein-evaluation&date={monday}&days=14"
    request_page = "/appointments/request/?visit_type=vein-evaluation"
    walk = paths_script(workdir, "walk.lua", [
        f"{request_page}&week={monday + dt.timedelta(weeks=week)}" + (f"&day={day}" if day else "")
        for week in range(WALKED_WEEKS)
        for day in [None, *(monday + dt.timedelta(weeks=week, days=offset) for offset in range(7))]
    ])  # fmt: skip
    staff_cookie = staff_session_cookie()
    static_url = f"http://127.0.0.1:{static_port}/article.html"
    rows = [
        ("nginx static, same article bytes", static_url, {}),
        ("/robots.txt (floor)", base + "/robots.txt", {}),
        ("/healthz (1 query)", base + "/healthz", {}),
        ("home", base + "/", {}),
        ("article list, cached", base + "/articles/", {}),
        ("article list, uncached", base_uncached + "/articles/", {}),
        ("RLS article, cached", base + RLS, {}),
        ("RLS article, uncached", base_uncached + RLS, {}),
        ("RLS article, 304 revalidation", base + RLS, {"headers": [f"If-None-Match: {headers['ETag']}"]}),
        ("search ?q=iron", base + "/articles/?q=iron", {}),
        ("availability.json, 14 days", base + availability, {}),
        ("request page, first shown", base + "/appointments/request/", {}),
        ("request page, a week chosen", base + request_page + f"&week={monday}", {}),
        ("request page, a day chosen", base + request_page + f"&week={monday}&day={monday + dt.timedelta(days=2)}", {}),
        # Warmed first (each process renders each of the 64 pages once): the cold cost is the next row's.
        ("request page, every week and day in turn", base + request_page, {"script": walk, "warm": True}),
        ("request page, a week chosen, uncached", base_uncached + request_page + f"&week={monday}", {}),
        ("signed-in changelist", base + "/admin/appointments/appointment/", {"headers": [f"Cookie: {staff_cookie}"]}),
        ("RLS article through nginx micro-cache", front + RLS, {}),
        ("nginx static, same article gzipped", static_url, {"headers": [BROWSER_ENCODINGS]}),
        ("RLS article through nginx micro-cache, gzip", front + RLS, {"headers": [BROWSER_ENCODINGS]}),
    ]
    results = {}
    floor = base + "/robots.txt"
    for name, url, extra in rows:
        if not chosen(name, options.rows):
            continue
        status, _, _ = fetch(url, dict(header.split(": ", 1) for header in extra.get("headers", [])))
        assert status in (200, 304), (name, status)
        reference = static_url if name.startswith("RLS article through nginx") else floor if GOALS.get(name) else None
        if extra.get("warm"):
            wrk(url, script=extra["script"], **wrk_options)
        results[name] = measure_row(name, url, options, wrk_options, extra, status, reference)

    results.update(measure_first_visitors(servers, database_url, options, wrk_options, floor))
    if chosen("request POST (successful)", options.rows):
        results["request POST (successful)"] = measure_post(base, workdir, options, wrk_options)
    results["_checks"] = {"micro_cache_statuses": micro, "micro_cache_with_session": with_session,
                          "micro_cache_gzip": micro_gzip}  # fmt: skip
    for process in (nginx, app, uncached):
        servers.stop(process)
    return results


def measure_first_visitors(servers, database_url, options, wrk_options, floor):
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


def chosen(name, rows):
    """Whether `--rows` (names' parts, comma-separated; blank: all) picks this row; the floor always runs."""
    return (
        not rows
        or name == "/robots.txt (floor)"
        or any(part.strip() and part.strip() in name for part in rows.split(","))
    )


def measure_post(base, workdir, options, wrk_options):
    """Bookings per second: wrk's 302 answers over its duration, with the rows counted after each run."""
    slots = distinct_slots(base, 365)
    csrf_cookie, csrf_token = csrf_for(base, slots[-1])
    script = post_script(workdir, base, slots[:-1], csrf_cookie, csrf_token, options.threads)
    post_runs = []
    for _ in range(options.runs):
        remove_posted_requests()
        rate, total, _, statuses = wrk(base + "/appointments/request/details/", script=script, **wrk_options)
        created = settled_count(posted_requests)
        booked = statuses.get(302, 0)
        # wrk counts the answers it read; requests still in flight when it stops may add a row each.
        post_runs.append({"requests_per_second": rate, "requests": total, "statuses": statuses,
                          "booked_302": booked, "rows_created": created,
                          "one_row_per_success": booked <= created <= booked + options.connections,
                          "successful_per_second": booked / options.duration})  # fmt: skip
    remove_posted_requests()
    print(f"  POST: {post_runs}", flush=True)
    return {
        "requests_per_second": statistics.median(run["successful_per_second"] for run in post_runs),
        "runs": post_runs, "distinct_slots": len(slots) - 1,
        "one_row_per_success": all(run["one_row_per_success"] for run in post_runs),
    }  # fmt: skip


def measure_row(name, url, options, wrk_options, extra, expected_status, reference=None):
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


def compare_servers(servers, database_url, options, wrk_options):
    results = {}
    for name in options.servers.split(","):
        process, port = start_app(servers, name, app_env(database_url), name)
        base = f"http://127.0.0.1:{port}"
        _, headers, _ = fetch(base + RLS)
        monday = dt.date.today() + dt.timedelta(days=7 - dt.date.today().weekday())
        rows = {
            "/robots.txt (floor)": base + "/robots.txt",
            "RLS article, cached": base + RLS,
            "availability.json, 14 days": f"{base}/appointments/availability.json?visit_type=vein-evaluation"
            f"&date={monday}&days=14",
        }
        print(f"  -- {name}: {' '.join(SERVERS[name])}", flush=True)
        results[name] = {row: measure_row(row, url, options, wrk_options, {}, 200) for row, url in rows.items()}
        servers.stop(process)
    return results


def compare_cache_backends(servers, database_url, options, wrk_options):
    results = {}
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
    variants = {"database cache": {}, "redis": {"REDIS_URL": redis_url}}
    for name, extra in variants.items():
        env = app_env(database_url, TRUFFLES_PAGE_CACHE_LOCAL_ENTRIES="0", **extra)
        try:
            process, port = start_app(servers, "granian", env, f"granian-{name.replace(' ', '-')}")
        except SystemExit as error:
            print(f"  {name}: not measured ({error})")
            continue
        print(f"  -- {name}", flush=True)
        results[name] = measure_row("RLS article, shared cache only", f"http://127.0.0.1:{port}{RLS}", options,
                                    wrk_options, {}, 200)  # fmt: skip
        servers.stop(process)
    return results


def print_table(results):
    """Every row with its goal; ratios are the medians of runs paired with their reference."""
    floor = results["/robots.txt (floor)"]["requests_per_second"]
    print("\n| Page | req/s | × floor | goal | met |")
    print("|---|---|---|---|---|")
    for name, goal in GOALS.items():
        if name not in results:
            continue
        row = results[name]
        rate = row["requests_per_second"]
        ratio = rate / floor
        if name.startswith("RLS article through nginx"):
            goal_text = f"≥ {MICRO_CACHE_GOAL}× nginx static ({row['ratio']:.2f}×)"
            met = row["ratio"] >= MICRO_CACHE_GOAL
        elif name == "request POST (successful)":
            one_row = row["one_row_per_success"]
            goal_text = f"≥ {BOOKINGS_PER_SECOND_GOAL} bookings/s, one row per success ({'yes' if one_row else 'no'})"
            met = rate >= BOOKINGS_PER_SECOND_GOAL and one_row
        elif goal:
            ratio = row.get("ratio", ratio)
            goal_text, met = f"≥ {goal}× floor", ratio >= goal
        else:
            goal_text, met = "—", None
        mark = "" if met is None else ("yes" if met else "no")
        print(f"| {name} | {rate:,.0f} | {ratio:.3f} | {goal_text} | {mark} |")
    print(f"checks: {results['_checks']}")


if __name__ == "__main__":
    main()
