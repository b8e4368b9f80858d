"""Engagement: feasibility (windows, authority, airspace), assignment, shots and kill draws."""

from shieldwall.engagement.engage import Engagements, Shot
from shieldwall.engagement.shooters import Authorities, Shooters, authorities, shooters
from shieldwall.engagement.wta import WtaResult, solve_wta

__all__ = [
    "Authorities",
    "Engagements",
    "Shooters",
    "Shot",
    "WtaResult",
    "authorities",
    "shooters",
    "solve_wta",
]
