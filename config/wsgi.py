"""WSGI entry point. Requests under /api/v1/ (signed machine calls from cashier terminals and
vendors' POS systems) go through a handler with a lean middleware chain: they carry no cookies, so
sessions, CSRF, authentication, messages, locale negotiation and static files do nothing for them
but cost time on the checkout hot path. Everything else gets the full chain."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
application = get_wsgi_application()

from zhucan.api.wsgi import dispatch_api  # noqa: E402  (needs the settings configured above)

application = dispatch_api(application)
