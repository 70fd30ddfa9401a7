"""Give the application's PostgreSQL role its rights (run as the owner, after migrate)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from accounts.dbroles import grant_application_role, role_problems


class Command(BaseCommand):
    help = (
        "Grant the application's role (DATABASE_APP_ROLE) exactly its rights: no UPDATE, "
        "DELETE or TRUNCATE on the protected tables, ownership of nothing. Run it connected "
        "as the owner; migrate runs it too when DATABASE_APP_ROLE is set."
    )

    def add_arguments(self, parser):
        parser.add_argument("--role", default=None, help="the application's role")
        parser.add_argument(
            "--check", action="store_true", help="only check the role, grant nothing"
        )

    def handle(self, *args, role=None, check=False, **options):
        role = role or settings.DATABASE_APP_ROLE
        if connection.vendor != "postgresql":
            raise CommandError("database roles exist on PostgreSQL only.")
        if not role:
            raise CommandError("name the application's role: --role or DATABASE_APP_ROLE.")
        if not check:
            grant_application_role(role)
        problems = role_problems(role)
        if problems:
            raise CommandError("; ".join(problems))
        done = "owns nothing" if check else "rights granted, owns nothing"
        self.stdout.write(f"role {role}: {done}, not privileged.")
