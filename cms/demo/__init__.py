"""The demo commune, built through the same services users call. Every function is
idempotent: running the demo twice leaves one copy of everything."""

from django.db import transaction

from fonds.models import Initiative
from fonds.notifications import notifications_muted

from .accounts import DEMO_PASSWORD, demo_accounts
from .commune import demo_commune, demo_quartiers
from .councils import demo_councils, demo_open_session, demo_past_session
from .initiatives import demo_funds, demo_initiatives, demo_themes
from .ledger import demo_envelopes, demo_payments
from .pages import demo_pages
from .reports import demo_reports


def build_demo():
    with notifications_muted(), transaction.atomic():
        return _build()


def _build():
    demo_pages()
    demo_commune()
    quartiers = demo_quartiers()
    accounts = demo_accounts(quartiers)
    themes = demo_themes()
    funds = demo_funds(quartiers)
    instructor, author = accounts[1], accounts[0]
    initiatives = demo_initiatives(funds, themes, instructor, author)
    demo_envelopes(funds)
    councils = demo_councils(quartiers, chair=accounts[3], councillor=accounts[2])
    for index, council in enumerate(councils):
        admissible = list(
            Initiative.objects.filter(
                fund__quartier=council.quartier, status=Initiative.Status.ADMISSIBLE
            ).order_by("pk")
        )
        # In the first quartier one admissible dossier waits for today's session.
        demo_past_session(council, instructor, admissible[1:] if index == 0 else admissible)
    demo_open_session(councils[0], instructor)
    demo_payments(funds)
    demo_reports(funds, instructor)
    return {
        "quartiers": quartiers,
        "accounts": accounts,
        "funds": funds,
        "initiatives": initiatives,
    }


__all__ = ["DEMO_PASSWORD", "build_demo"]
