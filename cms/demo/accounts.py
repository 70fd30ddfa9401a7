import functools

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.models import RoleAssignment, User
from accounts.roles import Role
from accounts.services import role_grant
from accounts.system import system_actor

# The demo builds the commune as the system: the first roles, quartiers, funds, councils.
SYSTEM = system_actor("demo")

DEMO_PASSWORD = "demo-quartiers"
DOMAIN = "demo.fonds-quartiers.fr"

# (email, display name, role, scope: "first" quartier, "all" quartiers or None)
DEMO_ACCOUNTS = [
    (f"habitante@{DOMAIN}", "Camille Durand", None, "first", "habitante du premier quartier"),
    (
        f"instructeur@{DOMAIN}",
        "Karim Benali",
        Role.INSTRUCTOR,
        "all",
        "agent instructeur, tous les quartiers",
    ),
    (
        f"conseillere@{DOMAIN}",
        "Sophie Martin",
        None,  # a mandate on the first quartier's council (cms.demo.councils)
        "first",
        "membre du conseil du premier quartier",
    ),
    (
        f"maire@{DOMAIN}",
        "Jean Moreau",
        None,  # the chair's mandate on the first quartier's council
        "first",
        "maire de quartier du premier quartier",
    ),
    (
        f"admin@{DOMAIN}",
        "Nadia Lefèvre",
        Role.ADMINISTRATOR,
        None,
        "administratrice (superutilisatrice Wagtail)",
    ),
]


def demo_accounts(quartiers):
    users = []
    for email, name, role, scope, _description in DEMO_ACCOUNTS:
        user = _account(email, name, quartiers[0])
        if role == Role.ADMINISTRATOR:
            if not user.is_superuser:
                user.is_superuser = user.is_staff = True
                user.save(update_fields=["is_superuser", "is_staff"])
            _ensure_role(user, role, None)
        elif role is not None:
            for quartier in quartiers if scope == "all" else quartiers[:1]:
                _ensure_role(user, role, quartier)
        users.append(user)
    return users


def _ensure_role(user, role, quartier):
    held = RoleAssignment.objects.in_force().filter(user=user, role=role, quartier=quartier)
    if not held.exists():
        role_grant(actor=SYSTEM, user=user, role=role, quartier=quartier)


def demo_user(email, name, quartier=None):
    return _account(email, name, quartier)


def demo_residents(residents, quartiers):
    """A few residents in every quartier (``residents``: names by quartier name), who
    carry initiatives and support their neighbours'."""
    by_name = {quartier.name: quartier for quartier in quartiers}
    return {
        name: [
            _account(f"habitant-{by_name[name].slug}-{n}@{DOMAIN}", person, by_name[name])
            for n, person in enumerate(people, start=1)
        ]
        for name, people in residents.items()
    }


@functools.lru_cache(maxsize=4)
def _password_hash(hashers):
    """Every demo account shares one password: hashing it once, not once per account,
    keeps the demo quick (a strong hash takes a good fraction of a second)."""
    return make_password(DEMO_PASSWORD)


def _account(email, name, quartier):
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create(
            email=email,
            password=_password_hash(tuple(settings.PASSWORD_HASHERS)),
            display_name=name,
            quartier=quartier,
            # The field's default was bound to the real clock when the model was defined.
            date_joined=timezone.now(),
        )
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def demo_logins():
    return [(email, description) for email, _n, _r, _s, description in DEMO_ACCOUNTS]
