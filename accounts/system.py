"""The system as an actor. Management commands, task modules and the demo builder act
as the system when no person does: they obtain a ``SystemActor`` from
``system_actor`` and pass it as ``actor`` like any other. Services allow it where the
system has a job (granting the first roles, crediting an envelope from a command…);
nowhere does a missing actor stand for it: ``actor=None`` is nobody, and is refused.

Only those three kinds of module may call ``system_actor`` — a web view that could
obtain it would hand every request every right. ``tests/test_system_actor.py`` reads
the source and fails when any other module names it."""


class SystemActor:
    """Not a user: it is not authenticated, holds no role and sits on no council, so
    every permission predicate is false for it; services that let the system act say
    so with ``is_system``. ``label`` says which command or task acted; audit rows it
    writes carry that label."""

    __slots__ = ("label",)

    is_authenticated = False
    is_anonymous = False
    is_active = False
    is_staff = False
    is_superuser = False
    pk = id = None

    def __init__(self, label):
        label = str(label).strip()
        if not label:
            raise ValueError("A system actor says which command or task acts.")
        object.__setattr__(self, "label", label)

    def __setattr__(self, name, value):
        raise AttributeError("A system actor cannot be changed.")

    def __eq__(self, other):
        return isinstance(other, SystemActor) and other.label == self.label

    def __hash__(self):
        return hash((SystemActor, self.label))

    def __str__(self):
        return f"system:{self.label}"

    __repr__ = __str__


def system_actor(label):
    """The system acting for ``label`` (a command's or task's name: ``"demo"``,
    ``"retention"``…). Call it from management commands, task modules and the demo
    builder only."""
    return SystemActor(label)


def is_system(actor):
    """True only for an actor obtained from ``system_actor`` — never for ``None``."""
    return isinstance(actor, SystemActor)
