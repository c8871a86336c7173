"""特定保健指導 stratification, 4th period (research/fhir.md §9)."""

from datetime import date

import pytest

from server.health.checkup import CheckupResult, Level, fiscal_year_age, stratify


def person(**values: object) -> CheckupResult:
    base: dict[str, object] = {
        "checked_on": date(2026, 6, 1),
        "sex": "male",
        "birth_date": date(1976, 1, 1),
        "height_cm": 170,
        "weight_kg": 65,
    }
    return CheckupResult(**{**base, **values})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "level"),
    [
        ({"waist_cm": 84}, Level.INFORMATION),
        ({"waist_cm": 85}, Level.INFORMATION),  # step 1 only: no risk
        ({"waist_cm": 85, "systolic": 130}, Level.MOTIVATIONAL),
        ({"waist_cm": 85, "systolic": 130, "hba1c": 5.6}, Level.ACTIVE),
        ({"waist_cm": 85, "systolic": 130, "smoker": True}, Level.ACTIVE),
        ({"waist_cm": 85, "smoker": True}, Level.INFORMATION),  # smoking alone never counts
        ({"sex": "female", "waist_cm": 89, "systolic": 140}, Level.INFORMATION),  # women: 90 cm
        ({"weight_kg": 75, "systolic": 130, "hdl": 39}, Level.MOTIVATIONAL),  # BMI 26: 2 risks
        ({"weight_kg": 75, "systolic": 130, "hdl": 39, "hba1c": 5.6}, Level.ACTIVE),
        ({"waist_cm": 90, "triglycerides": 170, "triglycerides_fasting": False}, Level.INFORMATION),
        (
            {"waist_cm": 90, "triglycerides": 175, "triglycerides_fasting": False},
            Level.MOTIVATIONAL,
        ),
        ({"waist_cm": 90, "systolic": 150, "on_bp_medication": True}, Level.NOT_APPLICABLE),
    ],
)
def test_levels(values: dict[str, object], level: Level) -> None:
    assert stratify(person(**values)).level is level


def test_65_to_74_are_capped_at_motivational_support() -> None:
    result = stratify(person(birth_date=date(1959, 9, 1), waist_cm=95, systolic=140, hba1c=6.0))

    assert result.level is Level.MOTIVATIONAL
    assert any("65" in reason for reason in result.reasons)


def test_age_is_the_one_reached_in_the_fiscal_year() -> None:
    # Born 1 Feb 1952: turns 75 in February 2027, inside FY2026 (April 2026 – March 2027).
    assert fiscal_year_age(date(1952, 2, 1), date(2026, 6, 1)) == 75
    assert stratify(person(birth_date=date(1952, 2, 1), waist_cm=95)).level is Level.NOT_APPLICABLE
