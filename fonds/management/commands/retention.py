from django.core.management.base import BaseCommand

from accounts.system import system_actor
from fonds.retention import retention_run

LINES = (
    ("drafts", "abandoned drafts"),
    ("draft_files", "files of abandoned drafts"),
    ("dossiers", "closed dossiers past their retention period"),
    ("dossier_files", "files of those dossiers"),
    ("ip_addresses", "IP addresses older than a year"),
    ("sessions", "expired sessions"),
    ("task_results", "finished task results"),
    ("exports", "expired « Mes données » exports"),
)


class Command(BaseCommand):
    help = (
        "Delete what the retention periods no longer allow to keep (abandoned drafts, "
        "files of closed dossiers, old IP addresses, expired sessions, task results and "
        "exports). Run it daily; a second run the same day finds nothing to do."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would go; change nothing."
        )

    def handle(self, *args, dry_run, **options):
        counts = retention_run(actor=system_actor("retention"), dry_run=dry_run)
        verb = "to delete (dry run, nothing changed)" if dry_run else "deleted"
        for key, label in LINES:
            self.stdout.write(f"{label}, {verb}: {counts[key]}")
        if not dry_run:
            self.stdout.write(self.style.SUCCESS("retention done: one audit row written."))
