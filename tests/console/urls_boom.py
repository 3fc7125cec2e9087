"""The platform's URLs plus one view that fails, to reach the real 500 handler."""

from django.urls import path

from config.urls import handler400, handler403, handler404, handler500  # noqa: F401
from config.urls import urlpatterns as platform


def boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", boom), *platform]
