"""What a physician reviewing the clinic's articles before launch checks: claims, references, reviewer."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from appointments.models import VisitType
from articles.checks import placeholder_reviewers
from articles.models import Article, RiskFactor

DIAGNOSIS_SLUG = "how-we-diagnose-restless-legs-syndrome"


def reference_titles(article):
    return [reference.title for reference in article.references.all()]


def test_home_page_no_longer_calls_vein_disease_a_cause_of_restless_legs(client, clinic_articles):
    text = client.get("/").text
    assert "such as iron deficiency or vein disease" not in text
    assert "vein disease can cause leg symptoms that resemble restless legs or add to them" in text
    assert 'href="/articles/restless-legs-syndrome-causes/"' in text


def test_causes_article_explains_vein_disease_as_a_look_alike_with_the_criteria_as_source(client, rls_article):
    text = client.get(rls_article.get_absolute_url()).text
    assert "Vein disease: a look-alike, not a cause" in text
    assert any("diagnostic criteria" in title for title in reference_titles(rls_article))


def test_causes_article_names_dopamine_blocking_medicines_with_a_source(client, rls_article):
    text = client.get(rls_article.get_absolute_url()).text
    assert "antipsychotics" in text
    assert "metoclopramide" in text
    assert "The Management of Restless Legs Syndrome: An Updated Algorithm" in reference_titles(rls_article)


def test_intake_asks_about_dopamine_blocking_medicines(risk_factors):
    medicines = RiskFactor.objects.get(slug="medications")
    assert "metoclopramide" in medicines.patient_label
    assert "antipsychotics" in medicines.patient_label
    assert medicines.is_cause


def test_ferritin_inside_the_normal_range_can_still_be_too_low(client, clinic_articles):
    for article in Article.objects.filter(slug__in=["restless-legs-syndrome-causes", DIAGNOSIS_SLUG]):
        text = client.get(article.get_absolute_url()).text
        assert "ferritin" in text
        assert "normal range can" in text
        assert "75 ng/mL" in text
        assert any("iron treatment of restless legs" in title for title in reference_titles(article))


def test_diagnosis_article_gives_the_five_features_and_the_look_alikes(client, clinic_articles):
    article = Article.objects.get(slug=DIAGNOSIS_SLUG)
    text = client.get(article.get_absolute_url()).text
    assert "The five features doctors look for" in text
    for feature in ["urge to move your legs", "starts or gets worse when you rest", "Moving eases it",
                    "in the evening or at night", "not fully explained by another condition"]:  # fmt: skip
        assert feature in text
    for mimic in ["leg cramps", "positional discomfort", "peripheral neuropathy", "venous disease", "akathisia"]:
        assert mimic in text
    assert any("diagnostic criteria" in title for title in reference_titles(article))


def test_placeholder_reviewer_is_never_shown_to_readers(client, rls_article):
    text = client.get(rls_article.get_absolute_url()).text
    assert "placeholder" not in text.lower()
    assert "Medically reviewed by" not in text


def test_named_reviewer_is_shown(client, rls_article):
    Article.objects.filter(pk=rls_article.pk).update(reviewer_name="Dr. Ada Vein", reviewer_credentials="MD")
    assert "Medically reviewed by <strong>Dr. Ada Vein</strong>, MD" in client.get(rls_article.get_absolute_url()).text


def test_check_deploy_warns_about_a_placeholder_reviewer(clinic_articles):
    output = StringIO()
    call_command("check", "--deploy", "--tag", "content", stdout=output, stderr=output)
    assert "articles.W001" in output.getvalue()
    assert "What causes restless legs syndrome?" in output.getvalue()


def test_check_deploy_is_quiet_once_the_clinic_names_its_reviewer(clinic_articles):
    Article.objects.update(reviewer_name="Dr. Ada Vein", reviewer_credentials="MD, vascular medicine")
    assert placeholder_reviewers(None) == []


@pytest.fixture
def demo_clinic(db):
    call_command("load_demo", verbosity=0)


def test_rls_articles_lead_to_the_rls_consultation(client, demo_clinic):
    assert VisitType.objects.filter(slug="rls-consultation", bookable_online=True).exists()
    for article in Article.objects.published():
        assert article.visit_type == "rls-consultation"
        text = client.get(article.get_absolute_url()).text
        assert f'?visit_type=rls-consultation&amp;from={article.slug}">Request an RLS consultation</a>' in text


def test_request_page_heading_names_the_chosen_visit(client, demo_clinic):
    response = client.get("/appointments/request/?visit_type=rls-consultation&from=restless-legs-syndrome-causes")
    assert "<h1>Request an RLS consultation</h1>" in response.text
    radio = re.search(r'<input type="radio" name="visit_type" value="rls-consultation"[^>]*>', response.text)
    assert radio
    assert " checked" in radio.group()


# What a reviewing physician checks against the 2025 AASM guideline (Winkelman et al., J Clin Sleep Med
# 2025;21(1):137-152), the IRLSSG criteria (2014) and iron guideline (2018), and the NHS and Mayo pages.
RLS_SLUGS = ["restless-legs-syndrome-causes", DIAGNOSIS_SLUG, "restless-legs-syndrome-treatment"]
TREATMENT_SLUG = "restless-legs-syndrome-treatment"
GUIDELINE_DOI = "10.5664/jcsm.11390"
CLIENT_SOURCE = Path(__file__).parent / "data" / "client_source_rls_causes.txt"


def section(article, heading):
    """The plain text of one "## " section of an article's Markdown."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", article.body, re.M | re.S)
    assert match, heading
    return match.group(1)


def headings(article):
    return [entry["name"] for entry in article.toc]


def words(text):
    return re.findall(r"[a-z0-9]+(?:['’][a-z]+)?", text.lower())


@pytest.mark.parametrize("slug", RLS_SLUGS)
def test_every_rls_page_says_when_to_get_help_in_the_nhs_order(client, clinic_articles, slug):
    article = Article.objects.get(slug=slug)
    names = headings(article)
    help_at = names.index("When to get help")
    # NHS order: symptoms, self-help, when to get help, then causes, diagnosis and treatment.
    first_cause = next(i for i, name in enumerate(names) if re.search(r"cause|underneath|feel like|Two kinds", name))
    assert 0 < help_at < first_cause, names
    text = section(article, "When to get help")
    for sign in ["keep you from sleeping", "mood", "suddenly turn weak", "bladder or bowel", "call 911", "988"]:
        assert sign in text, (slug, sign)
    page = client.get(article.get_absolute_url()).text
    assert "call or text <strong>988</strong>" in page
    assert {"https://988lifeline.org/", "https://www.nhs.uk/conditions/cauda-equina-syndrome/"} <= {
        reference.link for reference in article.references.all()
    }


def test_kidney_failure_and_diabetes_are_causes_of_secondary_rls_not_primary(clinic_articles):
    article = Article.objects.get(slug="restless-legs-syndrome-causes")
    primary = section(article, "Primary RLS: when no other condition is found").lower()
    secondary = section(article, "Secondary RLS: when something else sets it off").lower()
    for condition in ["kidney", "diabetes", "pregnan"]:
        assert condition not in primary
        assert condition in secondary
    assert "Kidney failure is a cause of secondary RLS, not part of primary RLS." in article.body


def test_treatment_follows_the_2025_guideline_and_cites_it_first(clinic_articles):
    article = Article.objects.get(slug=TREATMENT_SLUG)
    assert article.references.first().doi == GUIDELINE_DOI
    medicines = section(article, "Medicines for restless legs")
    assert medicines.index("gabapentinoids") < medicines.index("dopamine agonists and levodopa")
    for name in ["Gabapentin", "gabapentin enacarbil", "pregabalin", "strong recommendation"]:
        assert name in medicines
    for name in ["Pramipexole", "ropinirole", "rotigotine", "levodopa", "advises against"]:
        assert name in medicines
    iron = section(article, "Iron: test first")
    for fact in ["75 ng/mL or less", "under 20%", "ferric carboxymaltose", "strongest", "between 75 and 100"]:
        assert fact in iron
    assert headings(article).index("Iron: test first") < headings(article).index("Medicines for restless legs")


def test_augmentation_and_impulse_control_problems_are_explained(clinic_articles):
    article = Article.objects.get(slug=TREATMENT_SLUG)
    for sign in ["start earlier in the day", "stronger", "spread to the arms", "see your prescriber",
                 "Never raise the dose", "never stop on your own"]:  # fmt: skip
        assert sign in article.body
    for urge in ["gambling", "shopping", "eating", "sexual"]:
        assert urge in section(article, "Medicines for restless legs")


@pytest.mark.parametrize("slug", RLS_SLUGS)
def test_iron_is_tested_first_with_the_dialysis_and_children_caveat(clinic_articles, slug):
    text = Article.objects.get(slug=slug).body_text
    assert "in the morning" in text
    assert "no iron supplement" in text
    assert "dialysis" in text and "children" in text  # noqa: PT018 - both caveats, one sentence
    assert "transferrin saturation" in text
    assert "corrected, by mouth or by infusion" not in text
    assert re.search(r"[Dd]o not start iron tablets|never with tablets", text)


def test_vein_claims_are_honest_with_their_sources(client, clinic_articles):
    article = Article.objects.get(slug=TREATMENT_SLUG)
    text = article.body_text
    assert "We recommend one only when tests show it is likely to help" not in text
    for claim in ["can mimic RLS or occur alongside it", "relieves vein symptoms", "No test can predict",
                  "makes no recommendation for vein procedures", "controlled trials",
                  "treated with iron, everyday changes and medicines",
                  "sleep medicine specialist or a neurologist"]:  # fmt: skip
        assert claim in text
    dois = {reference.doi for reference in article.references.all()}
    assert {"10.1111/j.1524-4725.1995.tb00183.x", "10.7759/cureus.4368", "10.25122/jml-2025-0075"} <= dois
    assert "Treat the cause with office-based care" not in client.get("/").text
    assert "treat the cause with office-based care" not in client.get("/").text


@pytest.mark.parametrize("slug", ["restless-legs-syndrome-causes", TREATMENT_SLUG])
def test_pages_that_mention_vein_procedures_disclose_that_the_clinic_performs_them(client, clinic_articles, slug):
    text = client.get(Article.objects.get(slug=slug).get_absolute_url()).text
    assert "performs vein procedures and is paid for them" in text


@pytest.mark.parametrize("slug", ["restless-legs-syndrome-causes", TREATMENT_SLUG])
def test_pregnancy_advice(clinic_articles, slug):
    text = Article.objects.get(slug=slug).body_text
    for advice in ["erritin", "antihistamine sleep aids", "doxylamine", "metoclopramide", "obstetrician"]:
        assert advice in text, advice


@pytest.mark.parametrize("slug", ["restless-legs-syndrome-causes", TREATMENT_SLUG])
def test_the_full_list_of_what_makes_rls_worse(clinic_articles, slug):
    text = Article.objects.get(slug=slug).body_text
    for trigger in ["antihistamines", "sleep aids", "SSRIs", "SNRIs", "tricyclics", "mirtazapine", "antipsychotics",
                    "metoclopramide", "alcohol", "caffeine", "nicotine", "sleep apnea"]:  # fmt: skip
        assert trigger.lower() in text.lower(), trigger


def test_no_run_of_eight_words_from_the_clients_source(clinic_articles):
    source = words(CLIENT_SOURCE.read_text())
    runs = {tuple(source[i : i + 8]) for i in range(len(source) - 7)}
    for article in Article.objects.all():
        ours = words(f"{article.title} {article.summary} {article.body_text}")
        copied = [" ".join(ours[i : i + 8]) for i in range(len(ours) - 7) if tuple(ours[i : i + 8]) in runs]
        assert copied == [], article.slug


def test_the_check_finds_a_copied_run(clinic_articles):
    # The check above can fail: a sentence lifted from the client's article is caught.
    source = words(CLIENT_SOURCE.read_text())
    lifted = " ".join(source[40:52])
    runs = {tuple(source[i : i + 8]) for i in range(len(source) - 7)}
    ours = words(f"Our own words, then {lifted}.")
    assert any(tuple(ours[i : i + 8]) in runs for i in range(len(ours) - 7))
