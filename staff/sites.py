"""The admin site with a second factor (TOTP) for staff, required unless TRUFFLES_REQUIRE_2FA is off."""

from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django_otp import devices_for_user
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite


def two_factor_required() -> bool:
    return settings.TRUFFLES_REQUIRE_2FA


class StaffLoginForm(OTPAdminAuthenticationForm):
    otp_error_messages = {
        **OTPAdminAuthenticationForm.otp_error_messages,
        "token_required": "Enter the 6-digit code from your authenticator app.",
        "invalid_token": "That code is not valid. Enter the current 6-digit code from your authenticator app.",
        "device_required": "Choose the authenticator app you are using.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        token = self.fields["otp_token"]
        token.label = "Code from your authenticator app"
        token.widget.attrs.update(
            {"autocomplete": "one-time-code", "inputmode": "numeric", "aria-describedby": "otp-help"}
        )

    def clean_otp(self, user):
        if user is not None and not list(devices_for_user(user, confirmed=True)):
            raise ValidationError(
                "Your account has no authenticator app yet. Ask the clinic manager to enrol one "
                "(manage.py enrol_totp).",
                code="no_device",
            )
        return super().clean_otp(user)

    def _chosen_device(self, user):
        # Most staff have one authenticator app: use it without asking them to pick it.
        device = super()._chosen_device(user)
        if device is None:
            devices = list(devices_for_user(user, confirmed=True))
            if len(devices) == 1:
                device = devices[0]
        return device


class StaffAdminSite(OTPAdminSite):
    login_template = "staff/login.html"

    @property
    def login_form(self):
        return StaffLoginForm if two_factor_required() else AdminAuthenticationForm

    def has_permission(self, request):
        if two_factor_required():
            return super().has_permission(request)
        return AdminSite.has_permission(self, request)

    def each_context(self, request):
        context = super().each_context(request)
        context["two_factor_required"] = two_factor_required()
        return context
