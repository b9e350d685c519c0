from django.db import models


class Version(models.Model):
    """A number that changes, in the same transaction, whenever something cached may have changed.

    Database triggers (migration 0001) set `number` from a sequence, so a number is never reused,
    not even after a rolled-back change. Cached answers are keyed by it: a change shows at once.
    """

    CONTENT = "content"

    name = models.CharField(primary_key=True, max_length=20)
    number = models.BigIntegerField()
    changed_at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} {self.number}"
