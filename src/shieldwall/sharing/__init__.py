"""Sharing: agreements, delayed releases between nations' nodes, and each audience's picture."""

from shieldwall.sharing.agreements import ReleaseTerms, resolve_agreements
from shieldwall.sharing.picture import (
    DelayLine,
    Picture,
    PictureBuilder,
    ThreatView,
    released_tracks,
)

__all__ = [
    "DelayLine",
    "Picture",
    "PictureBuilder",
    "ReleaseTerms",
    "ThreatView",
    "released_tracks",
    "resolve_agreements",
]
