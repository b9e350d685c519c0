from django.db import migrations

OLD = ("Antihistamines or antidepressants", "I take antihistamines (allergy or sleep tablets) or antidepressants")
NEW = (
    "Medicines that can trigger RLS",
    "I take allergy or sleep tablets, antidepressants, anti-sickness medicines (such as "
    "metoclopramide) or antipsychotics",
)


def add_dopamine_blockers(apps, schema_editor):
    """The intake's medicine question gains dopamine-blocking drugs; wording staff changed is kept."""
    RiskFactor = apps.get_model("articles", "RiskFactor")
    RiskFactor.objects.filter(slug="medications", name=OLD[0]).update(name=NEW[0])
    RiskFactor.objects.filter(slug="medications", patient_label=OLD[1]).update(patient_label=NEW[1])


def restore(apps, schema_editor):
    RiskFactor = apps.get_model("articles", "RiskFactor")
    RiskFactor.objects.filter(slug="medications", name=NEW[0]).update(name=OLD[0])
    RiskFactor.objects.filter(slug="medications", patient_label=NEW[1]).update(patient_label=OLD[1])


class Migration(migrations.Migration):
    dependencies = [("articles", "0006_rerender_article_html")]

    operations = [migrations.RunPython(add_dopamine_blockers, restore)]
