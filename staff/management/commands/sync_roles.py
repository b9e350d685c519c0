from django.core.management.base import BaseCommand

from staff.roles import apply_roles


class Command(BaseCommand):
    help = "Create the staff groups and set their permissions to exactly those in staff/roles.py."

    def handle(self, *args, **options):
        for role, count in apply_roles().items():
            self.stdout.write(f"{role}: {count} permissions")
