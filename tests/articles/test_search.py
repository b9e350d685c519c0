from http import HTTPStatus

import pytest

from articles.models import Article
from articles.search import search

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("word", ["iron", "pregnancy", "kidney", "Willis-Ekbom", "antihistamines"])
def test_article_search_finds_the_rls_causes_article(client, rls_article, word):
    response = client.get("/articles/", {"q": word})
    assert response.status_code == HTTPStatus.OK
    assert rls_article.title in [article.title for article in response.context["articles"]]
    assert f'href="{rls_article.get_absolute_url()}"' in response.text


def test_search_understands_word_forms(rls_article):
    # "pregnant" and "medicines" are stemmed to the forms the article uses.
    for words in ["pregnant", "medicines", "kidneys"]:
        assert rls_article in search(Article.objects.published(), words)


def test_a_title_match_ranks_above_a_summary_match_above_a_body_match(make_article):
    in_body = make_article(title="Sleep tips", body="Compression stockings help some people.")
    in_summary = make_article(title="Leg care", summary="When compression stockings help.")
    in_title = make_article(title="Compression stockings explained")
    make_article(title="Unrelated", body="Nothing relevant here.")

    results = list(search(Article.objects.published(), "compression stockings"))

    assert results == [in_title, in_summary, in_body]


def test_search_snippet_highlights_the_matched_words(client, rls_article):
    response = client.get("/articles/", {"q": "iron"})
    assert "<mark>iron</mark>" in response.text.lower()
    assert '1 article matches “iron”' in response.text or "articles match “iron”" in response.text


def test_search_snippet_cannot_inject_markup(client, make_article):
    # The body quotes markup as text; the snippet must show it, not run it.
    make_article(title="Code sample", body="Typing `<b onmouseover=alert(1)>` next to varicose does nothing.")
    response = client.get("/articles/", {"q": "varicose"})
    assert response.context["articles"]
    assert "<b onmouseover" not in response.text
    assert "&lt;b onmouseover=alert(1)&gt; next to <mark>varicose</mark>" in response.text


def test_search_for_a_reader_typing_quotes_and_symbols_does_not_fail(client, rls_article):
    for query in ['"restless legs"', "iron -pregnancy", "iron OR kidney", "<b>", "'); drop table", "&&&"]:
        assert client.get("/articles/", {"q": query}).status_code == HTTPStatus.OK


def test_search_with_no_hits_says_so_and_suggests_articles(client, clinic_articles):
    response = client.get("/articles/", {"q": "zebrafish"})
    assert response.status_code == HTTPStatus.OK
    assert "No articles match “zebrafish”" in response.text
    assert "You might find these helpful" in response.text
    assert len(response.context["suggestions"]) == 3
    assert '<meta name="robots" content="noindex">' in response.text


def test_search_never_shows_drafts_or_scheduled_articles(client, make_article):
    make_article(title="Draft about varicose veins", status=Article.Status.DRAFT)
    response = client.get("/articles/", {"q": "varicose"})
    assert "Draft about varicose veins" not in response.text
    assert "No articles match" in response.text


def test_editing_an_article_updates_what_search_finds(make_article):
    article = make_article(body="Nothing about it yet.")
    assert article not in search(Article.objects.published(), "sclerotherapy")
    article.body = "## Options\n\nSclerotherapy closes small veins."
    article.save()
    assert article in search(Article.objects.published(), "sclerotherapy")


def test_search_can_be_combined_with_a_topic(client, clinic_articles):
    response = client.get("/articles/", {"q": "iron", "topic": "treatment"})
    titles = [article.title for article in response.context["articles"]]
    assert titles == ["Treating restless legs syndrome"]


@pytest.mark.parametrize("typed", ["\x00", "iron\x00", "ir\x00on", "\x02iron\x03", "iron\x1b"])
def test_control_characters_in_a_search_are_ignored(client, rls_article, typed):
    response = client.get("/articles/", {"q": typed})

    assert response.status_code == HTTPStatus.OK
    assert "\x00" not in response.context["query"]
    if "iron" in typed:
        assert rls_article.title in [article.title for article in response.context["articles"]]


def test_a_very_long_search_is_cut_to_what_the_box_accepts(client, rls_article):
    response = client.get("/articles/", {"q": "iron " * 1000})

    assert response.status_code == HTTPStatus.OK
    assert len(response.context["query"]) <= 200


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"topic": "\x00"}, HTTPStatus.NOT_FOUND),
        ({"topic": "no-such-topic"}, HTTPStatus.NOT_FOUND),
        ({"page": "\x00"}, HTTPStatus.NOT_FOUND),
        ({"page": "99999"}, HTTPStatus.NOT_FOUND),
        ({"page": "-1"}, HTTPStatus.NOT_FOUND),
        ({"page": "²"}, HTTPStatus.NOT_FOUND),
        ({"page": "last"}, HTTPStatus.OK),
        ({"q": "iron", "page": "\x00"}, HTTPStatus.NOT_FOUND),
    ],
)
def test_odd_list_addresses_answer_not_found_never_an_error(client, clinic_articles, query, status):
    assert client.get("/articles/", query).status_code == status
