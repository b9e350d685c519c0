from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Health articles"

    def ready(self):
        from articles.risk_factors import ensure_defaults

        post_migrate.connect(ensure_defaults, sender=self, dispatch_uid="articles_risk_factors")
