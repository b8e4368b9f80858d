"""Sharing: agreements, delayed releases between nations' nodes, and each audience's picture."""

from shieldwall.sharing.agreements import ReleaseTerms, resolve_agreements
from shieldwall.sharing.picture import DelayLine, Picture, build_picture

__all__ = ["DelayLine", "Picture", "ReleaseTerms", "build_picture", "resolve_agreements"]
