import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from fonds.anchors import AnchorError, anchor_line, check_anchors, ledger_anchor, read_anchors
from fonds.verify import verify_ledger


class Command(BaseCommand):
    help = (
        "Ledger tools. `ledger verify` replays every hash chain and balance, then "
        "cross-checks them with the audit log, the grants, the published decisions and "
        "the signed minutes; with --anchors FILE it also checks that the chains still "
        "extend every anchor of FILE. `ledger anchor` prints the current anchor (a dated "
        "digest of every fund's head) as one JSON line, for the commune to publish."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "anchor"])
        parser.add_argument(
            "--anchors",
            metavar="FILE",
            help="verify: published anchors (a JSON list, or one JSON anchor per line)",
        )

    def handle(self, *args, action, anchors=None, **options):
        if action == "anchor":
            if anchors:
                raise CommandError("--anchors goes with `ledger verify`.")
            self.stdout.write(anchor_line(ledger_anchor()))
            return
        published = self._read(anchors) if anchors else None
        report = verify_ledger()
        for slug, (sequence, head) in report.heads.items():
            self.stdout.write(f"{slug}: {sequence} transactions, head {head}")
        if report.ok and published is not None:
            report.error = check_anchors(published, report.heads)
        if not report.ok:
            self.stderr.write(f"ledger verify FAILED at {report.error}")
            sys.exit(1)
        self.stdout.write(
            self.style.SUCCESS(f"ledger verify OK: {report.transactions} transactions replayed.")
        )
        self.stdout.write(f"Cross-checks passed: {', '.join(report.checks)}.")
        if published is not None:
            self.stdout.write(f"The chains extend all {len(published)} anchors of {anchors}.")

    def _read(self, path):
        try:
            return read_anchors(Path(path).read_text(encoding="utf-8"))
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        except (AnchorError, UnicodeDecodeError) as error:
            raise CommandError(f"{path}: {error}.") from None
