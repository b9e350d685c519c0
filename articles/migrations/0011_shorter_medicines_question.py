from django.db import migrations

# Three lines instead of four on a phone; the same medicines, antipsychotics and metoclopramide by name.
OLD = (
    "I take allergy or sleep tablets, antidepressants, anti-sickness medicines (such as "
    "metoclopramide) or antipsychotics"
)
NEW = "I take sleep or allergy tablets, antidepressants, antipsychotics or metoclopramide"


def shorten(apps, schema_editor):
    """Only the wording we wrote is replaced; wording staff changed is kept."""
    RiskFactor = apps.get_model("articles", "RiskFactor")
    RiskFactor.objects.filter(slug="medications", patient_label=OLD).update(patient_label=NEW)


def restore(apps, schema_editor):
    RiskFactor = apps.get_model("articles", "RiskFactor")
    RiskFactor.objects.filter(slug="medications", patient_label=NEW).update(patient_label=OLD)


class Migration(migrations.Migration):
    dependencies = [("articles", "0010_review_workflow")]

    operations = [migrations.RunPython(shorten, restore)]
