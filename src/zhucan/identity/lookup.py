"""The elder behind a card number, an ID number's blind index or an elder id, within the canteen's
city: one hand-written statement on the checkout's hot cursor (the API checks out on it at the
lunch rush, see docs/performance.md). A terminal sees only elders of its own city (HZ-5); an elder
elsewhere is not found, exactly like an unknown one.

The statement also brings the elder's household district name and tags (what the policy engine
reads) and, on request, the elder's usage row of a day, so a quote needs no further read.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache

from zhucan.canteens.models import Canteen
from zhucan.core import rows
from zhucan.core.hotcursor import hot_cursor
from zhucan.elders.models import Elder, Tag
from zhucan.regions.models import Region

# A card: its active CitizenCard through the blind index (one parameter).
_ELDER_BY = {"card": 'e."id" IN (SELECT c."elder_id" FROM identity_citizencard c WHERE c."number_index" = %s '
                     'AND c."status" = \'active\')', "index": 'e."id_number_index" = %s', "pk": 'e."id" = %s'}


def tags_sql(vendor: str, elder_id_column: str) -> str:
    """A scalar subquery: the tags of the elder whose id is in `elder_id_column`, as a JSON array
    of [id, code, name, region id] (`attach_tags` reads it)."""
    if vendor == "postgresql":
        tags = "json_agg(json_build_array(tg.id, tg.code, tg.name, tg.region_id))"
    else:
        tags = "json_group_array(json_array(tg.id, tg.code, tg.name, tg.region_id))"
    return (f"(SELECT {tags} FROM elders_tag tg JOIN elders_elder_tags et ON et.tag_id = tg.id "
            f"WHERE et.elder_id = {elder_id_column})")


def attach_tags(elder: Elder, tag_rows) -> None:
    """Put the tags read by `tags_sql` where `elder.tags.all()` finds them (no further query)."""
    if isinstance(tag_rows, str):
        tag_rows = json.loads(tag_rows)
    tags = [rows.build(Tag, t) for t in tag_rows or () if t and t[0] is not None]
    tags.sort(key=lambda t: (t.region_id is not None, t.region_id or 0, t.code))  # Tag.Meta.ordering
    qs = Tag.objects.none()
    qs._result_cache, qs._prefetch_done = tags, True
    elder._prefetched_objects_cache = {"tags": qs}


@cache
def _elder_sql(by: str, vendor: str, with_usage: bool) -> str:
    """One statement: the elder (by card, blind index or id) within the city, the name of their
    household district and their tags (as JSON), optionally the day's usage row."""
    usage_col = ", u.usage" if with_usage else ""
    usage_join = " LEFT JOIN checkout_elderdayusage u ON u.elder_id = e.id AND u.local_date = %s" if with_usage else ""
    return (f"SELECT {rows.columns(Elder, 'e')}, h.name, "
            f"{tags_sql(vendor, 'e.id')}{usage_col} "
            "FROM elders_elder e JOIN regions_region m ON m.id = e.community_id "
            f"LEFT JOIN regions_region h ON h.id = e.hukou_district_id{usage_join} "
            f"WHERE {_ELDER_BY[by]} AND m.path LIKE %s ESCAPE '\\'")


def city_pattern(canteen: Canteen) -> str:
    """`LIKE` pattern of the regions of the canteen's city. A city is the root of the region tree,
    so it is the first code of the canteen region's materialised path: no query."""
    city_code = canteen.region.path.partition("/")[0]
    return city_code.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"


def find_elder(canteen: Canteen, by: str, value, usage_on: date | None = None) -> Elder | None:
    """The elder of the canteen's city `by` "card" ((blind index,)), "index" (ID number's
    blind index) or "pk"; None if there is none. With `usage_on`, `elder.usage_read` is
    (that day, the usage dict or None), read, not locked."""
    prefix = city_pattern(canteen)
    values = list(value) if by == "card" else [value]
    params = [usage_on, *values, prefix] if usage_on is not None else [*values, prefix]
    cur = hot_cursor()
    cur.execute(_elder_sql(by, cur.db.vendor, usage_on is not None), params)
    row = cur.fetchone()
    if row is None:
        return None
    n = rows.width(Elder)
    elder = rows.build(Elder, row[:n])
    district_name, tag_rows = row[n], row[n + 1]
    if elder.hukou_district_id is not None:
        elder.hukou_district = rows.build(Region, (elder.hukou_district_id, district_name), ("id", "name"))
    attach_tags(elder, tag_rows)
    if usage_on is not None:
        usage = row[n + 2]
        elder.usage_read = (usage_on, json.loads(usage) if isinstance(usage, str) else usage)
    return elder
