"""The risk categories of CONTRACTS section 3, and how the digest treats them."""

from __future__ import annotations

CATEGORY_CODES: tuple[str, ...] = (
    "airstrike",
    "shelling",
    "armed_clash",
    "explosion",
    "uxo",
    "attack_on_civilians",
    "kidnapping",
    "protest",
    "riot",
    "movement_restriction",
    "evacuation",
    "displacement",
    "arrest",
    "crime",
    "escalation",
    "natural_hazard",
    "health",
    "infrastructure",
)

LABELS: dict[str, str] = {
    "airstrike": "Air/drone strike",
    "shelling": "Shelling",
    "armed_clash": "Armed clash",
    "explosion": "Explosion",
    "uxo": "Unexploded ordnance",
    "attack_on_civilians": "Attack on civilians",
    "kidnapping": "Kidnapping",
    "protest": "Protest",
    "riot": "Riot",
    "movement_restriction": "Movement restriction",
    "evacuation": "Evacuation",
    "displacement": "Displacement",
    "arrest": "Arrest",
    "crime": "Crime",
    "escalation": "Escalation",
    "natural_hazard": "Natural hazard",
    "health": "Health",
    "infrastructure": "Infrastructure",
}

# When an item matches several categories about as strongly, the more specific one is named
# first: "gunmen kidnapped a man" is a kidnapping before it is an attack on civilians.
SPECIFICITY: tuple[str, ...] = (
    "evacuation",
    "airstrike",
    "shelling",
    "kidnapping",
    "explosion",
    "uxo",
    "armed_clash",
    "riot",
    "protest",
    "displacement",
    "movement_restriction",
    "arrest",
    "natural_hazard",
    "health",
    "infrastructure",
    "attack_on_civilians",
    "crime",
    "escalation",
)

# Precursors get their own "early warning" section at the top of a digest.
PRECURSORS: frozenset[str] = frozenset({"escalation", "evacuation", "movement_restriction"})

# Families group categories that describe the same kind of incident, for clustering stories.
FAMILIES: dict[str, str] = {
    "airstrike": "strike",
    "shelling": "strike",
    "explosion": "strike",
    "armed_clash": "violence",
    "attack_on_civilians": "violence",
    "crime": "violence",
    "kidnapping": "violence",
    "uxo": "ordnance",
    "protest": "unrest",
    "riot": "unrest",
    "arrest": "unrest",
    "movement_restriction": "movement",
    "evacuation": "displacement",
    "displacement": "displacement",
    "escalation": "escalation",
    "natural_hazard": "hazard",
    "health": "hazard",
    "infrastructure": "hazard",
}
