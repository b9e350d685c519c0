"""Load benchmark (`make bench`): the site under concurrent load, as ratios to what this machine can do.

Starts the production configuration (granian, DEBUG off) on loopback against its own database
(`<name>_load`), nginx for the two outside references, and runs wrk against each page: three runs
each, medians. Two references from the same run make the figures comparable across machines:
nginx serving the article's bytes as a static file (the machine's limit) and /robots.txt through
the whole middleware stack with no query (the framework floor). See bench/README.md.

    python bench/load.py [--duration 6] [--runs 3] [--sizes small,large] [--servers granian,...]

This file is the entry point: options, the report and its table. The rest lives beside it:
load_data.py (the database), load_servers.py (granian, nginx), wrk.py (wrk and its Lua scripts),
load_site.py (the rows and their goals), load_booking.py (the POST row), load_comparisons.py.
"""

import argparse
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import BASE_DIR, setup_django, use_bench_database
from load_comparisons import compare_cache_backends, compare_servers
from load_data import SIZES, populate
from load_servers import SECRET_KEY, SERVERS, Servers
from load_site import BOOKINGS_PER_SECOND_GOAL, GOALS, MICRO_CACHE_GOAL, measure_site


def main() -> None:
    # A stopped bench stops its servers too (the finally below), whatever stopped it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    options = parse_options()
    database_url = use_load_database()
    workdir = Path(tempfile.mkdtemp(prefix="truffles-load-"))
    servers = Servers(workdir)
    wrk_options = {"duration": options.duration, "connections": options.connections, "threads": options.threads}
    report = new_report(wrk_options, options.runs)
    try:
        for size in options.sizes.split(","):
            report["sizes"][size] = measure_size(size, servers, workdir, database_url, options, wrk_options)
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


def parse_options() -> argparse.Namespace:
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
    return parser.parse_args()


def use_load_database() -> str:
    """A fresh `<database>_load` with the demo content; returns the URL the servers connect with."""
    os.environ["DJANGO_SECRET_KEY"] = SECRET_KEY  # the staff session is signed here, used by the servers
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    setup_django()
    from django.conf import settings
    from django.core.management import call_command

    from core.database import url_for

    use_bench_database("load")
    call_command("load_demo", verbosity=0)
    return url_for(settings.DATABASES["default"])


def new_report(wrk_options: dict, runs: int) -> dict:
    """The results file's header: when, which commit, on what machine and how loaded, with which wrk options."""
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                 cwd=BASE_DIR).stdout.strip(),
        "cpus": os.cpu_count(), "load_average_before": os.getloadavg(),
        "wrk": {**wrk_options, "runs": runs}, "sizes": {}, "servers": {}, "cache_backends": {},
    }  # fmt: skip


def measure_size(size: str, servers: Servers, workdir: Path, database_url: str, options, wrk_options: dict) -> dict:
    """The database grown to `size`, then every chosen row on it, printed as a table."""
    articles, appointments = SIZES[size]
    started = time.monotonic()
    populate(articles, appointments)
    print(f"\n== {size}: {articles:,} articles, {appointments:,} appointments "
          f"(filled in {time.monotonic() - started:.0f} s)", flush=True)  # fmt: skip
    results = measure_site(servers, workdir, database_url, options, wrk_options)
    results["_load_average_after"] = os.getloadavg()
    print_table(results)
    return results


def write_report(report: dict, label: str = "") -> None:
    name = "-".join(filter(None, [dt.datetime.now(dt.UTC).date().isoformat(), label]))
    out = BASE_DIR / "bench" / "results" / f"{name}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {out.relative_to(BASE_DIR)}")


def print_table(results: dict) -> None:
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
