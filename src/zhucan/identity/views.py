"""What canteen terminals fetch to verify elder codes offline: the public key set and the list of
revoked card codes. Both are public by nature (public keys, random code ids) and cacheable."""

from __future__ import annotations

from django.http import JsonResponse
from django.views.decorators.http import require_GET

from zhucan.core import clock
from zhucan.identity import keys

CACHE_SECONDS = 60


def _json(body: dict) -> JsonResponse:
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return response


@require_GET
def key_set(request):
    return _json(keys.public_key_set(clock.real_now()))


@require_GET
def revoked(request):
    return _json(keys.revocation_list(clock.real_now()))
