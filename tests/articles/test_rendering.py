import io
import re

import pytest

from articles.markdown import render

pytestmark = pytest.mark.django_db

HOSTILE_MARKDOWN = """
## Symptoms

<script>alert("stolen")</script>
<img src="x.png" onerror="alert('stolen')">
[Click me](javascript:alert(document.cookie))
<a href="/ok" onclick="alert('stolen')">fine link</a>
<iframe src="https://evil.example"></iframe>
<p style="position:fixed">styled</p>
"""


def test_script_in_markdown_never_reaches_the_page(client, make_article):
    article = make_article(body=HOSTILE_MARKDOWN)
    page = client.get(article.get_absolute_url()).text
    body = page[page.index('class="article-body"') :]
    assert "stolen" not in body
    assert "alert(" not in body
    assert "<iframe" not in body
    assert "javascript:" not in body
    assert 'style="' not in body
    assert '<a href="/ok" rel="noopener noreferrer">fine link</a>' in body


def test_markdown_is_rendered_once_on_save(make_article):
    article = make_article(body="Some **bold** advice.")
    assert article.body_html == "<p>Some <strong>bold</strong> advice.</p>"
    article.body = "Now *different*."
    article.save(update_fields=["body"])
    article.refresh_from_db()
    assert article.body_html == "<p>Now <em>different</em>.</p>"


def test_headings_get_anchors_for_the_table_of_contents(client, make_article):
    article = make_article(body="## What is it?\n\nText.\n\n### In children\n\nMore.\n\n## Causes & triggers\n\nText.")
    page = client.get(article.get_absolute_url()).text
    assert '<h2 id="sec-what-is-it">What is it?</h2>' in page
    assert '<h3 id="sec-in-children">In children</h3>' in page
    assert '<a href="#sec-what-is-it">What is it?</a>' in page
    assert '<a href="#sec-in-children">In children</a>' in page
    assert '<a href="#sec-causes-triggers">Causes &amp; triggers</a>' in page


def test_the_page_has_a_single_h1_even_when_the_body_uses_one(client, make_article):
    article = make_article(title="The real title", body="# Another title\n\nText.")
    page = client.get(article.get_absolute_url()).text
    assert page.count("<h1") == 1
    assert '<h2 id="sec-another-title">Another title</h2>' in page


def test_reading_time_counts_the_words():
    assert render("word " * 199).reading_minutes == 1
    assert render("word " * 1001).reading_minutes == 6


def test_section_anchors_never_take_an_id_the_page_already_uses(client, make_article):
    article = make_article(body='## Main\n\nText.\n\n## Toc title\n\nText.\n\n<h2 id="article-title">Raw</h2>')
    page = client.get(article.get_absolute_url()).text

    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted(ids)
    assert '<h2 id="sec-main">Main</h2>' in page
    assert '<a href="#sec-toc-title">Toc title</a>' in page
    assert '<h2 id="sec-article-title">Raw</h2>' in page


@pytest.mark.parametrize(
    "source",
    [
        "![Tracker](https://tracker.example/pixel.png?who=reader)",
        '<img src="http://tracker.example/pixel.png" alt="Tracker">',
        '<img src="//tracker.example/pixel.png" alt="Tracker">',
        '<img src="/\\tracker.example/pixel.png" alt="Tracker">',
        '<img src=" HTTPS://tracker.example/pixel.png" alt="Tracker">',
    ],
)
def test_images_from_other_sites_never_reach_the_reader(source):
    assert "tracker.example" not in render(source).html


def test_images_on_our_own_site_are_kept():
    html = render("![Compression stockings](/media/articles/stockings.png)").html
    assert '<img alt="Compression stockings" src="/media/articles/stockings.png">' in html


def test_articles_saved_before_a_renderer_change_are_rendered_again_by_the_command(make_article):
    from django.core.management import call_command

    from articles.models import Article

    article = make_article(body="## What is it?\n\n![x](https://tracker.example/p.png)")
    Article.objects.filter(pk=article.pk).update(body_html='<h2 id="what-is-it">What is it?</h2>', toc=[])

    call_command("rerender_articles", stdout=io.StringIO())

    article.refresh_from_db()
    assert '<h2 id="sec-what-is-it">' in article.body_html
    assert "tracker.example" not in article.body_html
    assert article.toc[0]["id"] == "sec-what-is-it"
