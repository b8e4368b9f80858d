"""shieldwall.scenario: scenario and catalog models, the YAML loader, built-in scenarios."""

from shieldwall.scenario.catalog import MIN_PK
from shieldwall.scenario.loader import (
    ScenarioError,
    builtin_catalog,
    builtin_scenarios,
    load_catalog,
    load_scenario,
    scenario_json_schema,
    scenario_to_yaml,
)
from shieldwall.scenario.models import THREAT_CLASSES, Catalog, Scenario

__all__ = [
    "MIN_PK",
    "THREAT_CLASSES",
    "Catalog",
    "Scenario",
    "ScenarioError",
    "builtin_catalog",
    "builtin_scenarios",
    "load_catalog",
    "load_scenario",
    "scenario_json_schema",
    "scenario_to_yaml",
]
