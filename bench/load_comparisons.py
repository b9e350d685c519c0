"""The load benchmark's comparisons on the last size's data: app servers, and the shared page cache's backends."""

import os
from argparse import Namespace

from load_data import RLS
from load_servers import SERVERS, Servers, app_env, fetch, start_app
from load_site import measure_row, next_monday


def compare_servers(servers: Servers, database_url: str, options: Namespace, wrk_options: dict) -> dict:
    results = {}
    for name in options.servers.split(","):
        process, port = start_app(servers, name, app_env(database_url), name)
        base = f"http://127.0.0.1:{port}"
        fetch(base + RLS)  # built once before its row, as on the site's own rows
        monday = next_monday()
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


def compare_cache_backends(servers: Servers, database_url: str, options: Namespace, wrk_options: dict) -> dict:
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
