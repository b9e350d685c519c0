"""schema.org JSON-LD for an article page: what search engines read about who wrote and reviewed it."""

import json


def article_json_ld(article, *, page_url, home_url, list_url, clinic, risk_factors, references, topics):
    """The MedicalWebPage for one article, as a dict ready for json.dumps.

    The article is `about` each of its topics that is a medical condition; the risk factors it covers
    (the rows the appointment intake asks about) become that condition's `cause`s (what can bring on
    secondary RLS) and `riskFactor`s (what raises the risk).
    """
    conditions = [_condition(topic, risk_factors) for topic in topics if topic.is_medical_condition]
    data = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "@id": page_url,
        "url": page_url,
        "name": article.title,
        "headline": article.title,
        "description": article.meta_description,
        "inLanguage": "en-US",
        "datePublished": article.published_at.isoformat() if article.published_at else None,
        "dateModified": article.updated_at.isoformat(),
        # A review is claimed only with the named clinician who made it, and only for the text they read.
        "lastReviewed": article.last_reviewed.isoformat() if article.shows_review else None,
        "reviewedBy": {
            "@type": "Person",
            "name": article.public_reviewer_name,
            "honorificSuffix": article.reviewer_credentials,
        }
        if article.shows_review
        else None,
        "about": conditions[0] if len(conditions) == 1 else conditions or None,
        "citation": [_citation(reference) for reference in references] or None,
        "breadcrumb": _breadcrumb([("Home", home_url), ("Articles", list_url), (article.title, page_url)]),
        "publisher": {
            "@type": "MedicalClinic", "name": clinic["name"], "url": home_url, "telephone": clinic["phone"],
            "email": clinic["email"], "address": clinic["address"],
        },
        "author": {"@type": "Person", "name": article.author.get_full_name()}
        if article.author_id and article.author.get_full_name()
        else {"@type": "MedicalClinic", "name": clinic["name"], "url": home_url},
    }  # fmt: skip
    return {key: value for key, value in data.items() if value is not None}


def _condition(topic, risk_factors) -> dict:
    """A topic that is a medical condition, with the risk factors the article covers as its causes
    (what can bring on secondary RLS) and risk factors (what raises the risk)."""
    condition = {"@type": "MedicalCondition", "name": topic.name}
    if topic.alternate_name:
        condition["alternateName"] = topic.alternate_name
    if causes := [factor for factor in risk_factors if factor.is_cause]:
        condition["cause"] = [{"@type": "MedicalCause", "name": factor.name} for factor in causes]
    if others := [factor for factor in risk_factors if not factor.is_cause]:
        condition["riskFactor"] = [{"@type": "MedicalRiskFactor", "name": factor.name} for factor in others]
    return condition


def _breadcrumb(trail: list[tuple[str, str]]) -> dict:
    items = [{"@type": "ListItem", "position": position, "name": name, "item": url}
             for position, (name, url) in enumerate(trail, start=1)]  # fmt: skip
    return {"@type": "BreadcrumbList", "itemListElement": items}


def _citation(reference):
    citation = {"@type": "CreativeWork", "name": reference.title, "url": reference.link}
    if reference.source:
        citation["publisher"] = {"@type": "Organization", "name": reference.source}
    if reference.doi:
        citation["sameAs"] = f"https://doi.org/{reference.doi}"
    return citation


def to_script_json(data):
    """JSON that is safe inside a <script> element: no '</script>' or HTML comment can close it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
