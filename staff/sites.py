"""The admin site with a second factor (TOTP) for staff, required unless TRUFFLES_REQUIRE_2FA is off."""

from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp import devices_for_user, match_token
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.plugins.otp_totp.models import TOTPDevice


def two_factor_required() -> bool:
    return settings.TRUFFLES_REQUIRE_2FA


class StaffLoginForm(OTPAdminAuthenticationForm):
    """Password and code checked together, with one answer for any failure.

    A separate "now enter your code" step would tell a stranger the password was right, and a wrong
    code after a right password would not count toward the lockout (django-axes counts failed
    authentications): here every failure is the same message and the same count, and nothing typed
    is rendered back.
    """

    failure_message = (
        "Please enter the correct username, password and current code from your authenticator app. "
        "All three are checked together. No authenticator app yet? Ask the clinic manager to enrol one."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        token = self.fields["otp_token"]
        token.label = "Code from your authenticator app"
        token.widget.attrs.update(
            {"autocomplete": "one-time-code", "inputmode": "numeric", "aria-describedby": "otp-help"}
        )

    def clean(self):
        try:
            AdminAuthenticationForm.clean(self)  # the password; a wrong one is counted by axes
        except ValidationError:
            if self.user_cache is None:
                self._check_code_and_undo()
            self._refuse()
        with transaction.atomic():  # the same shape as the check above, kept (the throttle counts)
            code_error = self._code_error(self.get_user())
        if code_error:
            self._refuse()
        return self.cleaned_data

    def _code_error(self, user) -> ValidationError | None:
        try:
            self.clean_otp(user)
        except ValidationError as error:
            return error
        return None

    def _check_code_and_undo(self):
        """A wrong password costs what a right one does: the same code check, then rolled back.

        Without it a right password with a wrong code answered later (the device lookups and the
        throttle write), and that difference told a stranger the password was right. Rolling back
        leaves the authenticator's throttle and last-used code to the checks that had the password.
        """
        token = self.cleaned_data.get("otp_token") or ""
        with transaction.atomic():
            # clean_otp's two steps (has a device; match_token) on the named user's devices, by name in the
            # same query: the backend did not hand us the user it loaded, and one more query would show.
            devices = TOTPDevice.objects.filter(user__username=self.cleaned_data.get("username"), confirmed=True)
            if list(devices) and token:
                with transaction.atomic():
                    for device in devices.select_for_update(of=("self",)):
                        if device.verify_token(token):
                            break
            transaction.set_rollback(True)

    def _refuse(self):
        if self.user_cache is not None:  # right password, wrong or missing code: count it too
            user_login_failed.send(
                sender=__name__, credentials={"username": self.cleaned_data.get("username", "")},
                request=self.request,
            )
        self.user_cache = None
        raise ValidationError(self.failure_message, code="invalid_login") from None

    def clean_otp(self, user):
        if user is not None and not list(devices_for_user(user, confirmed=True)):
            raise ValidationError("No authenticator app", code="no_device")
        return super().clean_otp(user)

    def _chosen_device(self, user):
        # Staff are never asked to pick a device: a code is tried against each of theirs.
        return None

    def _verify_token(self, user, token, device=None):
        verified = match_token(user, token)
        if verified is None:
            raise ValidationError("Wrong code", code="invalid_token")
        return verified

    def _update_form(self, user):
        # django-otp would list the user's devices and echo the password back: reveal nothing.
        return


class StaffAdminSite(OTPAdminSite):
    """The clinic's admin (`admin.site`, through staff.apps.StaffAdminConfig): the staff's workplace."""

    site_header = "Truffles Vein Specialists — staff"
    site_title = "Truffles staff"
    index_title = "Clinic administration"
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
