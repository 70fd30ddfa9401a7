"""createsuperuser, whose account can log in at once: the address of a superuser made
from the server's shell is taken as verified (sign-up asks every other account to
confirm its address by email, which a new commune may not have set up yet)."""

from allauth.account.models import EmailAddress
from django.contrib.auth.management.commands import createsuperuser

from accounts.models import User


class Command(createsuperuser.Command):
    def handle(self, *args, **options):
        super().handle(*args, **options)
        database = options.get("database")
        unconfirmed = User.objects.db_manager(database).filter(
            is_superuser=True, emailaddress__isnull=True
        )
        for user in unconfirmed:
            EmailAddress.objects.db_manager(database).create(
                user=user, email=user.email, verified=True, primary=True
            )
