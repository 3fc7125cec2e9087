from django import template

from zhucan.core.money import fen_to_yuan

register = template.Library()


@register.filter
def yuan(fen) -> str:
    """Integer fen → '12.50' (money is shown in yuan with two decimals, computed exactly)."""
    if fen is None or fen == "":
        return ""
    return fen_to_yuan(int(fen))
