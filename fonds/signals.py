"""What fonds tells the apps that build on it. Sent after the commit only, so that a
receiver never acts on a row that was rolled back; a receiver's failure is logged and
never undoes the change (the row is already committed)."""

from django.dispatch import Signal

# Sent with ``quartier``: the new quartier, committed (``quartier_create``). The site
# (cms) gives it its page.
quartier_created = Signal()
