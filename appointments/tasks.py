"""Background work, run by `manage.py worker` (django-tasks-db). Arguments are ids, never patient details."""

from django.tasks import task

from appointments import notifications


@task
def deliver_message(message_id: int) -> str:
    return notifications.deliver(message_id)
