"""The intake's risk factors are seeded one way: articles.risk_factors.ensure_defaults, after each migrate or flush."""

import pytest
from django.core.management import call_command

from articles.models import RiskFactor
from articles.risk_factors import DEFAULTS


@pytest.mark.django_db(transaction=True)
def test_the_intakes_risk_factor_questions_come_back_after_every_table_is_emptied():
    call_command("flush", interactive=False, verbosity=0)  # what every browser test does when it ends

    questions = RiskFactor.objects.order_by("position").values_list("slug", "patient_label", "is_cause")
    assert list(questions) == [(slug, label, is_cause) for slug, _, label, is_cause in DEFAULTS]


def test_wording_staff_edited_is_kept_when_the_defaults_are_ensured(db):
    RiskFactor.objects.filter(slug="pregnancy").update(patient_label="I am expecting a baby")

    call_command("migrate", verbosity=0)

    assert RiskFactor.objects.get(slug="pregnancy").patient_label == "I am expecting a baby"
