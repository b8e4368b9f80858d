"""Simulation: the clock and loop that move data through the stages, and the event recorder."""

from shieldwall.sim.engine import SimResult, simulate
from shieldwall.sim.events import EVENT_KINDS, SCHEMA, EventLog

__all__ = ["EVENT_KINDS", "SCHEMA", "EventLog", "SimResult", "simulate"]
