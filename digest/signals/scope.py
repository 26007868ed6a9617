"""The default region of interest: Lebanon, its neighbours, and the other parties whose conflicts
spill into it (Iraq, Iran, Cyprus as the evacuation hub)."""

DEFAULT_COUNTRIES: tuple[str, ...] = ("LB", "SY", "IL", "PS", "JO", "IQ", "IR", "CY")
