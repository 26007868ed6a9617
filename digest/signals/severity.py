"""Severity, 0 to 4, from the categories found and the casualties reported.

    0  none      not a civilian risk (risk is false)
    1  low       a signal worth knowing, no direct danger to movement: protest, arrest,
                 infrastructure outage
    2  moderate  danger possible nearby or soon: riot, crime, road closure, displacement,
                 threats and mobilisation, unexploded ordnance, natural hazard, health
    3  high      violence against people or places, or an order to leave: strike, shelling,
                 clash, explosion, attack on civilians, kidnapping, evacuation order;
                 also any lower category when someone was killed
    4  critical  mass-casualty violence: five or more killed, or twenty or more injured

The level is the highest any rule gives.
"""

from __future__ import annotations

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
CRITICAL_KILLED = 5
CRITICAL_INJURED = 20


def severity(categories: tuple[str, ...], casualties: Casualties) -> int:
    if not categories:
        return 0
    level = max(BASE[code] for code in categories)
    if casualties.killed >= 1:
        level = max(level, 3)
    if casualties.killed >= CRITICAL_KILLED or casualties.injured >= CRITICAL_INJURED:
        level = 4
    return level
