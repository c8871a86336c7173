"""Diary measures: LOINC codes, UCUM units and colour bands (DESIGN.md §5, research/fhir.md §9)."""

from dataclasses import dataclass
from enum import StrEnum

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
MACHI_DIARY = "https://machi.hitachi.example/fhir/CodeSystem/diary"
DIARY_TAG = {"system": MACHI_DIARY, "code": "phr-diary"}


class Measure(StrEnum):
    BLOOD_PRESSURE = "blood_pressure"
    PULSE = "pulse"
    WEIGHT = "weight"
    TEMPERATURE = "temperature"
    SPO2 = "spo2"
    GLUCOSE = "glucose"
    STEPS = "steps"
    NOTE = "note"


@dataclass(frozen=True)
class Band:
    """A colour band of a trend chart: `low <= value < high` (None: open-ended)."""

    key: str
    label_ja: str
    label_en: str
    colour: str
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class MeasureSpec:
    measure: Measure
    code: str
    display: str
    label_ja: str
    unit: str | None
    category: str = "vital-signs"
    extra_codes: tuple[str, ...] = ()
    bands: tuple[Band, ...] = ()
    minimum: float = 0
    maximum: float = 1e6


_GREEN, _YELLOW, _RED, _BLUE = "#2E7D32", "#F9A825", "#C62828", "#1565C0"

# Home blood pressure (JSH 2019): ≥135/85 is hypertension; 125–134/75–84 is elevated.
SYSTOLIC_BANDS = (
    Band("normal", "正常", "normal", _GREEN, None, 125),
    Band("elevated", "高値", "elevated", _YELLOW, 125, 135),
    Band("high", "高血圧（家庭血圧 135以上）", "high (home ≥135)", _RED, 135, None),
)
DIASTOLIC_BANDS = (
    Band("normal", "正常", "normal", _GREEN, None, 75),
    Band("elevated", "高値", "elevated", _YELLOW, 75, 85),
    Band("high", "高血圧（家庭血圧 85以上）", "high (home ≥85)", _RED, 85, None),
)

MEASURES: dict[Measure, MeasureSpec] = {
    spec.measure: spec
    for spec in (
        MeasureSpec(
            Measure.BLOOD_PRESSURE,
            "85354-9",
            "Blood pressure panel with all children optional",
            "血圧",
            "mm[Hg]",
            bands=SYSTOLIC_BANDS,
            minimum=30,
            maximum=300,
        ),
        MeasureSpec(
            Measure.PULSE,
            "8867-4",
            "Heart rate",
            "脈拍",
            "/min",
            bands=(
                Band("low", "少ない", "low", _BLUE, None, 50),
                Band("normal", "正常", "normal", _GREEN, 50, 101),
                Band("high", "多い", "high", _RED, 101, None),
            ),
            minimum=20,
            maximum=250,
        ),
        MeasureSpec(Measure.WEIGHT, "29463-7", "Body weight", "体重", "kg", minimum=2, maximum=400),
        MeasureSpec(
            Measure.TEMPERATURE,
            "8310-5",
            "Body temperature",
            "体温",
            "Cel",
            bands=(
                Band("low", "低い", "low", _BLUE, None, 35.5),
                Band("normal", "平熱", "normal", _GREEN, 35.5, 37.5),
                Band("fever", "発熱（37.5以上）", "fever (≥37.5)", _RED, 37.5, None),
            ),
            minimum=30,
            maximum=45,
        ),
        MeasureSpec(
            Measure.SPO2,
            "59408-5",
            "Oxygen saturation in Arterial blood by Pulse oximetry",
            "SpO2",
            "%",
            extra_codes=("2708-6",),
            bands=(
                Band("low", "低い（受診を）", "low (see a doctor)", _RED, None, 90),
                Band("caution", "やや低い", "somewhat low", _YELLOW, 90, 96),
                Band("normal", "正常", "normal", _GREEN, 96, None),
            ),
            minimum=50,
            maximum=100,
        ),
        MeasureSpec(
            Measure.GLUCOSE,
            "41653-7",
            "Glucose [Mass/volume] in Capillary blood by Glucometer",
            "血糖",
            "mg/dL",
            category="laboratory",
            bands=(
                Band("normal", "正常（空腹時）", "normal (fasting)", _GREEN, None, 110),
                Band("borderline", "境界域", "borderline", _YELLOW, 110, 126),
                Band("high", "高い（126以上）", "high (≥126)", _RED, 126, None),
            ),
            minimum=10,
            maximum=1000,
        ),
        MeasureSpec(
            Measure.STEPS,
            "41950-7",
            "Number of steps in 24 hour Measured",
            "歩数",
            "{steps}",
            category="activity",
            bands=(
                Band("low", "少なめ", "low", _YELLOW, None, 4000),
                Band("fair", "まずまず", "fair", _BLUE, 4000, 8000),
                Band("good", "目標達成（8000歩）", "goal met (8000)", _GREEN, 8000, None),
            ),
            maximum=200000,
        ),
        MeasureSpec(
            Measure.NOTE,
            "mood-note",
            "Mood and symptom note",
            "気分・症状",
            None,
            category="survey",
        ),
    )
}

SYSTOLIC, DIASTOLIC = "8480-6", "8462-4"
CODE_TO_MEASURE = {spec.code: spec.measure for spec in MEASURES.values()}
CODE_TO_MEASURE["2708-6"] = Measure.SPO2


def band_of(bands: tuple[Band, ...], value: float) -> Band | None:
    for band in bands:
        if (band.low is None or value >= band.low) and (band.high is None or value < band.high):
            return band
    return None


def blood_pressure_band(systolic: float, diastolic: float) -> Band:
    """The worse of the two: 128/88 is 'high' because of the diastolic."""
    order = ["normal", "elevated", "high"]
    first = band_of(SYSTOLIC_BANDS, systolic) or SYSTOLIC_BANDS[0]
    second = band_of(DIASTOLIC_BANDS, diastolic) or DIASTOLIC_BANDS[0]
    return first if order.index(first.key) >= order.index(second.key) else second
