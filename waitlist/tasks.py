"""The waitlist's background work, run by `manage.py worker`. Arguments are ids, never patient details."""

from django.tasks import task

from waitlist import offers


@task
def offer_freed_time(opening_id: int) -> str:
    return offers.offer_opening(opening_id)
