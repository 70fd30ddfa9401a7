"""The system actor the tests act as where the code under test means the system (the
demo, a command, a task): granting the first roles, creating quartiers and funds,
crediting envelopes."""

from accounts.system import system_actor

SYSTEM = system_actor("tests")
