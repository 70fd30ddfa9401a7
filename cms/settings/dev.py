"""The zero-setup demo: SQLite, console email, MFA offered but not enforced."""

from .base import *  # noqa: F403
from .base import env

# As in production, a newcomer sees the site's own error pages, not Django's debug page
# (DEBUG=1 turns it back on); whitenoise serves the static files from the apps' folders
# as they are, without collectstatic.
DEBUG = env.bool("DEBUG", default=False)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
DEMO_MODE = True
SERVE_MEDIA = True
