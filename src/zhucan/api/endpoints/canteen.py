"""The terminal's canteen: active dishes with prices and the announced meal periods (HZ-7)."""

from __future__ import annotations

from ninja import Router

from zhucan.api.endpoints.common import terminal_of
from zhucan.api.openapi import errors, signed
from zhucan.api.schemas import ErrorOut, MenuOut
from zhucan.api.selectors import canteen_menu
from zhucan.core.money import fen_to_yuan as format_fen

router = Router(tags=["canteen"])


@router.get("/canteen/menu", response={200: MenuOut, errors(): ErrorOut},
            openapi_extra=signed(), summary="本店菜单与供餐时段")
def menu(request):
    answer = canteen_menu(canteen=terminal_of(request).canteen)
    for dish in answer["dishes"]:
        dish["price_yuan"] = format_fen(dish["price_fen"])
    return answer
