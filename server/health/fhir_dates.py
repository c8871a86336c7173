"""FHIR date, dateTime and instant values as [lo, hi) ranges of UTC instants (fixed-width text)."""

import re
from datetime import UTC, datetime, timedelta, timezone

from server.core.errors import InvalidInput

# Dates and times without an offset are read as Japan time: the app's users and data are there.
LOCAL_TZ = timezone(timedelta(hours=9))
MIN_INSTANT = "0001-01-01T00:00:00.000000"
MAX_INSTANT = "9999-12-31T23:59:59.999999"

_DATE = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d+))?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


def instant_text(moment: datetime) -> str:
    """The stored form of an aware datetime."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def meta_instant(stored: str) -> str:
    """The stored form as a FHIR instant for meta.lastUpdated and Last-Modified."""
    return stored + "+00:00"


def date_range(value: str) -> tuple[str, str]:
    """The [lo, hi) UTC range a FHIR date/dateTime/instant covers, at its own precision."""
    match = _DATE.match(value)
    if not match:
        raise InvalidInput(f"'{value}' is not a FHIR date or dateTime (YYYY, YYYY-MM, YYYY-MM-DD…)")
    parts = match.groupdict()
    try:
        year = int(parts["y"])
        month = int(parts["m"] or 1)
        day = int(parts["d"] or 1)
        hour = int(parts["H"] or 0)
        minute = int(parts["M"] or 0)
        second = int(parts["S"] or 0)
        fraction = parts["f"] or ""
        micro = int((fraction + "000000")[:6]) if fraction else 0
        tz_text = parts["tz"]
        tz = LOCAL_TZ if not tz_text else _offset(tz_text)
        start = datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)
    except ValueError as exc:
        raise InvalidInput(f"'{value}' is not a valid date: {exc}") from None
    end = _advance(start, parts, fraction)
    return instant_text(start), (instant_text(end) if end else MAX_INSTANT)


def period_range(start: str | None, end: str | None) -> tuple[str, str]:
    """A Period: an open start or end stretches to the beginning or end of time."""
    lo = date_range(start)[0] if start else MIN_INSTANT
    hi = date_range(end)[1] if end else MAX_INSTANT
    return lo, hi


def _offset(text: str) -> timezone:
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _advance(start: datetime, parts: dict[str, str | None], fraction: str) -> datetime | None:
    try:
        if parts["m"] is None:
            return start.replace(year=start.year + 1)
        if parts["d"] is None:
            if start.month == 12:
                return start.replace(year=start.year + 1, month=1)
            return start.replace(month=start.month + 1)
        if parts["H"] is None:
            return start + timedelta(days=1)
        if parts["S"] is None:
            return start + timedelta(minutes=1)
        if not fraction:
            return start + timedelta(seconds=1)
        return start + timedelta(microseconds=10 ** max(0, 6 - len(fraction)))
    except (ValueError, OverflowError):
        return None
