from django.db import migrations

# The risk factors behind secondary RLS and its primary-RLS contributors, as the intake asks them.
RISK_FACTORS = [
    ("family-history", "Family history of restless legs", "A parent, brother or sister has restless legs"),
    ("iron-deficiency", "Iron deficiency or anemia", "I have been told I have low iron or anemia"),
    ("pregnancy", "Pregnancy", "I am pregnant"),
    ("kidney-disease", "Chronic kidney disease", "I have kidney disease or am on dialysis"),
    ("diabetes", "Diabetes", "I have diabetes"),
    ("peripheral-neuropathy", "Peripheral neuropathy", "I have nerve damage (neuropathy) in my feet or legs"),
    ("medications", "Antihistamines or antidepressants",
     "I take antihistamines (allergy or sleep tablets) or antidepressants"),
]


def seed(apps, schema_editor):
    RiskFactor = apps.get_model("articles", "RiskFactor")
    for position, (slug, name, label) in enumerate(RISK_FACTORS):
        RiskFactor.objects.update_or_create(
            slug=slug, defaults={"name": name, "patient_label": label, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("articles", "0002_risk_factor")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
