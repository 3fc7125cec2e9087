"""The policy adapter the platform shares: from registry rows to the pure policy engine's inputs
(ElderFacts, CanteenFacts) and the city's policy with its enabled overlays.

The engine (`zhucan.policy`) stays pure Python; this package is the one place that knows both the
engine and the registries. Every app that rates, explains or settles a meal — checkout, the API,
the elder's phone page, settlement, funds — reaches the policy through here.
"""
