from allauth.account.adapter import DefaultAccountAdapter
from django.utils import translation


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        """New accounts receive their messages in the language they signed up in."""
        language = translation.get_language() or "fr"
        user.language = "en" if language.startswith("en") else "fr"
        return super().save_user(request, user, form, commit=commit)
