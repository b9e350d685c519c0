"""The load benchmark's booking row: distinct free slots, a browser's CSRF pair, and bookings per second."""

import datetime as dt
import json
import re
import statistics
import urllib.request
from argparse import Namespace
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

from load_data import posted_requests, remove_posted_requests, settled_count
from load_servers import fetch
from wrk import post_script, wrk


def measure_post(base: str, workdir: Path, options: Namespace, wrk_options: dict) -> dict:
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


def distinct_slots(base: str, days: int) -> list[str]:
    """Free starts at least an hour apart per provider over `days` days: none overlaps another."""
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


def csrf_for(base: str, slot: str) -> tuple[str, str]:
    """(cookie, form token) as a browser gets them from the details form."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/appointments/request/details/?{slot}", timeout=10) as response:
        page = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    cookie = next(f"{c.name}={c.value}" for c in jar if c.name == "csrftoken")
    return cookie, token
