"""The demo commune, built through the same services users call. Every function is
idempotent: running the demo twice leaves one copy of everything."""

from django.db import transaction

from .accounts import DEMO_PASSWORD, demo_accounts
from .commune import demo_commune, demo_quartiers
from .initiatives import demo_funds, demo_initiatives, demo_themes
from .ledger import demo_ledger
from .pages import demo_pages


@transaction.atomic
def build_demo():
    demo_pages()
    demo_commune()
    quartiers = demo_quartiers()
    accounts = demo_accounts(quartiers)
    themes = demo_themes()
    funds = demo_funds(quartiers)
    instructor, author = accounts[1], accounts[0]
    initiatives = demo_initiatives(funds, themes, instructor, author)
    demo_ledger(funds, instructor)
    return {
        "quartiers": quartiers,
        "accounts": accounts,
        "funds": funds,
        "initiatives": initiatives,
    }


__all__ = ["DEMO_PASSWORD", "build_demo"]
