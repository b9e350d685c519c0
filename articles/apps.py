from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Health articles"

    def ready(self):
        from articles.checks import placeholder_reviewers
        from articles.risk_factors import ensure_defaults

        checks.register(placeholder_reviewers, "content", deploy=True)
        post_migrate.connect(ensure_defaults, sender=self, dispatch_uid="articles_risk_factors")
