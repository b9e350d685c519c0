from django.contrib.postgres.fields import ArrayField
from django.db import models


class Version(models.Model):
    """A number that changes, in the same transaction, whenever something cached may have changed.

    Database triggers set `number` from a sequence, so a number is never reused, not even after a
    rolled-back change; cached answers are keyed by it, so a change shows at once. The triggers live
    with the tables they watch (articles: "content"; appointments: "schedule").
    """

    CONTENT = "content"
    SCHEDULE = "schedule"

    name = models.CharField(primary_key=True, max_length=20)
    number = models.BigIntegerField()
    changed_at = models.DateTimeField()
    # Times still to come that change what is shown without any write (scheduled publications).
    scheduled = ArrayField(models.DateTimeField(), default=list)

    def __str__(self):
        return f"{self.name} {self.number}"
