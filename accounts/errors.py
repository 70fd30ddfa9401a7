class DomainError(Exception):
    """A rule of the domain refused an action; the message is shown to the user."""

    def __init__(self, message, *, code="invalid", field=None, errors=None):
        super().__init__(message)
        self.message = message
        self.code = code
        # For a form: the field the message belongs to, or several messages by field.
        self.field = field
        self.errors = errors or ({field: [message]} if field else {})

    def __str__(self):
        return str(self.message)


class PermissionDenied(DomainError):
    """The actor may not perform this action on this object."""

    def __init__(self, message=None, *, code="forbidden"):
        from django.utils.translation import gettext

        super().__init__(message or gettext("Vous n'avez pas le droit de faire cela."), code=code)
