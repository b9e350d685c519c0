"""Where the waitlist hears of freed time: the booking steps' `time_freed`, and the schedule's configuration
(new working hours, a closure removed), which staff change in the admin's plain forms and inlines.
"""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from appointments.models import Closure, WorkingHours
from appointments.signals import time_freed
from waitlist import openings


@receiver(time_freed)
def offer_freed_time(sender, *, provider_id, location_id, starts_at, ends_at, cause, freed_by=None, **kwargs):
    openings.time_freed(provider_id=provider_id, location_id=location_id, starts_at=starts_at, ends_at=ends_at,
                        cause=cause, freed_by=freed_by)  # fmt: skip


@receiver(pre_save, sender=WorkingHours)
def remember_old_hours(sender, instance: WorkingHours, **kwargs):
    instance._hours_before = (
        WorkingHours.objects.filter(pk=instance.pk).values_list("weekday", "starts_at", "ends_at").first()
        if instance.pk else None
    )


@receiver(post_save, sender=WorkingHours)
def offer_new_hours(sender, instance: WorkingHours, created: bool, **kwargs):
    before = getattr(instance, "_hours_before", None)
    after = (instance.weekday, instance.starts_at, instance.ends_at)
    # Only more time frees anything: a new block, or one that starts earlier, ends later, or moved day.
    if created or before is None or before[0] != after[0] or after[1] < before[1] or after[2] > before[2]:
        openings.hours_added(instance)


@receiver(post_delete, sender=Closure)
def offer_reopened_time(sender, instance: Closure, **kwargs):
    openings.closure_removed(instance.provider_id, instance.starts_at, instance.ends_at)
