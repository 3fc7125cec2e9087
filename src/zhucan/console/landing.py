"""Where each role lands after login and at `/`: the page it uses most.

Pages built by other apps (the dashboard) are reached by URL name; while such a page is not
installed the name does not reverse and the role falls back to the next choice, finally to the
workbench (None).
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from zhucan.accounts.models import Role
from zhucan.accounts.permissions import PERMISSIONS, has_perm

# role → URL names in order of preference, each with the permission it needs. The dashboard's
# permission belongs to the analytics app: until that row exists in the table the page is taken to
# be open to every official (it scopes what it shows), once it exists it is checked.
DASHBOARD = ("analytics:dashboard", ("dashboard", "view"))
LANDING: dict[str, list[tuple[str, tuple[str, str]]]] = {
    Role.CASHIER: [("checkout:cashier", ("meal", "create"))],
    Role.CANTEEN_MANAGER: [DASHBOARD, ("checkout:live", ("meal", "view"))],
    Role.CITY_ADMIN: [DASHBOARD],
    Role.DISTRICT_ADMIN: [DASHBOARD],
    Role.SUBDISTRICT_STAFF: [DASHBOARD],
    Role.AUDITOR: [DASHBOARD],
}


def landing_url(user) -> str | None:
    """The URL the user should land on, or None for the workbench itself."""
    for name, perm in LANDING.get(getattr(user, "role", "") or "", []):
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        if perm is None or perm not in PERMISSIONS or has_perm(user, *perm):
            return url
    return None
