import json
import re

import pytest

from articles.models import Article

pytestmark = pytest.mark.django_db


def json_ld(page):
    blocks = re.findall(r'<script type="application/ld\+json" nonce="[^"]+">(.*?)</script>', page, re.S)
    assert len(blocks) == 1, "one JSON-LD block, carrying the page's CSP nonce"
    return json.loads(blocks[0])


def test_article_json_ld_describes_a_reviewed_medical_page(client, rls_article):
    data = json_ld(client.get(rls_article.get_absolute_url()).text)
    rls_article.refresh_from_db()

    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "MedicalWebPage"
    assert data["url"] == "http://testserver/articles/restless-legs-syndrome-causes/"
    assert data["headline"] == "What causes restless legs syndrome?"
    assert data["datePublished"] == "2023-11-02T13:00:00+00:00"
    assert data["dateModified"] == rls_article.updated_at.isoformat()
    # The demo content's placeholder reviewer is not claimed to search engines, nor is a review date.
    assert "reviewedBy" not in data
    assert "lastReviewed" not in data


def test_article_json_ld_is_about_rls_with_its_causes_and_risk_factors(client, rls_article):
    about = json_ld(client.get(rls_article.get_absolute_url()).text)["about"]
    assert about["@type"] == "MedicalCondition"
    assert about["name"] == "Restless legs syndrome"
    assert about["alternateName"] == "Willis-Ekbom disease"
    assert [cause["name"] for cause in about["cause"]] == [
        "Iron deficiency or anemia",
        "Pregnancy",
        "Chronic kidney disease",
        "Peripheral neuropathy",
        "Medicines that can trigger RLS",
    ]
    assert {cause["@type"] for cause in about["cause"]} == {"MedicalCause"}
    assert [factor["name"] for factor in about["riskFactor"]] == ["Family history of restless legs", "Diabetes"]
    assert {factor["@type"] for factor in about["riskFactor"]} == {"MedicalRiskFactor"}


def test_causes_in_json_ld_follow_what_staff_record(client, rls_article):
    rls_article.risk_factors.set(rls_article.risk_factors.filter(slug="iron-deficiency"))
    about = json_ld(client.get(rls_article.get_absolute_url()).text)["about"]
    assert [cause["name"] for cause in about["cause"]] == ["Iron deficiency or anemia"]
    assert "riskFactor" not in about


def test_article_json_ld_cites_references_and_names_the_clinic(client, rls_article, settings):
    data = json_ld(client.get(rls_article.get_absolute_url()).text)
    assert [citation["url"] for citation in data["citation"]] == [
        "https://doi.org/10.5664/jcsm.11390",  # the 2025 AASM guideline first
        "https://doi.org/10.1016/j.sleep.2014.03.025",
        "https://doi.org/10.1016/j.sleep.2017.11.1126",
        "https://www.nhs.uk/conditions/restless-legs-syndrome/",
        "https://www.mayoclinic.org/diseases-conditions/restless-legs-syndrome/symptoms-causes/syc-20377168",
        "https://doi.org/10.1016/j.mayocp.2020.12.026",
        "https://www.ninds.nih.gov/health-information/disorders/restless-legs-syndrome",
        "https://medlineplus.gov/restlesslegs.html",
        "https://www.nhs.uk/conditions/cauda-equina-syndrome/",
        "https://988lifeline.org/",
        "https://doi.org/10.1111/j.1524-4725.1995.tb00183.x",
        "https://doi.org/10.7759/cureus.4368",
        "https://doi.org/10.25122/jml-2025-0075",
    ]
    assert data["publisher"]["@type"] == "MedicalClinic"
    assert data["publisher"]["name"] == settings.TRUFFLES_CLINIC["name"]
    assert data["publisher"]["telephone"] == settings.TRUFFLES_CLINIC["phone"]
    crumbs = data["breadcrumb"]["itemListElement"]
    assert data["breadcrumb"]["@type"] == "BreadcrumbList"
    assert [(crumb["position"], crumb["name"]) for crumb in crumbs] == [
        (1, "Home"),
        (2, "Articles"),
        (3, "What causes restless legs syndrome?"),
    ]
    assert crumbs[2]["item"] == data["url"]


def test_json_ld_cannot_be_broken_out_of_by_a_title(client, make_article):
    article = make_article(title="</script><script>alert(1)</script>")
    page = client.get(article.get_absolute_url()).text
    assert json_ld(page)["headline"] == "</script><script>alert(1)</script>"
    assert "<script>alert(1)" not in page


def test_article_head_has_canonical_description_and_open_graph(client, rls_article):
    page = client.get(rls_article.get_absolute_url()).text
    url = "http://testserver/articles/restless-legs-syndrome-causes/"
    assert f'<link rel="canonical" href="{url}">' in page
    assert "<title>Restless legs syndrome causes: primary and secondary RLS · " in page
    assert '<meta name="description" content="Why legs feel restless: genes, iron' in page
    assert f'<meta property="og:url" content="{url}">' in page
    assert '<meta property="og:type" content="article">' in page
    assert '<meta property="og:title" content="Restless legs syndrome causes: primary and secondary RLS">' in page


def test_an_article_without_a_condition_topic_has_no_about(client, make_article):
    article = make_article()
    data = json_ld(client.get(article.get_absolute_url()).text)
    assert "about" not in data
    assert data["reviewedBy"]["name"] == "Dr. Test Reviewer"
    assert Article.objects.get(pk=article.pk).reviewer_credentials == data["reviewedBy"]["honorificSuffix"]
