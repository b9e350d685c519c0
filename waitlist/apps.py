from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    name = "waitlist"
    verbose_name = "Waitlist"

    def ready(self):
        from appointments import replies
        from waitlist import signals  # noqa: F401  (new working hours and removed closures free time)
        from waitlist.replies import take_offer

        replies.add_keyword("Y", take_offer)
