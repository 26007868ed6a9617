"""Severity, 0 to 4, from the categories found, the casualties reported, who or what was hit,
and where.

    0  none      not a civilian risk (risk is false)
    1  low       a signal worth knowing, no direct danger to movement: protest, arrest,
                 infrastructure outage
    2  moderate  danger possible nearby or soon: riot, crime, road closure, displacement,
                 threats and mobilisation, unexploded ordnance, natural hazard, health
    3  high      violence against people or places, or an order to leave: strike, shelling,
                 clash, explosion, attack on civilians, kidnapping, evacuation order
    4  critical  mass-casualty violence

The base is the highest level of the categories found. Then, in order:
- killed: anyone killed makes it at least high (3); five or more killed, or twenty or more
  injured, makes it critical (4);
- protected target: a violent incident that hit aid workers, the UN or UNIFIL, journalists, or a
  hospital or ambulance is one level higher (these are the people and places aid staff share);
- civilians: violence or crime that hit civilians, homes, schools or places of worship is at
  least high (3);
- populated place: violence or crime in a city of 100,000 people or more is at least high (3);
- precursor: an item that only warns (escalation, evacuation, movement restriction), with no
  incident, stays at most high (3): it has not happened yet.
Every rule that raised the level is returned as a reason, and shows in the evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from digest.signals.categories import PRECURSORS
from digest.types import Casualties

BASE: dict[str, int] = {
    "protest": 1,
    "arrest": 1,
    "infrastructure": 1,
    "riot": 2,
    "crime": 2,
    "movement_restriction": 2,
    "displacement": 2,
    "escalation": 2,
    "uxo": 2,
    "natural_hazard": 2,
    "health": 2,
    "airstrike": 3,
    "shelling": 3,
    "armed_clash": 3,
    "explosion": 3,
    "attack_on_civilians": 3,
    "kidnapping": 3,
    "evacuation": 3,
}
VIOLENT = frozenset(
    {"airstrike", "shelling", "armed_clash", "explosion", "attack_on_civilians", "kidnapping"}
)
CRITICAL_KILLED = 5
CRITICAL_INJURED = 20
POPULATED = 100_000
HARMFUL = frozenset({"crime", "riot"})
PROTECTED = frozenset({"aid_workers", "un", "journalists", "health"})
CIVILIAN = frozenset({"civilians", "residential"})


@dataclass(frozen=True, slots=True)
class Reason:
    rule: str  # killed | injured | target | populated | precursor
    detail: str


def severity(
    categories: tuple[str, ...],
    casualties: Casualties,
    targets: frozenset[str] = frozenset(),
    population: int = 0,
) -> tuple[int, tuple[Reason, ...]]:
    if not categories:
        return 0, ()
    level = max(BASE[code] for code in categories)
    reasons: list[Reason] = []
    if casualties.killed >= CRITICAL_KILLED or casualties.injured >= CRITICAL_INJURED:
        level = 4
        rule = "killed" if casualties.killed >= CRITICAL_KILLED else "injured"
        reasons.append(Reason(rule, f"{casualties.killed} killed, {casualties.injured} injured"))
    elif casualties.killed >= 1 and level < 3:
        level = 3
        reasons.append(Reason("killed", f"{casualties.killed} killed"))
    violent = bool(VIOLENT.intersection(categories))
    protected = targets & PROTECTED
    if violent and protected and level < 4:
        level += 1
        reasons.append(Reason("target", ", ".join(sorted(protected))))
    harmful = violent or bool(HARMFUL.intersection(categories))
    civilian = targets & CIVILIAN
    if harmful and civilian and level < 3:
        level = 3
        reasons.append(Reason("target", ", ".join(sorted(civilian))))
    if harmful and population >= POPULATED and level < 3:
        level = 3
        reasons.append(Reason("populated", f"population {population:,}"))
    if set(categories) <= PRECURSORS and level > 3:
        level = 3
        reasons.append(Reason("precursor", "a warning, not an incident"))
    return level, tuple(reasons)
