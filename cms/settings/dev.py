"""The zero-setup demo: SQLite, console email, MFA offered but not enforced."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
DEMO_MODE = True
SERVE_MEDIA = True
