"""shieldwall.io."""
