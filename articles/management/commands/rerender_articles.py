from django.core.management.base import BaseCommand

from articles import markdown
from articles.models import Article


class Command(BaseCommand):
    help = "Render every article's stored HTML again with the current renderer (run after a renderer change)."

    def handle(self, *args, **options):
        count = 0
        for article in Article.objects.only("pk", "body").iterator():
            rendered = markdown.render(article.body)
            count += Article.objects.filter(pk=article.pk).update(
                body_html=rendered.html, body_text=rendered.text, toc=rendered.toc,
                reading_minutes=rendered.reading_minutes,
            )
        self.stdout.write(f"Rendered {count} articles again.")
