"""shieldwall.studies."""
