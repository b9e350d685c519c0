"""Lighthouse (mobile preset) on the pages patients land on; prints the four scores per page.

Usage: python tools/lighthouse/run.py [BASE_URL]   (default http://127.0.0.1:8000, as `make serve`)
Needs Node and `npm ci` in tools/lighthouse/ (`make lighthouse` does both) and Chromium at CHROME_PATH.
"""

import json
import os
import subprocess
import sys
import urllib.request
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
LIGHTHOUSE = HERE / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
PAGES = ["/", "/articles/", "/articles/restless-legs-syndrome-causes/", "/appointments/request/"]
# robots.txt keeps the details step (one URL per free time) away from crawlers on purpose, and
# Lighthouse's "is-crawlable" counts exactly that against SEO; every other audit must pass.
EXPECTED_LOSSES = {"/appointments/request/details/": {"is-crawlable"}}


def details_page(base):
    """The second step of a request: the first free RLS consultation in the next three weeks."""
    if not base.startswith(("http://", "https://")):
        raise SystemExit(f"Give an http(s) address, not {base!r}.")
    query = f"visit_type=rls-consultation&date={date.today().isoformat()}&days=21"
    with urllib.request.urlopen(f"{base}/appointments/availability.json?{query}", timeout=30) as response:  # noqa: S310 - checked above
        for slot in json.load(response)["slots"]:
            return slot["request_url"]
    raise SystemExit("No free RLS consultation in the next three weeks: load the demo schedule (make serve).")


def audit(url):
    chrome_flags = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"
    result = subprocess.run(  # noqa: S603 - our pinned Lighthouse, our own URLs
        [str(LIGHTHOUSE), url, "--quiet", "--output=json", "--output-path=stdout", f"--chrome-flags={chrome_flags}"],
        env={**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")},
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    report = json.loads(result.stdout)
    scores = {name: round(report["categories"][name]["score"] * 100) for name in CATEGORIES}
    # What cost points in a category below 100, so the score says why.
    lost = sorted(
        {
            audit_ref["id"]
            for name in CATEGORIES
            if scores[name] < 100
            for audit_ref in report["categories"][name]["auditRefs"]
            if audit_ref["weight"] and (report["audits"][audit_ref["id"]]["score"] or 0) < 1
        }
    )
    return scores, lost


def main():
    base = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000").rstrip("/")
    urls = [base + path for path in PAGES] + [details_page(base)]
    print(f"{'page':55} perf a11y best  seo")
    unexpected = False
    for url in urls:
        scores, lost = audit(url)
        path = url[len(base):] if url.startswith(base) else url
        label = path if len(path) <= 55 else path[:52] + "..."
        print(f"{label:55} " + " ".join(f"{scores[name]:4}" for name in CATEGORIES))
        expected = EXPECTED_LOSSES.get(path.split("?")[0], set())
        if lost:
            note = " (robots.txt keeps this step from crawlers on purpose)" if set(lost) <= expected else ""
            print(f"{'':55} lost on: {', '.join(lost)}{note}")
        unexpected |= bool(set(lost) - expected)
    sys.exit(1 if unexpected else 0)


if __name__ == "__main__":
    main()
