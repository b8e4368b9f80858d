"""Fire doctrine: how many interceptors go at one threat, per threat class.

``sim.doctrine`` sets it for every shooter, class by class; ``batteries[i].doctrine`` overrides
single fields for one battery (a field it leaves out, or sets to null, is the ``sim`` one):

- ``salvo: 1``, shoot-look-shoot (the default): one interceptor at a threat, the next only
  after the kill assessment of the last one;
- ``salvo: k``: k interceptors fired together at one threat in one decision cycle, from one
  shooter or several, each an independent kill draw, and the next only after all of them are
  assessed; a shooter whose salvo is k takes part in a threat's salvo only as one of its first
  k rounds (so a salvo-1 battery never adds a second round to a salvo of two);
- ``max_shots: N``: at most N interceptors in total at one threat of the class over its whole
  flight (counted across every shooter and nation);
- ``rounds_per_cycle: n``: at most n rounds from one shooter at threats of the class in one
  decision cycle.

The class is the one the firing nation's picture gives the threat.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from shieldwall.scenario.fields import _Model

SALVO_MAX = 8


class ClassDoctrine(_Model):
    """The doctrine for one threat class (defaults: shoot-look-shoot, no limits)."""

    salvo: int = Field(
        default=1,
        ge=1,
        le=SALVO_MAX,
        description="interceptors fired together at one threat in one cycle (1: "
        "shoot-look-shoot, the next shot only after the kill assessment)",
    )
    max_shots: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="most interceptors at one threat over its whole flight (null: no limit)",
    )
    rounds_per_cycle: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="most rounds one shooter fires at the class in one decision cycle (null: "
        "no limit)",
    )

    @model_validator(mode="after")
    def _salvo_fits(self) -> ClassDoctrine:
        if self.max_shots is not None and self.max_shots < self.salvo:
            raise ValueError(
                f"max_shots ({self.max_shots}) is below salvo ({self.salvo}): the salvo could "
                "never be fired whole; raise max_shots or lower salvo"
            )
        return self


class Doctrine(_Model):
    """``sim.doctrine``: one :class:`ClassDoctrine` per threat class."""

    ballistic: ClassDoctrine = Field(default_factory=ClassDoctrine)
    cruise: ClassDoctrine = Field(default_factory=ClassDoctrine)
    drone: ClassDoctrine = Field(default_factory=ClassDoctrine)


class ClassDoctrineOverride(_Model):
    """One battery's own values for one class; null fields keep ``sim.doctrine``'s."""

    salvo: int | None = Field(default=None, ge=1, le=SALVO_MAX, description="see sim.doctrine")
    max_shots: int | None = Field(default=None, ge=1, le=1000, description="see sim.doctrine")
    rounds_per_cycle: int | None = Field(
        default=None, ge=1, le=1000, description="see sim.doctrine"
    )

    @model_validator(mode="after")
    def _something(self) -> ClassDoctrineOverride:
        if self.salvo is None and self.max_shots is None and self.rounds_per_cycle is None:
            raise ValueError("give salvo, max_shots or rounds_per_cycle, or remove this class")
        if self.max_shots is not None and self.salvo is not None and self.max_shots < self.salvo:
            raise ValueError(
                f"max_shots ({self.max_shots}) is below salvo ({self.salvo}): the salvo could "
                "never be fired whole; raise max_shots or lower salvo"
            )
        return self


class DoctrineOverride(_Model):
    """``batteries[i].doctrine``: the battery's own values, per class (absent: the sim's)."""

    ballistic: ClassDoctrineOverride | None = None
    cruise: ClassDoctrineOverride | None = None
    drone: ClassDoctrineOverride | None = None
