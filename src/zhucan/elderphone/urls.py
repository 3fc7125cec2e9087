"""Two URL spaces, included once from config/urls.py at the root:
- /h5/… the elder phone page (namespace "h5"), its own session;
- /elders/<id>/phone-accounts/… console writes on the elder's page (namespace "elderphone"),
  covered by the permission matrix like every console URL."""

from django.urls import include, path

from zhucan.elderphone import views, views_console

h5_patterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_view, name="password"),
    path("e/<int:elder_id>/", views.elder_page, name="elder"),
    path("e/<int:elder_id>/code.json", views.code_json, name="code"),
    path("e/<int:elder_id>/code-status.json", views.code_status, name="code_status"),
]

console_patterns = [
    path("bind/", views_console.bind, name="bind"),
    path("<int:binding_id>/revoke/", views_console.revoke, name="revoke"),
]

urlpatterns = [
    path("h5/", include((h5_patterns, "h5"))),
    path("elders/<int:elder_id>/phone-accounts/", include((console_patterns, "elderphone"))),
]
