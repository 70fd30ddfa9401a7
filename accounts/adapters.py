from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit
from django.utils import translation

from . import lockout


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        """New accounts receive their messages in the language they signed up in."""
        language = translation.get_language() or "fr"
        user.language = "en" if language.startswith("en") else "fr"
        return super().save_user(request, user, form, commit=commit)

    def _get_login_attempts_cache_key(self, request, **credentials):
        return lockout.account_key(credentials.get("email") or credentials.get("username"))

    def pre_authenticate(self, request, **credentials):
        """Count this password attempt before it is checked (see accounts.lockout): from
        a browser where the account signed in before, against that browser only; from
        anywhere else, against the client address and the account. A full count refuses
        the attempt with a way to unlock by email; it never blocks the known browser."""
        key = self._get_login_attempts_cache_key(request, **credentials)
        device = lockout.known_device(request, key)
        if device is None:
            action, counted_as = "login_failed", key
        else:
            action, counted_as = "login_failed_device", f"{key}:{device}"
        # allauth rolls this back when the password turns out right.
        self._login_failed_rl_usage = ratelimit.consume(
            request, app="allauth.account", action=action, key=counted_as
        )
        if not self._login_failed_rl_usage:
            raise lockout.locked_error()

    def post_login(self, request, user, **kwargs):
        """Every completed login (password, second factor, email confirmation) makes this
        browser a known one for the account."""
        response = super().post_login(request, user, **kwargs)
        keys = lockout.account_keys(user)
        if kwargs.get("email"):
            keys.insert(0, lockout.account_key(kwargs["email"]))
        lockout.remember_device(request, response, keys)
        return response
