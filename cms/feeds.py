from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Rss201rev2Feed
from django.utils.translation import gettext_lazy as _

from fonds.anchors import anchor_line, ledger_anchor
from fonds.money import euros
from votes.selectors import public_decisions

ANCHOR_NAMESPACE = "urn:fonds-quartiers:ledger-anchor:1"


class DecisionRss(Rss201rev2Feed):
    """RSS 2.0 whose channel carries the ledger's current anchor (``fq:ledgerAnchor``,
    the line `manage.py ledger anchor` prints): each copy of the feed kept elsewhere is
    a published anchor that `ledger verify --anchors` can check."""

    def rss_attributes(self):
        return super().rss_attributes() | {"xmlns:fq": ANCHOR_NAMESPACE}

    def add_root_elements(self, handler):
        super().add_root_elements(handler)
        anchor = self.feed["ledger_anchor"]
        handler.addQuickElement(
            "fq:ledgerAnchor",
            anchor_line(anchor),
            {"at": anchor["at"], "digest": anchor["digest"]},
        )


class DecisionFeed(Feed):
    """The last published decisions of every council, newest first, and the ledger's
    current anchor."""

    feed_type = DecisionRss
    title = _("Les décisions des conseils de quartier")
    description = _("Chaque décision publiée : l'initiative, le quartier, le montant accordé.")
    limit = 50

    def link(self):
        return "/decisions/"

    def items(self):
        return public_decisions()[: self.limit]

    def feed_extra_kwargs(self, obj):
        return {"ledger_anchor": ledger_anchor()}

    def item_title(self, item):
        return f"{item.reference} — {item.item.initiative.title}"

    def item_description(self, item):
        parts = [
            item.item.session.council.quartier.name,
            str(item.get_outcome_display()),
        ]
        if item.amount:
            parts.append(euros(item.amount))
        return " · ".join(parts)

    def item_link(self, item):
        return reverse("decision_detail", args=[item.reference])

    def item_pubdate(self, item):
        return item.published_at

    def item_guid(self, item):
        return item.reference

    item_guid_is_permalink = False
