from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    name = "waitlist"
    verbose_name = "Waitlist"

    def ready(self):
        from waitlist import signals  # noqa: F401  (new working hours and removed closures free time)
