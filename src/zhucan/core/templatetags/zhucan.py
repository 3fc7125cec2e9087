from django import template

register = template.Library()


@register.filter
def yuan(fen) -> str:
    """Integer fen → '12.50' (money is shown in yuan with two decimals, computed exactly)."""
    if fen is None or fen == "":
        return ""
    fen = int(fen)
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"
