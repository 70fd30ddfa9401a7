"""The deliberative rules of a council, as pure functions.

No model, no database, no clock: every input is passed in, every result is a frozen
value, and the same inputs always give the same result. Services load the rows, call
these functions, and store what they return; the minutes print the ``rule_text``.

The rules follow the usage of French local councils (CGCT art. L2121-17 and L2121-20,
transposed to conseils de quartier and conseils citoyens by their charters):

* quorum is counted on members *in office* who are physically present — proxies do not
  count — and a session reconvened after a failed quorum deliberates without quorum;
* a member who cannot attend may give a written proxy (pouvoir) to a present member; a
  member holds at most one proxy and gives at most one;
* a member with an interest in an item (déport) takes no part in its vote, neither for
  themself nor for the member whose proxy they hold, and a proxy given by an interested
  member is not used on that item;
* the majority is counted on votes cast (abstentions are not votes cast) unless the
  council's charter sets another rule; on a tie the chair's vote decides, except in a
  secret ballot.

French messages are plain strings: they are shown to the secretary and printed in the
procès-verbal, which is a French legal record. The rule applied to a decision is also
given as a message and its values (``majority_rule_message``), marked for the catalogues,
so that a page in another language can translate what the record says in French.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from accounts.errors import DomainError


def gettext_noop(message: str) -> str:
    """Marks a French message for the translation catalogues and returns it unchanged:
    the rules never translate, the pages do."""
    return message


class RuleError(DomainError, ValueError):
    """Inputs that break a deliberative rule (or contradict each other). ``problems`` lists
    every problem found, in French; the message joins them."""

    def __init__(self, problems: str | Iterable[str]) -> None:
        self.problems: tuple[str, ...] = (
            (problems,) if isinstance(problems, str) else tuple(problems)
        )
        super().__init__(" ".join(self.problems), code="rule")


class Role(enum.StrEnum):
    """A seat on the council. Only an ex officio member (membre de droit, e.g. an elected
    official or an officer of the commune) sits without a deliberative vote."""

    CHAIR = "chair"
    VICE_CHAIR = "vice_chair"
    MEMBER = "member"
    CITIZEN_MEMBER = "citizen_member"
    EX_OFFICIO = "ex_officio"

    @property
    def votes(self) -> bool:
        """Has a deliberative vote, counts for quorum, may give or hold a proxy."""
        return self is not Role.EX_OFFICIO


class QuorumRule(enum.StrEnum):
    MAJORITY_OF_MEMBERS = "majority_of_members"
    """More than half of the voting members in office are present (proxies not counted)."""
    ONE_THIRD = "one_third"
    """At least a third of the voting members in office are present, and at least one."""
    NONE = "none"
    """The council deliberates whoever is present."""


class MajorityRule(enum.StrEnum):
    VOTES_CAST = "votes_cast"
    """More "for" than "against"; abstentions are not votes cast."""
    TWO_THIRDS_OF_CAST = "two_thirds_of_cast"
    """At least two thirds of the votes cast are "for"; abstentions are not votes cast."""
    ABSOLUTE_OF_PRESENT = "absolute_of_present"
    """More than half of the members present and represented on the item vote "for"."""


class VoteMode(enum.StrEnum):
    SHOW_OF_HANDS = "show_of_hands"
    ROLL_CALL = "roll_call"
    SECRET = "secret"


class Choice(enum.StrEnum):
    FOR = "for"
    AGAINST = "against"
    ABSTAIN = "abstain"


class Outcome(enum.StrEnum):
    ADOPTED = "adopted"
    REJECTED = "rejected"


@dataclass(frozen=True, order=True)
class Member:
    """A person sitting on the council. Two values are the same member when all three
    fields are equal; build them once per session from ``members_in_office``."""

    id: int
    name: str
    role: Role

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Mandate:
    """A term of office, from ``start`` to ``end`` inclusive; ``end`` is None while open."""

    member: Member
    start: date
    end: date | None = None

    def covers(self, on_date: date) -> bool:
        return self.start <= on_date and (self.end is None or on_date <= self.end)


@dataclass(frozen=True)
class Proxy:
    """A pouvoir: ``giver`` (absent) asks ``holder`` (present) to vote on their behalf."""

    giver: Member
    holder: Member


class VotingRight(NamedTuple):
    """One vote on one item: ``voter`` casts it, for themself or for a proxy's giver."""

    voter: Member
    on_behalf_of: Member


@dataclass(frozen=True)
class QuorumResult:
    reached: bool
    required: int
    present: int
    in_office: int
    reconvened: bool
    rule_text: str


@dataclass(frozen=True)
class Tally:
    for_: int
    against: int
    abstain: int

    @property
    def cast(self) -> int:
        """Votes cast (suffrages exprimés): abstentions are not votes cast."""
        return self.for_ + self.against

    @property
    def ballots(self) -> int:
        """Every vote taken part in, abstentions included."""
        return self.for_ + self.against + self.abstain


@dataclass(frozen=True)
class DecisionResult:
    outcome: Outcome
    tie: bool
    casting_vote_used: bool
    rule_text: str


def members_in_office(mandates: Iterable[Mandate], on_date: date) -> frozenset[Member]:
    """Members in office (membres en exercice) on ``on_date``: those with a mandate whose
    start and end dates, both inclusive, enclose the date. A member may hold several
    mandates (a renewal); two mandates of the same person with different roles on the same
    day are an error."""
    in_office = frozenset(m.member for m in mandates if m.covers(on_date))
    roles_by_id: dict[int, set[Role]] = {}
    for member in in_office:
        roles_by_id.setdefault(member.id, set()).add(member.role)
    clashes = sorted(mid for mid, roles in roles_by_id.items() if len(roles) > 1)
    if clashes:
        names = ", ".join(sorted(m.name for m in in_office if m.id in clashes))
        raise RuleError(f"Mandats simultanés avec des rôles différents : {names}.")
    return in_office


def quorum(
    *,
    in_office: Collection[Member],
    present: Collection[Member],
    rule: QuorumRule,
    reconvened: bool = False,
) -> QuorumResult:
    """Whether the council may deliberate. Counts only voting members in office who are
    physically present: proxies never count, ex officio members never count.

    * MAJORITY_OF_MEMBERS: more than half of them (exactly half is not enough);
    * ONE_THIRD: at least a third of them, and at least one;
    * NONE: no condition.

    A session reconvened after a failed quorum deliberates without quorum (CGCT art.
    L2121-17): it is reached, with nothing required, and flagged ``reconvened``."""
    strangers = [m for m in present if m not in in_office]
    if strangers:
        raise RuleError(_not_in_office(strangers))
    voting_in_office = sum(1 for m in set(in_office) if m.role.votes)
    voting_present = sum(1 for m in set(present) if m.role.votes)
    if reconvened or rule is QuorumRule.NONE:
        required = 0
    elif rule is QuorumRule.MAJORITY_OF_MEMBERS:
        required = voting_in_office // 2 + 1
    else:
        required = max(1, -(-voting_in_office // 3))
    return QuorumResult(
        reached=voting_present >= required,
        required=required,
        present=voting_present,
        in_office=voting_in_office,
        reconvened=reconvened,
        rule_text=quorum_rule_text(
            rule, reconvened=reconvened, required=required, in_office=voting_in_office
        ),
    )


def quorum_rule_text(rule: QuorumRule, *, reconvened: bool, required: int, in_office: int) -> str:
    """The quorum rule applied, as printed in the minutes."""
    message, params = quorum_rule_message(
        rule, reconvened=reconvened, required=required, in_office=in_office
    )
    return message % params


def quorum_rule_message(
    rule: QuorumRule, *, reconvened: bool, required: int, in_office: int
) -> tuple[str, dict]:
    """The quorum rule applied, as a French message and its values, which the pages
    translate."""
    if reconvened:
        return (
            gettext_noop(
                "Séance reconvoquée après défaut de quorum : délibération sans condition de quorum"
            ),
            {},
        )
    if rule is QuorumRule.NONE:
        return gettext_noop("Aucun quorum requis"), {}
    values = {"required": required, "in_office": in_office}
    if rule is QuorumRule.MAJORITY_OF_MEMBERS:
        return (
            gettext_noop(
                "Quorum : plus de la moitié des membres en exercice présents, soit "
                "%(required)s sur %(in_office)s (pouvoirs non comptés)"
            ),
            values,
        )
    return (
        gettext_noop(
            "Quorum : au moins un tiers des membres en exercice présents, soit "
            "%(required)s sur %(in_office)s (pouvoirs non comptés)"
        ),
        values,
    )


def proxy_problems(
    *,
    present: Collection[Member],
    proxies: Iterable[Proxy],
    in_office: Collection[Member] | None = None,
) -> list[str]:
    """Every way ``proxies`` break the proxy rules, in French, in a stable order (empty
    when they are valid). A proxy goes from an absent voting member in office to a present
    voting member; a member holds at most one proxy and gives at most one. Without
    ``in_office`` the giver's term is not checked."""
    proxies = list(proxies)
    problems: list[str] = []
    if in_office is not None:
        strangers = [m for m in present if m not in in_office]
        if strangers:
            problems.append(_not_in_office(strangers))
    for proxy in proxies:
        giver, holder = proxy.giver, proxy.holder
        if in_office is not None and giver not in in_office:
            problems.append(f"{giver} n'est pas membre en exercice et ne peut donner pouvoir.")
        if not giver.role.votes:
            problems.append(f"{giver} siège sans voix délibérative et ne peut donner pouvoir.")
        if giver in present:
            problems.append(f"{giver} assiste à la séance et ne peut donner pouvoir.")
        if holder not in present:
            problems.append(f"{holder} n'assiste pas à la séance et ne peut recevoir de pouvoir.")
        if not holder.role.votes:
            problems.append(
                f"{holder} siège sans voix délibérative et ne peut recevoir de pouvoir."
            )
    for holder, count in Counter(p.holder for p in proxies).items():
        if count > 1:
            problems.append(f"{holder} détient {count} pouvoirs ; un membre n'en détient qu'un.")
    for giver, count in Counter(p.giver for p in proxies).items():
        if count > 1:
            problems.append(f"{giver} a donné {count} pouvoirs ; un membre n'en donne qu'un.")
    return list(dict.fromkeys(problems))


def validate_proxies(
    *, in_office: Collection[Member], present: Collection[Member], proxies: Iterable[Proxy]
) -> None:
    """Raise RuleError listing every problem if the proxies break the rules of
    ``proxy_problems``: from an absent voting member in office to a present voting member,
    at most one proxy held and one given per member."""
    problems = proxy_problems(in_office=in_office, present=present, proxies=proxies)
    if problems:
        raise RuleError(problems)


def voting_rights(
    *, present: Collection[Member], proxies: Iterable[Proxy]
) -> frozenset[VotingRight]:
    """All votes of a session before any recusal: each present voting member for
    themself, and each proxy holder for the proxy's giver. Raises RuleError if the proxies
    are inconsistent with who is present (see ``proxy_problems``)."""
    proxies = list(proxies)
    problems = proxy_problems(present=present, proxies=proxies)
    if problems:
        raise RuleError(problems)
    own = (VotingRight(m, m) for m in present if m.role.votes)
    held = (VotingRight(p.holder, p.giver) for p in proxies)
    return frozenset([*own, *held])


def eligible_voters(
    *,
    present: Collection[Member],
    proxies: Iterable[Proxy],
    interests: Collection[Member],
) -> frozenset[VotingRight]:
    """The votes that may be cast on one item. A member who declared an interest in the
    item takes no part in its vote: not for themself, and not with a proxy they hold; a
    proxy given by an interested member is not used either. So a right (voter, giver) is
    kept only when neither the voter nor the giver declared an interest. The rights
    dropped (``voting_rights(...) - eligible_voters(...)``) are the recusals to log."""
    return frozenset(
        right
        for right in voting_rights(present=present, proxies=proxies)
        if right.voter not in interests and right.on_behalf_of not in interests
    )


def tally(choices: Iterable[Choice]) -> Tally:
    """Count the ballots of one item. Takes bare choices, not voters, so that a secret
    ballot can be counted without any link to who cast it."""
    counts = Counter(Choice(c) for c in choices)
    return Tally(
        for_=counts[Choice.FOR], against=counts[Choice.AGAINST], abstain=counts[Choice.ABSTAIN]
    )


def outcome(
    *,
    tally: Tally,
    rule: MajorityRule,
    present_and_represented: int,
    mode: VoteMode,
    chair_choice: Choice | None,
    chair_casting_vote: bool,
) -> DecisionResult:
    """Whether the item is adopted.

    * VOTES_CAST: adopted with more "for" than "against" (abstentions not counted). On a
      tie, if the council's charter gives the chair a casting vote (voix prépondérante) and
      the ballot is not secret, the chair's own vote decides: "for" adopts, "against"
      rejects; a chair who abstained or did not vote leaves the tie, which rejects.
    * TWO_THIRDS_OF_CAST: adopted when at least two thirds of the votes cast are "for".
    * ABSOLUTE_OF_PRESENT: adopted when "for" is more than half of
      ``present_and_represented``, the number of votes that could be cast on the item
      (``len(eligible_voters(...))``: recused members are not counted).

    With no vote cast (everyone abstained) nothing is adopted. ``tie`` means as many
    "for" as "against", at least one of each. ``chair_choice`` is the chair's own vote
    (not one cast with a proxy), None if the chair did not vote on the item."""
    _check_outcome_inputs(tally, present_and_represented, chair_choice)
    tie = tally.cast > 0 and tally.for_ == tally.against
    casting = chair_casting_vote and mode is not VoteMode.SECRET
    casting_vote_used = False
    if rule is MajorityRule.VOTES_CAST:
        adopted = tally.for_ > tally.against
        if tie and casting and chair_choice in (Choice.FOR, Choice.AGAINST):
            casting_vote_used = True
            adopted = chair_choice is Choice.FOR
    elif rule is MajorityRule.TWO_THIRDS_OF_CAST:
        adopted = tally.cast > 0 and 3 * tally.for_ >= 2 * tally.cast
    else:
        adopted = 2 * tally.for_ > present_and_represented
    return DecisionResult(
        outcome=Outcome.ADOPTED if adopted else Outcome.REJECTED,
        tie=tie,
        casting_vote_used=casting_vote_used,
        rule_text=majority_rule_text(
            rule,
            mode=mode,
            chair_casting_vote=chair_casting_vote,
            present_and_represented=present_and_represented,
        ),
    )


def majority_rule_text(
    rule: MajorityRule, *, mode: VoteMode, chair_casting_vote: bool, present_and_represented: int
) -> str:
    """The majority rule applied to an item, as printed in the minutes."""
    message, params = majority_rule_message(
        rule,
        mode=mode,
        chair_casting_vote=chair_casting_vote,
        present_and_represented=present_and_represented,
    )
    return message % params


def majority_rule_message(
    rule: MajorityRule, *, mode: VoteMode, chair_casting_vote: bool, present_and_represented: int
) -> tuple[str, dict]:
    """The majority rule applied to an item, as a French message and its values, which
    the pages translate."""
    if rule is MajorityRule.TWO_THIRDS_OF_CAST:
        return (
            gettext_noop(
                "Majorité des deux tiers des suffrages exprimés (abstentions non comptées)"
            ),
            {},
        )
    if rule is MajorityRule.ABSOLUTE_OF_PRESENT:
        return (
            gettext_noop(
                "Majorité absolue des membres présents et représentés : %(needed)s voix "
                "« pour » requises sur %(present)s"
            ),
            {"needed": present_and_represented // 2 + 1, "present": present_and_represented},
        )
    if not chair_casting_vote:
        return (
            gettext_noop(
                "Majorité des suffrages exprimés (abstentions non comptées) ; égalité : la "
                "proposition est rejetée"
            ),
            {},
        )
    if mode is VoteMode.SECRET:
        return (
            gettext_noop(
                "Majorité des suffrages exprimés (abstentions non comptées) ; égalité : la "
                "proposition est rejetée (scrutin secret, pas de voix prépondérante)"
            ),
            {},
        )
    return (
        gettext_noop(
            "Majorité des suffrages exprimés (abstentions non comptées) ; égalité : voix "
            "prépondérante du président"
        ),
        {},
    )


def _check_outcome_inputs(
    tally: Tally, present_and_represented: int, chair_choice: Choice | None
) -> None:
    if min(tally.for_, tally.against, tally.abstain) < 0:
        raise RuleError("Un décompte de voix ne peut être négatif.")
    if tally.ballots > present_and_represented:
        raise RuleError(
            f"{tally.ballots} votes pour {present_and_represented} membres présents "
            "et représentés : le décompte est incohérent."
        )
    counted = {Choice.FOR: tally.for_, Choice.AGAINST: tally.against, Choice.ABSTAIN: tally.abstain}
    if chair_choice is not None and counted[Choice(chair_choice)] == 0:
        raise RuleError("Le vote du président ne figure pas dans le décompte.")


def _not_in_office(members: Iterable[Member]) -> str:
    names = ", ".join(sorted(str(m) for m in members))
    return f"Présent(s) sans être membre(s) en exercice : {names}."


def able_to_preside(
    *,
    in_office: Collection[Member],
    excluded: Collection[Member],
    present: Collection[Member] | None,
) -> frozenset[Member]:
    """The voting members who may preside over one item: in office on the session's
    day, neither the dossier's author nor a member who declared an interest in it
    (``excluded``), and — for an action taken in a meeting — recorded present.
    ``present`` is None for a written procedure, where presence does not apply."""
    return frozenset(
        member
        for member in in_office
        if member.role.votes and member not in excluded and (present is None or member in present)
    )


def presiding_officer(
    *,
    in_office: Collection[Member],
    excluded: Collection[Member],
    present: Collection[Member] | None,
    designated: Member | None = None,
) -> Member | None:
    """Who presides over one item — opens, closes and records its vote, publishes its
    decision: the chair if able; failing them, the vice-chair if in office and able;
    failing both, the voting member ``designated`` at the session, if able. None when
    nobody may (a member must be designated). Able: see ``able_to_preside``. Among
    several able chairs (or vice-chairs) the lowest id presides, so the answer is
    stable."""
    able = able_to_preside(in_office=in_office, excluded=excluded, present=present)
    for role in (Role.CHAIR, Role.VICE_CHAIR):
        seated = sorted(member for member in able if member.role is role)
        if seated:
            return seated[0]
    if designated is not None and designated in able:
        return designated
    return None
