"""Sharing: agreements, the one crossing function between nations' nodes, and each audience's
picture."""

from shieldwall.sharing.agreements import ReleaseTerms, resolve_agreements
from shieldwall.sharing.crossing import AuditLog, Pseudonyms, Warnings, cross
from shieldwall.sharing.picture import (
    DelayLine,
    Picture,
    PictureBuilder,
    ThreatView,
    released_tracks,
)
from shieldwall.sharing.stage import PARTNER, AudienceLog, SharingStage

__all__ = [
    "PARTNER",
    "AudienceLog",
    "AuditLog",
    "DelayLine",
    "Picture",
    "PictureBuilder",
    "Pseudonyms",
    "ReleaseTerms",
    "SharingStage",
    "ThreatView",
    "Warnings",
    "cross",
    "released_tracks",
    "resolve_agreements",
]
