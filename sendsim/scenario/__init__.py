"""Scenarios: a council's parameters plus interventions, a capacity programme and what is
uncertain (`definition`); the TOML files that describe them (`files`); and what a scenario
assumes beyond its base council, as rows a board paper prints (`assumptions`)."""

from sendsim.scenario.definition import (CapacityProject, Condition, Effect, Intervention, Scenario,
                                         Sources)

__all__ = ["CapacityProject", "Condition", "Effect", "Intervention", "Scenario", "Sources"]
