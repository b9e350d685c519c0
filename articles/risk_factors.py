"""The clinic's standard risk factors: always present, because the intake form asks about them."""

# Dopamine-blocking drugs trigger or worsen RLS as antihistamines do (NINDS; Silber et al. 2021).
MEDICINES_NAME = "Medicines that can trigger RLS"
MEDICINES_LABEL = "I take sleep or allergy tablets, antidepressants, antipsychotics or metoclopramide"

# slug, clinical name, how the intake asks, is it a cause of secondary RLS?
DEFAULTS = [
    ("family-history", "Family history of restless legs", "A parent, brother or sister has restless legs", False),
    ("iron-deficiency", "Iron deficiency or anemia", "I have been told I have low iron or anemia", True),
    ("pregnancy", "Pregnancy", "I am pregnant", True),
    ("kidney-disease", "Chronic kidney disease", "I have kidney disease or am on dialysis", True),
    ("diabetes", "Diabetes", "I have diabetes", False),
    ("peripheral-neuropathy", "Peripheral neuropathy", "I have nerve damage (neuropathy) in my feet or legs", True),
    (
        "medications",
        MEDICINES_NAME,
        MEDICINES_LABEL,
        True,
    ),
]


def ensure_defaults(**kwargs):
    """Create any missing standard row; never overwrite wording staff have edited.

    Connected to post_migrate, so the rows come back after a test flush too.
    """
    from articles.models import RiskFactor

    existing = set(RiskFactor.objects.values_list("slug", flat=True))
    RiskFactor.objects.bulk_create(
        RiskFactor(slug=slug, name=name, patient_label=label, is_cause=is_cause, position=position)
        for position, (slug, name, label, is_cause) in enumerate(DEFAULTS)
        if slug not in existing
    )
