"""shieldwall: coalition air and missile defense network modelling (defensive, notional)."""

from shieldwall._version import __version__

__all__ = ["__version__"]
