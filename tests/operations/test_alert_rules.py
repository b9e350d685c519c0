"""deploy/prometheus-alerts.yml: well-formed, the four alerts the clinic needs, and only figures /metrics has."""

import re
from http import HTTPStatus

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.processes import ROOT

RULES = ROOT / "deploy" / "prometheus-alerts.yml"
TOKEN = "alert-rules-test-token-0123456789abcdef"


def rules() -> list[dict]:
    (group,) = yaml.safe_load(RULES.read_text())["groups"]
    assert group["name"] == "truffles"
    return group["rules"]


def test_the_stalled_worker_failed_notifications_5xx_and_database_alerts_are_there():
    names = {rule["alert"] for rule in rules()}
    assert {"TrufflesWorkerStalled", "TrufflesNotificationsFailed", "TrufflesServerErrors",
            "TrufflesDatabaseNotAnswering"} <= names  # fmt: skip
    stalled = next(rule for rule in rules() if rule["alert"] == "TrufflesWorkerStalled")
    assert "> 300" in stalled["expr"]  # five minutes


@pytest.mark.parametrize("rule", rules(), ids=lambda rule: rule["alert"])
def test_every_rule_is_well_formed(rule):
    assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}
    assert rule["labels"]["severity"] in {"page", "ticket"}
    assert rule["annotations"]["summary"]
    assert re.fullmatch(r"\d+[smh]", rule.get("for", "0s"))
    expr = rule["expr"]
    depth = 0
    for character in expr:
        depth += {"(": 1, ")": -1}.get(character, 0)
        assert depth >= 0, expr
    assert depth == 0, expr
    assert expr.count('"') % 2 == 0, expr


@pytest.mark.django_db
def test_every_figure_the_rules_read_is_on_the_metrics_page(client, settings):
    settings.TRUFFLES_METRICS_TOKEN = TOKEN
    client.get("/robots.txt")
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == HTTPStatus.OK
    exposed = {sample.name for family in text_string_to_metric_families(response.content.decode())
               for sample in family.samples}  # fmt: skip
    read = {name for rule in rules() for name in re.findall(r"\btruffles_[a-z_]+", rule["expr"])}
    assert len(read) >= 5
    assert read <= exposed, read - exposed
