"""Engagement: feasibility (windows, authority, airspace), assignment, shots and kill draws."""

from shieldwall.engagement.engage import Engagements, Shot
from shieldwall.engagement.shooters import Authorities, Shooters, authorities, shooters

__all__ = ["Authorities", "Engagements", "Shooters", "Shot", "authorities", "shooters"]
