from django.apps import AppConfig


class TrufflesConfig(AppConfig):
    name = "truffles"
    verbose_name = "Truffles site"
