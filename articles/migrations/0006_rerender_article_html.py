"""Re-render stored article HTML: section anchors now start with "sec-" and images from other
sites are dropped. Rendering happens on save, so rows saved before this change keep the old HTML."""

from django.db import migrations

from articles import markdown


def rerender(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    for article in Article.objects.only("pk", "body").iterator():
        rendered = markdown.render(article.body)
        Article.objects.filter(pk=article.pk).update(
            body_html=rendered.html, body_text=rendered.text, toc=rendered.toc,
            reading_minutes=rendered.reading_minutes,
        )


class Migration(migrations.Migration):

    dependencies = [("articles", "0005_risk_factor_is_cause")]

    operations = [migrations.RunPython(rerender, migrations.RunPython.noop, elidable=True)]
