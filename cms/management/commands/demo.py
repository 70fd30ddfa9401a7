from django.core.management.base import BaseCommand

from cms.demo import DEMO_PASSWORD, build_demo
from cms.demo.accounts import demo_logins


class Command(BaseCommand):
    help = "Load (or complete) the demo commune. Safe to run again."

    def handle(self, *args, **options):
        result = build_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo ready: {len(result['quartiers'])} quartiers."))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for email, description in demo_logins():
            self.stdout.write(f"  {email:42} {description}")
