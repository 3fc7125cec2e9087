"""What each role may do, per resource and action. Where they may do it is `scoping.restrict`."""

from __future__ import annotations

from zhucan.accounts.models import Role

R = Role
_ALL_STAFF = {R.CITY_ADMIN, R.DISTRICT_ADMIN, R.SUBDISTRICT_STAFF, R.AUDITOR}

PERMISSIONS: dict[tuple[str, str], frozenset[str]] = {
    # Elder registry (LC-8: subdistricts register and verify; districts oversee).
    ("elder", "view"): frozenset(_ALL_STAFF),
    ("elder", "export"): frozenset(_ALL_STAFF),
    ("elder", "create"): frozenset({R.CITY_ADMIN, R.DISTRICT_ADMIN, R.SUBDISTRICT_STAFF}),
    ("elder", "change"): frozenset({R.CITY_ADMIN, R.DISTRICT_ADMIN, R.SUBDISTRICT_STAFF}),
    ("elder", "import"): frozenset({R.CITY_ADMIN, R.DISTRICT_ADMIN, R.SUBDISTRICT_STAFF}),
    ("elder", "verify"): frozenset({R.DISTRICT_ADMIN, R.SUBDISTRICT_STAFF}),
    # Seeing the whole ID number: only those who register and verify elders; each look is audited.
    ("elder", "reveal_id"): frozenset({R.DISTRICT_ADMIN, R.SUBDISTRICT_STAFF}),
    # Canteen registry (HZ-8: districts designate; canteens keep their menu, hours, promises).
    ("canteen", "view"): frozenset(_ALL_STAFF | {R.CANTEEN_MANAGER, R.CASHIER}),
    ("canteen", "export"): frozenset(_ALL_STAFF | {R.CANTEEN_MANAGER}),
    ("canteen", "create"): frozenset({R.CITY_ADMIN, R.DISTRICT_ADMIN}),
    ("canteen", "change"): frozenset({R.CITY_ADMIN, R.DISTRICT_ADMIN, R.CANTEEN_MANAGER}),
    ("canteen", "change_registration"): frozenset({R.CITY_ADMIN, R.DISTRICT_ADMIN}),
    # Users and roles.
    ("user", "view"): frozenset({R.CITY_ADMIN, R.DISTRICT_ADMIN, R.AUDITOR}),
    ("user", "export"): frozenset({R.CITY_ADMIN, R.DISTRICT_ADMIN, R.AUDITOR}),
    ("user", "create"): frozenset({R.CITY_ADMIN, R.DISTRICT_ADMIN}),
    ("user", "change"): frozenset({R.CITY_ADMIN, R.DISTRICT_ADMIN}),
    # Users' whole phone numbers in the list and the export: those who manage the users (and keep
    # their contacts up to date); the auditor sees them masked.
    ("user", "see_contact"): frozenset({R.CITY_ADMIN, R.DISTRICT_ADMIN}),
    # The meal ledger: canteens sell and reverse; supervisors watch (HZ-10).
    ("meal", "view"): frozenset(_ALL_STAFF | {R.CANTEEN_MANAGER, R.CASHIER}),
    ("meal", "create"): frozenset({R.CANTEEN_MANAGER, R.CASHIER}),
    ("meal", "reverse"): frozenset({R.CANTEEN_MANAGER, R.CASHIER}),
    ("mismatch", "resolve"): frozenset({R.DISTRICT_ADMIN}),
    ("terminal", "manage"): frozenset({R.CITY_ADMIN, R.DISTRICT_ADMIN, R.CANTEEN_MANAGER}),
    # Monthly settlement (HZ-11, LC-4): canteens confirm or dispute, districts approve, the city
    # finalises and records payment; auditors and finance read.
    ("statement", "view"): frozenset(_ALL_STAFF | {R.CANTEEN_MANAGER}),
    ("statement", "export"): frozenset(_ALL_STAFF | {R.CANTEEN_MANAGER}),
    ("statement", "generate"): frozenset({R.CITY_ADMIN, R.DISTRICT_ADMIN}),
    ("statement", "confirm"): frozenset({R.CANTEEN_MANAGER}),
    ("statement", "approve"): frozenset({R.DISTRICT_ADMIN}),
    ("statement", "finalise"): frozenset({R.CITY_ADMIN}),
    ("statement", "pay"): frozenset({R.CITY_ADMIN}),
    # Adjustments to an open month's benefit (a recovery after a confirmed alert), by the district.
    ("statement", "adjust"): frozenset({R.CITY_ADMIN, R.DISTRICT_ADMIN}),
    # Construction subsidies (LC-3), operating rewards (LC-5) and evaluations (LC-6).
    ("funds", "view"): frozenset(_ALL_STAFF | {R.CANTEEN_MANAGER}),
    ("funds", "apply"): frozenset({R.CANTEEN_MANAGER, R.DISTRICT_ADMIN}),
    ("funds", "review"): frozenset({R.DISTRICT_ADMIN}),
    ("funds", "approve"): frozenset({R.CITY_ADMIN}),
    ("funds", "evaluate"): frozenset({R.DISTRICT_ADMIN}),
    # Designation and filing (HZ-8): the canteen's district selects, records the agreement, reviews
    # and decides; the city keeps the register of all districts and may suspend or revoke too; the
    # canteen's manager fills in and submits its filing.
    # Anomaly alerts (预警, HZ-10): the district assigns, investigates and closes its alerts; the city
    # sees all, runs the detection and tunes the rules' thresholds; subdistricts and auditors read.
    ("alert", "view"): frozenset(_ALL_STAFF),
    ("alert", "export"): frozenset(_ALL_STAFF),
    ("alert", "handle"): frozenset({R.DISTRICT_ADMIN}),
    ("alert", "detect"): frozenset({R.CITY_ADMIN, R.DISTRICT_ADMIN}),
    ("alert", "configure"): frozenset({R.CITY_ADMIN}),
    # Sunshine kitchen and dining-area video (HZ-F2, HZ-F8): the district and the canteen's manager
    # register devices and channels; supervisors see the registry, health and playback checks.
    ("video_device", "view"): frozenset(_ALL_STAFF | {R.CANTEEN_MANAGER}),
    ("video_device", "manage"): frozenset({R.DISTRICT_ADMIN, R.CANTEEN_MANAGER}),
    ("video_device", "check"): frozenset({R.CITY_ADMIN, R.DISTRICT_ADMIN}),
    ("filing", "view"): frozenset({R.CITY_ADMIN, R.DISTRICT_ADMIN}),
    ("filing", "export"): frozenset({R.CITY_ADMIN, R.DISTRICT_ADMIN}),
    ("filing", "select"): frozenset({R.DISTRICT_ADMIN}),
    ("filing", "agreement"): frozenset({R.DISTRICT_ADMIN}),
    ("filing", "fill"): frozenset({R.CANTEEN_MANAGER}),
    ("filing", "review"): frozenset({R.DISTRICT_ADMIN}),
    ("filing", "suspend"): frozenset({R.CITY_ADMIN, R.DISTRICT_ADMIN}),
    ("filing", "reinstate"): frozenset({R.DISTRICT_ADMIN}),
    ("filing", "revoke"): frozenset({R.CITY_ADMIN, R.DISTRICT_ADMIN}),
    ("filing", "recheck"): frozenset({R.DISTRICT_ADMIN}),
    # Dashboards and the big screen (HZ-10, LC-7): officials and auditors over their jurisdiction, a
    # canteen's manager over their own canteen; the list of elders not reached is for those who
    # watch over residents (exported masked or whole as the elder export decides).
    ("dashboard", "view"): frozenset(_ALL_STAFF | {R.CANTEEN_MANAGER}),
    ("dashboard", "export"): frozenset(_ALL_STAFF | {R.CANTEEN_MANAGER}),
    ("dashboard", "not_reached"): frozenset(_ALL_STAFF),
    # Elders' voice (issue #18): ratings of meals and complaints and suggestions. Officials, the
    # auditor and the canteen's manager (its own) read them; community staff record ratings gathered
    # in person or by phone and take complaints by phone; the district assigns and closes a case,
    # the canteen answers it; the city follows the escalated ones.
    ("evaluation", "view"): frozenset(_ALL_STAFF | {R.CANTEEN_MANAGER}),
    ("evaluation", "export"): frozenset(_ALL_STAFF | {R.CANTEEN_MANAGER}),
    ("rating", "record"): frozenset({R.SUBDISTRICT_STAFF, R.DISTRICT_ADMIN}),
    ("complaint", "record"): frozenset({R.SUBDISTRICT_STAFF, R.DISTRICT_ADMIN}),
    ("complaint", "assign"): frozenset({R.DISTRICT_ADMIN}),
    ("complaint", "answer"): frozenset({R.CANTEEN_MANAGER}),
    ("complaint", "close"): frozenset({R.DISTRICT_ADMIN}),
    # The city's "most satisfying canteen" campaign: the city opens and publishes, districts nominate.
    ("campaign", "manage"): frozenset({R.CITY_ADMIN}),
    ("campaign", "nominate"): frozenset({R.DISTRICT_ADMIN}),
    # The yearly service-quality assessment (LC-6, HZ-12): the district sets the indicator table,
    # scores, confirms, resolves the canteen's contest and publishes; the city compares districts;
    # the canteen sees its own and may contest once.
    ("assessment", "view"): frozenset(_ALL_STAFF | {R.CANTEEN_MANAGER}),
    ("assessment", "export"): frozenset(_ALL_STAFF | {R.CANTEEN_MANAGER}),
    ("assessment", "manage"): frozenset({R.DISTRICT_ADMIN}),
    ("assessment", "contest"): frozenset({R.CANTEEN_MANAGER}),
    # Random inspections (双随机、一公开): the district keeps the roster, the check items and the
    # plans and draws; a drawn inspector (district or subdistrict staff) records the visit.
    ("inspection", "view"): frozenset(_ALL_STAFF),
    ("inspection", "export"): frozenset(_ALL_STAFF),
    ("inspection", "manage"): frozenset({R.DISTRICT_ADMIN}),
    ("inspection", "record"): frozenset({R.DISTRICT_ADMIN, R.SUBDISTRICT_STAFF}),
    # Watching canteens' video (HZ-F2, HZ-F8): the city and the districts, each within its
    # jurisdiction (the dining area shows elders); who watched what is read by them and the auditor.
    ("video", "view"): frozenset({R.CITY_ADMIN, R.DISTRICT_ADMIN}),
    ("video_log", "view"): frozenset({R.CITY_ADMIN, R.DISTRICT_ADMIN, R.AUDITOR}),
    # Jurisdiction tree and the audit log.
    ("region", "view"): frozenset(_ALL_STAFF | {R.CANTEEN_MANAGER, R.CASHIER}),
    ("audit", "view"): frozenset({R.CITY_ADMIN, R.DISTRICT_ADMIN, R.AUDITOR}),
    # Ordering ahead (issue #17, HZ-F7): the canteen's manager publishes menus ahead with cut-offs;
    # the canteen (its manager) or its district sets where it delivers; community staff order for
    # elders by phone, canteen staff at the counter; the district supervises orders and deliveries.
    ("order_menu", "view"): frozenset(_ALL_STAFF | {R.CANTEEN_MANAGER}),
    ("order_menu", "manage"): frozenset({R.CANTEEN_MANAGER}),
    ("order_coverage", "view"): frozenset(_ALL_STAFF | {R.CANTEEN_MANAGER}),
    ("order_coverage", "manage"): frozenset({R.DISTRICT_ADMIN, R.CANTEEN_MANAGER}),
    ("order", "view"): frozenset(_ALL_STAFF | {R.CANTEEN_MANAGER, R.CASHIER}),
    ("order", "place"): frozenset({R.DISTRICT_ADMIN, R.SUBDISTRICT_STAFF, R.CANTEEN_MANAGER, R.CASHIER}),
    ("order", "cancel"): frozenset({R.DISTRICT_ADMIN, R.SUBDISTRICT_STAFF, R.CANTEEN_MANAGER, R.CASHIER}),
    # the canteen arranges delivery routes and couriers and prints the kitchen's sheets
    ("route", "view"): frozenset({R.CANTEEN_MANAGER, R.CASHIER}),
    ("route", "manage"): frozenset({R.CANTEEN_MANAGER, R.CASHIER}),
    ("order", "supervise"): frozenset({R.CITY_ADMIN, R.DISTRICT_ADMIN, R.AUDITOR}),
    ("order", "export"): frozenset({R.CITY_ADMIN, R.DISTRICT_ADMIN, R.AUDITOR}),
    # Online payment of orders: the reconciliation of the provider's bill, read by the district (and
    # the city, the auditor) for their canteens and by the canteen's manager for its own.
    ("payment", "view"): frozenset({R.CITY_ADMIN, R.DISTRICT_ADMIN, R.AUDITOR, R.CANTEEN_MANAGER}),
}

# Roles a user of each role may grant (never above their own).
GRANTABLE_ROLES: dict[str, frozenset[str]] = {
    R.CITY_ADMIN: frozenset(R.values),
    R.DISTRICT_ADMIN: frozenset(
        {R.DISTRICT_ADMIN, R.SUBDISTRICT_STAFF, R.CANTEEN_MANAGER, R.CASHIER, R.AUDITOR}
    ),
}


def has_perm(user, resource: str, action: str) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.role in PERMISSIONS.get((resource, action), frozenset())
