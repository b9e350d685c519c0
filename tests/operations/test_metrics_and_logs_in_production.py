"""Real granian, two processes: /metrics adds up both, and every log line is one JSON object."""

import json
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.processes import GRANIAN, GRANIAN_FLAGS, ROOT, free_port, production_env, running, start, wait_until_answers

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.process]

TOKEN = "process-test-metrics-token-0123456789abcdef"
REQUESTS = 24
MANAGE_TOKEN = "not-a-real-token-but-secret-looking-0123456789"


def fetch(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (loopback only)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def robots_count(exposition: str) -> float:
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == "truffles_http_requests_total" and sample.labels == {"view": "robots_txt",
                                                                                   "status": "200"}:  # fmt: skip
                return sample.value
    return 0


def test_metrics_add_up_every_granian_process_and_log_lines_are_json(tmp_path):
    counts = tmp_path / "prometheus"
    counts.mkdir()
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    env = production_env(PROMETHEUS_MULTIPROC_DIR=str(counts), TRUFFLES_METRICS_TOKEN=TOKEN)
    command = [GRANIAN, *GRANIAN_FLAGS, "--log-config", str(ROOT / "deploy" / "granian-logging.json"),
               "--host", "127.0.0.1", "--port", str(port), "--workers", "2", "truffles.wsgi:application"]  # fmt: skip
    log = tmp_path / "web.log"
    with running(start(command, env, log)):
        wait_until_answers(site + "/healthz", 60)
        for _ in range(REQUESTS - 1):
            fetch(site + "/robots.txt")
        status, headers, _ = fetch(site + "/robots.txt", {"X-Request-ID": "drill-request-0001"})
        assert headers["X-Request-ID"] == "drill-request-0001"
        assert fetch(site + f"/appointments/manage/{MANAGE_TOKEN}/")[0] == 404
        assert fetch(site + "/metrics")[0] == 404
        scrapes = [fetch(site + "/metrics", {"Authorization": f"Bearer {TOKEN}"}) for _ in range(8)]

    # Both processes answered requests (each keeps its own file), and every scrape adds them up.
    assert len({path.name for path in counts.glob("counter_*.db")}) == 2
    assert {scrape[0] for scrape in scrapes} == {200}
    assert {robots_count(scrape[2]) for scrape in scrapes} == {REQUESTS}

    lines = [line for line in log.read_text().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line, granian's own included, is one JSON object
    tagged = [entry for entry in entries if entry.get("request_id") == "drill-request-0001"]
    assert [(entry["logger"], entry["view"], entry["status"]) for entry in tagged] == [
        ("truffles.requests", "robots_txt", 200)
    ]
    assert tagged[0]["duration_ms"] >= 0
    assert any(entry["logger"] == "_granian" for entry in entries)
    not_found = [entry for entry in entries if entry.get("view") == "appointments:manage"]
    assert [entry["status"] for entry in not_found] == [404]
    assert MANAGE_TOKEN not in json.dumps(not_found)  # a request's line names the view, never the path
    # Django's own "Not Found: <path>" line follows, with the same request id (its path is redacted by
    # the patient-data filter of core/log_redaction.py where that is installed).
    assert any(entry["logger"] == "django.request" and entry["request_id"] == not_found[0]["request_id"]
               for entry in entries)  # fmt: skip
