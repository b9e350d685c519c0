"""What other apps may hear about the schedule, without this app knowing them (the waitlist listens)."""

from django.dispatch import Signal

# Sent inside the transaction that frees a stretch of a specialist's time (a cancellation, a decline,
# a move): provider_id, location_id, starts_at, ends_at (the old busy-until), cause, freed_by.
time_freed = Signal()
