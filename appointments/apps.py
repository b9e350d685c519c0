from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "appointments"
    verbose_name = "Appointments"

    def ready(self):
        from appointments.metrics import notification_families
        from core import metrics

        metrics.read_at_scrape(notification_families)
