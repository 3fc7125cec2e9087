from django.contrib import admin
from django.urls import include, path

from zhucan.api.main import api

urlpatterns = [
    # First: the terminals' calls at lunch rush resolve without trying every console pattern.
    path("api/v1/", api.urls),
    path("", include("zhucan.console.urls")),
    path("accounts/", include("zhucan.accounts.urls")),
    path("elders/", include("zhucan.elders.urls")),
    path("canteens/", include("zhucan.canteens.urls")),
    path("regions/", include("zhucan.regions.urls")),
    path("checkout/", include("zhucan.checkout.urls")),
    path("settlement/", include("zhucan.settlement.urls")),
    path("funds/", include("zhucan.funds.urls")),
    path("identity/", include("zhucan.identity.urls")),
    path("", include("zhucan.elderphone.urls")),  # /h5/ (phone page) and /elders/<id>/phone-accounts/
    path("face/", include("zhucan.face.urls")),
    path("", include("zhucan.privacy.urls")),  # /elders/<id>/erase/
    path("filing/", include("zhucan.filing.urls")),
    path("orders/board/", include("zhucan.delivery.urls")),  # the canteen's order board
    path("courier/", include("zhucan.delivery.urls_courier")),  # the courier phone page
    path("orders/", include("zhucan.orders.urls")),
    path("payments/", include("zhucan.payments.urls")),
    path("alerts/", include("zhucan.alerts.urls")),
    path("dashboard/", include("zhucan.analytics.urls")),
    path("public/inspections/", include("zhucan.inspections.urls_public")),  # 一公开, no login
    path("video/", include("zhucan.video.urls")),  # the wall, the player, the view log; the kiosk needs no login
    path("public/", include("zhucan.filing.urls_public")),  # the directory of designated canteens, no login
    path("evaluation/assessments/", include("zhucan.assessment.urls")),
    path("inspections/", include("zhucan.inspections.urls")),
    path("evaluation/", include("zhucan.evaluation.urls")),
    path("h5/", include(("zhucan.evaluation.urls_h5", "h5eval"))),  # rating and complaints on the phone page
    path("h5/orders/", include(("zhucan.orders.urls_h5", "h5orders"))),  # ordering on the phone page (代订)
    path("orders/channel/", include(("zhucan.orders.urls_channels", "orderchannel"))),  # staff order for elders
    path("public/", include("zhucan.evaluation.urls_public")),  # complaints without an account
    path("video/devices/", include("zhucan.video.urls_registry")),  # devices, channels, health, playback checks
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler400 = "zhucan.core.errorviews.bad_request"
handler403 = "zhucan.core.errorviews.forbidden"
handler404 = "zhucan.core.errorviews.not_found"
handler500 = "zhucan.core.errorviews.server_error"
