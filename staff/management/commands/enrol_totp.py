from base64 import b32encode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = (
        "Give a staff member an authenticator app (TOTP) for the admin's second factor and print "
        "the otpauth:// link and key to add to the app. Hand them over in person, never by email."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="Authenticator app", help="Label for the device.")
        parser.add_argument(
            "--replace", action="store_true", help="Remove the user's existing authenticator apps first (lost phone)."
        )

    def handle(self, *args, username, name, replace, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist as error:
            raise CommandError(f"No user named {username!r}.") from error
        if not user.is_staff:
            raise CommandError(f"{username} is not a staff member; tick 'Staff status' in the admin first.")
        existing = TOTPDevice.objects.filter(user=user)
        if existing.exists() and not replace:
            raise CommandError(f"{username} already has an authenticator app. Use --replace to issue a new one.")
        if replace:
            existing.delete()
        device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
        key = b32encode(device.bin_key).decode()
        self.stdout.write(f"Authenticator app enrolled for {username} ({settings.OTP_TOTP_ISSUER}).")
        self.stdout.write(f"Key (type it into the app, time-based, 6 digits, 30 seconds): {key}")
        self.stdout.write(f"Or open / scan this link: {device.config_url}")
