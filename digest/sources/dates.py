"""Feed dates to UTC: RFC 822 (RSS), ISO 8601 (Atom, RDF, JSON Feed), and the French and Arabic
month names that Lebanese and French publishers put in their feeds ("24 mars 2026 14:05",
"الثلاثاء 24 آذار 2026"). A date without an offset is taken as UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

# a date of an earlier year is a placeholder or a typing error ("0001-01-01", "0999"), not news
EARLIEST_YEAR = 1900

MONTHS: dict[str, int] = {}
for number, names in enumerate(
    (
        "january jan janvier janv يناير كانون الثاني",
        "february feb février fevrier févr fevr فبراير شباط",
        "march mar mars مارس آذار اذار",
        "april apr avril avr أبريل ابريل نيسان",
        "may mai مايو أيار ايار",
        "june jun juin يونيو يونيه حزيران",
        "july jul juillet juil يوليو يوليه تموز",
        "august aug août aout أغسطس اغسطس آب اب",
        "september sep sept septembre سبتمبر أيلول ايلول",
        "october oct octobre أكتوبر اكتوبر تشرين الأول تشرين الاول",
        "november nov novembre نوفمبر تشرين الثاني",
        "december dec décembre decembre déc دجنبر ديسمبر كانون الأول كانون الاول",
    ),
    start=1,
):
    for name in names.split():
        MONTHS[name] = number
# two-word Levantine names first, so "تشرين الثاني" is not read as "تشرين"
_TWO_WORDS = {
    "كانون الثاني": 1,
    "تشرين الأول": 10,
    "تشرين الاول": 10,
    "تشرين الثاني": 11,
    "كانون الأول": 12,
    "كانون الاول": 12,
}
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_SPELLED = re.compile(
    r"(?P<day>\d{1,2})\s+(?P<month>[^\W\d_]+(?:\s[^\W\d_]+)?)\.?,?\s+(?P<year>\d{4})"
    r"(?:[\s,àT-]+(?P<hour>\d{1,2})[:h](?P<minute>\d{2})(?::(?P<second>\d{2}))?)?"
    r"\s*(?P<zone>Z|GMT|UTC|[+-]\d{2}:?\d{2})?",
    re.IGNORECASE,
)


def parse_date(text: str | None) -> datetime | None:
    if not text or not text.strip():
        return None
    text = " ".join(text.translate(_DIGITS).split())
    for reader in (_rfc822, _iso, _spelled):
        moment = reader(text)
        if moment is not None:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            try:
                return moment.astimezone(UTC)
            except OverflowError:  # 9999-12-31T23:00-05:00, 0001-01-01T00:00+01:00: undated
                return None
    return None


def _rfc822(text: str) -> datetime | None:
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def _iso(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _spelled(text: str) -> datetime | None:
    match = _SPELLED.search(text)
    if match is None:
        return None
    words = match["month"].lower()
    month = _TWO_WORDS.get(words) or MONTHS.get(words) or MONTHS.get(words.split()[0])
    if month is None:
        return None
    try:
        moment = datetime(
            int(match["year"]),
            month,
            int(match["day"]),
            int(match["hour"] or 0),
            int(match["minute"] or 0),
            int(match["second"] or 0),
        )
    except ValueError:
        return None
    zone = match["zone"]
    if zone and zone[0] in "+-":
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        moment = moment.replace(tzinfo=UTC) - (offset if zone[0] == "+" else -offset)
    return moment
