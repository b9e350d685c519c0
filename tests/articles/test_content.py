"""What a physician reviewing the clinic's articles before launch checks: claims, references, reviewer."""

import re
from io import StringIO

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
