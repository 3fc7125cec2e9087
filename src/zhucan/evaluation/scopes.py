"""How ratings and complaints hang in the jurisdiction tree (accounts.scoping): under the canteen's
region (the district and the city above it see them), and — for ratings — the elder's community too,
so community staff see what their elders said wherever they ate; canteen staff see their canteen's."""

from zhucan.accounts.scoping import Scope, register

register("evaluation.rating", Scope("evaluation", ("canteen__region__path", "elder__community__path"),
                                    canteen_field="canteen_id"))
register("evaluation.complaint", Scope("evaluation", ("canteen__region__path",), canteen_field="canteen_id"))
