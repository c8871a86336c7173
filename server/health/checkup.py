"""特定健診 results and the 特定保健指導 level (4th period, FY2024–): a reference pre-screen.

Rules from MHLW 「標準的な健診・保健指導プログラム（令和6年度版）」 steps 1–4 (research/fhir.md §9).
The insurer makes the official determination; every result says so.
"""

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class Level(StrEnum):
    ACTIVE = "積極的支援"
    MOTIVATIONAL = "動機付け支援"
    INFORMATION = "情報提供"  # no 特定保健指導: information only
    NOT_APPLICABLE = "対象外"  # outside 40–74, or on medication


@dataclass(frozen=True)
class CheckupResult:
    """One 特定健診 record (values as measured; None when not measured)."""

    checked_on: date
    sex: str  # "male" | "female"
    birth_date: date
    height_cm: float | None = None
    weight_kg: float | None = None
    waist_cm: float | None = None
    bmi: float | None = None
    systolic: float | None = None
    diastolic: float | None = None
    triglycerides: float | None = None
    triglycerides_fasting: bool = True
    hdl: float | None = None
    ldl: float | None = None
    fasting_glucose: float | None = None
    random_glucose: float | None = None
    hba1c: float | None = None
    smoker: bool = False
    on_bp_medication: bool = False
    on_lipid_medication: bool = False
    on_glucose_medication: bool = False

    @property
    def computed_bmi(self) -> float | None:
        if self.bmi is not None:
            return self.bmi
        if self.height_cm and self.weight_kg:
            return round(self.weight_kg / (self.height_cm / 100) ** 2, 1)
        return None


@dataclass(frozen=True)
class Stratification:
    level: Level
    reasons: list[str] = field(default_factory=list)
    note: str = "参考判定です。正式な判定は医療保険者が行います。"


def fiscal_year_age(birth_date: date, checked_on: date) -> int:
    """The age reached by the end of the fiscal year (31 March) of the checkup."""
    fiscal_end = date(checked_on.year + (1 if checked_on.month >= 4 else 0), 3, 31)
    age = fiscal_end.year - birth_date.year
    if (fiscal_end.month, fiscal_end.day) < (birth_date.month, birth_date.day):
        age -= 1
    return age


def stratify(result: CheckupResult) -> Stratification:
    """階層化 steps 1–4 of the 4th period."""
    age = fiscal_year_age(result.birth_date, result.checked_on)
    if not 40 <= age <= 74:
        return Stratification(Level.NOT_APPLICABLE, [f"対象年齢（40〜74歳）外です（{age}歳）"])
    medication = [
        name
        for name, on in (
            ("血圧", result.on_bp_medication),
            ("脂質", result.on_lipid_medication),
            ("血糖", result.on_glucose_medication),
        )
        if on
    ]
    if medication:
        return Stratification(
            Level.NOT_APPLICABLE,
            [f"{'・'.join(medication)}の薬を服用中のため特定保健指導の対象外です（主治医が指導）"],
        )

    # Step 1: visceral fat.
    waist_limit = 85 if result.sex == "male" else 90
    bmi = result.computed_bmi
    reasons: list[str] = []
    if result.waist_cm is not None and result.waist_cm >= waist_limit:
        group = 1
        reasons.append(f"腹囲 {result.waist_cm:g} cm（基準 {waist_limit} cm 以上）")
    elif bmi is not None and bmi >= 25:
        group = 2
        reasons.append(f"BMI {bmi:g}（25 以上）")
    else:
        return Stratification(Level.INFORMATION, ["腹囲・BMI が基準未満です"])

    # Step 2: risks.
    risks = 0
    if (result.systolic or 0) >= 130 or (result.diastolic or 0) >= 85:
        risks += 1
        reasons.append("血圧：収縮期 130 以上 または 拡張期 85 以上")
    tg_limit = 150 if result.triglycerides_fasting else 175
    if (result.triglycerides is not None and result.triglycerides >= tg_limit) or (
        result.hdl is not None and result.hdl < 40
    ):
        risks += 1
        timing = "空腹時" if result.triglycerides_fasting else "随時"
        reasons.append(f"脂質：中性脂肪 {tg_limit} 以上（{timing}）または HDL 40 未満")
    glucose = (
        result.fasting_glucose if result.fasting_glucose is not None else result.random_glucose
    )
    if (glucose is not None and glucose >= 100) or (
        result.hba1c is not None and result.hba1c >= 5.6
    ):
        risks += 1
        reasons.append("血糖：空腹時（随時）血糖 100 以上 または HbA1c 5.6% 以上")
    if result.smoker and risks:
        # Smoking counts only together with one of the three risks above.
        risks += 1
        reasons.append("喫煙あり")

    # Step 3.
    if group == 1:
        level = (
            Level.ACTIVE if risks >= 2 else Level.MOTIVATIONAL if risks == 1 else Level.INFORMATION
        )
    else:
        level = (
            Level.ACTIVE if risks >= 3 else Level.MOTIVATIONAL if risks >= 1 else Level.INFORMATION
        )
    # Step 4: at 65–74, 積極的支援 becomes 動機付け支援.
    if level is Level.ACTIVE and age >= 65:
        level = Level.MOTIVATIONAL
        reasons.append(f"{age}歳（65〜74歳）のため積極的支援は動機付け支援になります")
    return Stratification(level, reasons)
