from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    name = "waitlist"
    verbose_name = "Waitlist"

    def ready(self):
        from appointments import insights, replies
        from waitlist import signals  # noqa: F401  (new working hours and removed closures free time)
        from waitlist.insights import SECTION
        from waitlist.replies import take_offer

        replies.add_keyword("Y", take_offer)
        insights.add_section(SECTION)  # the manager's Insights page shows the waitlist's offers and refills
