import sys

from django.core.management.base import BaseCommand

from fonds.verify import verify_ledger


class Command(BaseCommand):
    help = "Ledger tools. `ledger verify` replays every hash chain and balance."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args, action, **options):
        report = verify_ledger()
        for slug, (sequence, head) in report.heads.items():
            self.stdout.write(f"{slug}: {sequence} transactions, head {head}")
        if not report.ok:
            self.stderr.write(f"ledger verify FAILED at {report.error}")
            sys.exit(1)
        self.stdout.write(
            self.style.SUCCESS(f"ledger verify OK: {report.transactions} transactions replayed.")
        )
