"""Who may do what with initiatives. Services check these; views use them to show or
hide actions. The permission table is in the README."""

from accounts.predicates import is_administrator, is_council_member_of, is_instructor_of

from .models import Initiative


def is_author(user, initiative):
    return user.is_authenticated and initiative.author_id == user.pk


def is_instructor_for(user, initiative):
    """An instructor of the initiative's quartier — never on their own dossier."""
    return is_instructor_of(user, initiative.fund.quartier_id) and not is_author(user, initiative)


def can_view_initiative(user, initiative):
    """Public dossiers are seen by all; the others only by their author, the
    instructors and council members of the quartier, and administrators."""
    if initiative.is_public:
        return True
    return can_view_private_parts(user, initiative)


def can_view_private_parts(user, initiative):
    """Contact details, the carrier's identifiers, and everything of a non-public
    dossier."""
    if not user.is_authenticated:
        return False
    quartier = initiative.fund.quartier_id
    return (
        is_author(user, initiative)
        or is_instructor_of(user, quartier)
        or is_council_member_of(user, quartier)
        or is_administrator(user)
    )


def can_read_attachment(user, attachment):
    """A piece of a dossier is read by its carrier and the people who handle the dossier;
    by everyone who sees the dossier only once the carrier has made it public."""
    initiative = attachment.initiative
    if attachment.public and can_view_initiative(user, initiative):
        return True
    return can_view_private_parts(user, initiative)


def can_edit_initiative(user, initiative):
    return is_author(user, initiative) and initiative.status in Initiative.EDITABLE_STATUSES


def can_instruct(user, initiative):
    return is_instructor_for(user, initiative)


def can_withdraw(user, initiative):
    return is_author(user, initiative) and initiative.status in Initiative.WITHDRAWABLE_STATUSES


def lives_elsewhere(user, initiative):
    """The person declared a quartier of residence other than the dossier's."""
    return user.quartier_id is not None and user.quartier_id != initiative.fund.quartier_id


def can_support(user, initiative):
    """A resident supports, until the council decides, the dossiers of their own quartier
    (or any, while they have not said where they live) that are not theirs."""
    return (
        user.is_authenticated
        and not is_author(user, initiative)
        and initiative.status in Initiative.SUPPORTABLE_STATUSES
        and not lives_elsewhere(user, initiative)
    )
