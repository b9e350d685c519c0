"""schema.org JSON-LD for an article page: what search engines read about who wrote and reviewed it."""

import json


def article_json_ld(article, *, page_url, home_url, list_url, clinic, risk_factors, references, topics):
    """The MedicalWebPage for one article, as a dict ready for json.dumps.

    The article is `about` each of its topics that is a medical condition; the risk factors it covers
    (the rows the appointment intake asks about) become that condition's `cause`s (what can bring on
    secondary RLS) and `riskFactor`s (what raises the risk).
    """
    causes = [factor for factor in risk_factors if factor.is_cause]
    other_factors = [factor for factor in risk_factors if not factor.is_cause]
    conditions = [
        {
            "@type": "MedicalCondition",
            "name": topic.name,
            **({"alternateName": topic.alternate_name} if topic.alternate_name else {}),
            **(
                {"cause": [{"@type": "MedicalCause", "name": factor.name} for factor in causes]}
                if causes
                else {}
            ),
            **(
                {"riskFactor": [{"@type": "MedicalRiskFactor", "name": factor.name} for factor in other_factors]}
                if other_factors
                else {}
            ),
        }
        for topic in topics
        if topic.is_medical_condition
    ]
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
        "breadcrumb": {
            "@type": "BreadcrumbList",
            "itemListElement": [
                {"@type": "ListItem", "position": 1, "name": "Home", "item": home_url},
                {"@type": "ListItem", "position": 2, "name": "Articles", "item": list_url},
                {"@type": "ListItem", "position": 3, "name": article.title, "item": page_url},
            ],
        },
        "publisher": {
            "@type": "MedicalClinic",
            "name": clinic["name"],
            "url": home_url,
            "telephone": clinic["phone"],
            "email": clinic["email"],
            "address": clinic["address"],
        },
    }
    if article.author_id and article.author.get_full_name():
        data["author"] = {"@type": "Person", "name": article.author.get_full_name()}
    else:
        data["author"] = {"@type": "MedicalClinic", "name": clinic["name"], "url": home_url}
    return {key: value for key, value in data.items() if value is not None}


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
