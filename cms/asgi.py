import os

from django.core.asgi import get_asgi_application

from accounts.request_limits import RequestSizeLimitASGIMiddleware

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.production")
application = RequestSizeLimitASGIMiddleware(get_asgi_application())
