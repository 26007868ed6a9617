"""The service's clock. Real time, unless $DIGEST_FAKE_CLOCK sets a simulated one for soak
tests: "START,ANCHOR,SPEED" makes the time START at the Unix time ANCHOR, running SPEED times
faster than real time, so a restarted daemon carries on where the killed one was."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from digest.errors import ConfigError

ENV_FAKE_CLOCK = "DIGEST_FAKE_CLOCK"


@dataclass(frozen=True, slots=True)
class Clock:
    start: datetime | None = None  # None: real time
    anchor: float = 0.0
    speed: float = 1.0

    def now(self) -> datetime:
        if self.start is None:
            return datetime.now(UTC)
        return self.start + timedelta(seconds=(time.time() - self.anchor) * self.speed)

    def real_seconds(self, simulated: float) -> float:
        """How long `simulated` seconds of this clock last in real time."""
        return simulated / self.speed

    @classmethod
    def from_environment(cls) -> Clock:
        value = os.environ.get(ENV_FAKE_CLOCK)
        if not value:
            return cls()
        try:
            start, anchor, speed = value.split(",")
            moment = datetime.fromisoformat(start)
            if moment.tzinfo is None:
                raise ValueError("the start needs a UTC offset")
            return cls(moment.astimezone(UTC), float(anchor), float(speed))
        except ValueError as exc:
            raise ConfigError([f"${ENV_FAKE_CLOCK}: expected START,ANCHOR,SPEED ({exc})"]) from None
