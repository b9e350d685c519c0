import shutil
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from articles.management.commands.load_articles import CONTENT_DIR
from articles.models import Article, Reference, Topic

pytestmark = pytest.mark.django_db


def load(directory=CONTENT_DIR):
    output = StringIO()
    call_command("load_articles", directory=directory, stdout=output)
    return output.getvalue()


def snapshot():
    return sorted(
        (article.slug, article.updated_at, article.body_html, tuple(article.risk_factors.values_list("pk")))
        for article in Article.objects.all()
    )


def test_loader_brings_in_the_clinics_articles():
    assert load() == "Articles from articles/: 3 created, 0 updated, 0 unchanged.\n"
    rls = Article.objects.get(slug="restless-legs-syndrome-causes")
    assert rls.title == "What causes restless legs syndrome?"
    assert rls in Article.objects.published()
    assert set(rls.risk_factors.values_list("slug", flat=True)) == {
        "family-history", "iron-deficiency", "pregnancy", "kidney-disease",
        "diabetes", "peripheral-neuropathy", "medications",
    }  # fmt: skip
    assert rls.references.count() == 13
    assert Topic.objects.get(slug="restless-legs-syndrome").alternate_name == "Willis-Ekbom disease"


def test_loading_twice_changes_nothing():
    load()
    before = snapshot()
    references = Reference.objects.count()
    assert load() == "Articles from articles/: 0 created, 0 updated, 3 unchanged.\n"
    assert snapshot() == before
    assert Reference.objects.count() == references
    assert Topic.objects.count() == 4


def test_edits_staff_make_in_the_admin_survive_a_reload():
    load()
    Article.objects.filter(slug="restless-legs-syndrome-causes").update(reviewer_name="Dr. Real Reviewer")
    load()
    assert Article.objects.get(slug="restless-legs-syndrome-causes").reviewer_name == "Dr. Real Reviewer"


def test_a_changed_file_updates_its_article(tmp_path):
    directory = tmp_path / "articles"
    shutil.copytree(CONTENT_DIR, directory)
    load(directory)
    path = directory / "restless-legs-syndrome-treatment.md"
    path.write_text(path.read_text().replace("Treating restless legs syndrome", "Treating restless legs"))
    assert load(directory) == "Articles from articles/: 0 created, 1 updated, 2 unchanged.\n"
    assert Article.objects.get(slug="restless-legs-syndrome-treatment").title == "Treating restless legs"
    assert Reference.objects.filter(article__slug="restless-legs-syndrome-treatment").count() == 12


def test_the_demo_reviewer_is_clearly_a_placeholder():
    load()
    for article in Article.objects.all():
        assert "placeholder" in article.reviewer_name.lower()
        assert "placeholder" in article.reviewer_credentials.lower()


def test_an_unknown_risk_factor_stops_the_load_without_a_half_loaded_article(tmp_path):
    (tmp_path / "bad.md").write_text(
        "---\ntitle: Bad\nsummary: S\nreviewer: {name: Dr. X}\nlast_reviewed: 2026-01-01\n"
        "published_at: 2026-01-01T09:00:00Z\nrisk_factors: [broken-leg]\n---\nBody\n"
    )
    with pytest.raises(CommandError, match="unknown risk factor slugs: broken-leg"):
        load(tmp_path)
    assert not Article.objects.filter(slug="bad").exists()


def test_an_unreviewed_file_cannot_be_published_by_the_loader(tmp_path):
    (tmp_path / "unreviewed.md").write_text("---\ntitle: Unreviewed\nsummary: S\n---\nBody\n")
    with pytest.raises(CommandError, match="Name the medical reviewer before publishing"):
        load(tmp_path)


def test_make_run_loads_the_articles():
    call_command("load_demo", verbosity=0)
    assert Article.objects.published().count() == 3
