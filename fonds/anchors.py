"""Anchors: a dated digest of every fund's chain head, which the commune publishes (the
decisions feed and page carry the current one) so that copies kept outside its
database — by readers, archives, the prefecture — later show whether the ledger still
extends what it was. `ledger anchor` prints one; `ledger verify --anchors FILE` checks
a file of them.

An anchor is one JSON object: ``at`` (when it was taken, UTC), ``funds`` (each fund's
slug → ``sequence`` and ``hash`` of its chain's head) and ``digest``, the SHA-256 of
the canonical JSON of ``funds`` — the same heads give the same digest, whenever taken."""

import datetime
import hashlib
import json
from dataclasses import dataclass

from django.utils import timezone

from .ledger import GENESIS
from .models import LedgerAccount, LedgerTransaction


class AnchorError(ValueError):
    """A file of anchors that cannot be read (the command says which line)."""


def _canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def anchor_digest(funds):
    return hashlib.sha256(_canonical(funds).encode()).hexdigest()


def ledger_anchor(at=None):
    """The current anchor, from the funds' available accounts (which hold their chain's
    head): one query whatever the number of funds."""
    at = at or timezone.now()
    funds = {
        slug: {"sequence": sequence, "hash": head}
        for slug, sequence, head in LedgerAccount.objects.filter(
            kind=LedgerAccount.Kind.FUND_AVAILABLE
        )
        .order_by("fund__slug")
        .values_list("fund__slug", "head_sequence", "head_hash")
    }
    return {
        "at": at.astimezone(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "funds": funds,
        "digest": anchor_digest(funds),
    }


@dataclass(frozen=True)
class PublishedAnchor:
    """The current anchor as the decisions page and feed show it."""

    taken_at: datetime.datetime
    anchor: dict

    @property
    def digest(self):
        return self.anchor["digest"]

    @property
    def heads(self):
        return [
            (slug, head["sequence"], head["hash"]) for slug, head in self.anchor["funds"].items()
        ]

    @property
    def line(self):
        return anchor_line(self.anchor)


def current_anchor():
    now = timezone.now()
    return PublishedAnchor(now, ledger_anchor(now))


def anchor_line(anchor):
    """One anchor as the single line `ledger anchor` prints and the feed carries."""
    return json.dumps(anchor, ensure_ascii=False, separators=(",", ":"))


def _valid(anchor):
    if not isinstance(anchor, dict) or not isinstance(anchor.get("funds"), dict):
        return False
    return all(
        isinstance(head, dict)
        and isinstance(head.get("sequence"), int)
        and head["sequence"] >= 0
        and isinstance(head.get("hash"), str)
        for head in anchor["funds"].values()
    )


def read_anchors(text):
    """The anchors of a file: a JSON list of anchors, or one anchor per line (blank
    lines and lines starting with # are skipped)."""
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            anchors = json.loads(stripped)
        except ValueError as error:
            raise AnchorError(f"the anchors file is not valid JSON: {error}") from None
        if not isinstance(anchors, list):
            anchors = [anchors]
        numbered = list(enumerate(anchors, start=1))
    else:
        numbered = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                numbered.append((number, json.loads(line)))
            except ValueError:
                raise AnchorError(f"line {number} of the anchors file is not JSON") from None
    for number, anchor in numbered:
        if not _valid(anchor):
            raise AnchorError(
                f'anchor {number} of the file is not an anchor: it needs "funds", '
                'each fund with its "sequence" and "hash"'
            )
    if not numbered:
        raise AnchorError("the anchors file holds no anchor")
    return [anchor for _number, anchor in numbered]


def check_anchors(anchors, heads):
    """The first anchor the ledger no longer extends, as a message naming the anchor's
    date and the fund, or None. ``heads`` are the replayed heads (fund slug →
    (sequence, hash)) of a ledger that `verify_ledger` found whole: the chain extends
    an anchored head when its transaction of that sequence has that hash."""
    wanted = {}
    for anchor in anchors:
        for slug, head in anchor["funds"].items():
            wanted.setdefault(slug, set()).add(head["sequence"])
    stored = {}
    for slug, sequences in wanted.items():
        if slug in heads:
            stored[slug] = dict(
                LedgerTransaction.objects.filter(
                    fund__slug=slug, sequence__in=sequences
                ).values_list("sequence", "hash")
            )
    for anchor in anchors:
        name = f"anchor of {anchor.get('at', '(undated)')}"
        if anchor.get("digest") is not None and anchor["digest"] != anchor_digest(anchor["funds"]):
            return f"{name}: its digest does not match the heads it lists (the copy was altered)"
        for slug, head in sorted(anchor["funds"].items()):
            sequence = head["sequence"]
            if slug not in heads:
                return f"{name}: fund {slug} is missing from the ledger"
            if sequence > heads[slug][0]:
                return (
                    f"{name}: fund {slug} had {sequence} transactions, its chain now holds "
                    f"only {heads[slug][0]}"
                )
            found = GENESIS if sequence == 0 else stored[slug].get(sequence)
            if found != head["hash"]:
                return (
                    f"{name}: fund {slug}, transaction sequence {sequence} no longer has the "
                    f"anchored hash {head['hash']} (the chain was rewritten)"
                )
    return None
