"""Request and response shapes of the PHR diary API (/api/v1/diary)."""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from server.health.checkup import Level
from server.health.diary_codes import Measure

Timing = Literal["morning", "evening", "other"]


class BloodPressureIn(BaseModel):
    """One home blood pressure reading: the numbers, optionally pulse, time and morning/evening."""

    systolic: int = Field(ge=50, le=300)
    diastolic: int = Field(ge=20, le=200)
    pulse: int | None = Field(default=None, ge=20, le=250)
    taken_at: datetime | None = None
    timing: Timing | None = None
    note: str | None = Field(default=None, max_length=500)


class MeasurementIn(BaseModel):
    """Pulse, weight, temperature, SpO2, glucose or steps."""

    measure: Literal["pulse", "weight", "temperature", "spo2", "glucose", "steps"]
    value: float
    taken_at: datetime | None = None
    timing: Timing | None = None
    fasting: bool | None = None
    note: str | None = Field(default=None, max_length=500)


class NoteIn(BaseModel):
    """Mood (1 bad – 5 good) and symptoms, in the person's own words."""

    mood: int | None = Field(default=None, ge=1, le=5)
    symptoms: list[str] = Field(default_factory=list, max_length=20)
    text: str = Field(default="", max_length=2000)
    taken_at: datetime | None = None


class MedicationIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    dose: str | None = Field(default=None, max_length=100)
    taken: bool = True
    taken_at: datetime | None = None


class DiaryEntry(BaseModel):
    id: str
    measure: Measure | Literal["medication"]
    label_ja: str
    taken_at: datetime
    value: float | None = None
    value2: float | None = None  # the diastolic of a blood pressure
    unit: str | None = None
    timing: Timing | None = None
    band: str | None = None
    colour: str | None = None
    text: str | None = None


class BandOut(BaseModel):
    key: str
    label_ja: str
    label_en: str
    colour: str
    low: float | None
    high: float | None


class TrendPoint(BaseModel):
    taken_at: datetime
    value: float
    value2: float | None = None
    timing: Timing | None = None
    band: str | None = None


class Trend(BaseModel):
    measure: Measure
    label_ja: str
    unit: str | None
    days: int
    bands: list[BandOut]
    bands2: list[BandOut] = Field(default_factory=list)  # diastolic bands of blood pressure
    points: list[TrendPoint]
    average: float | None = None
    average2: float | None = None


class CheckupIn(BaseModel):
    """特定健診 items (JSON, or one CSV row with these column names)."""

    checked_on: date
    sex: Literal["male", "female"]
    birth_date: date
    height_cm: float | None = Field(default=None, gt=50, lt=250)
    weight_kg: float | None = Field(default=None, gt=2, lt=400)
    waist_cm: float | None = Field(default=None, gt=30, lt=250)
    bmi: float | None = Field(default=None, gt=5, lt=100)
    systolic: float | None = Field(default=None, ge=50, le=300)
    diastolic: float | None = Field(default=None, ge=20, le=200)
    triglycerides: float | None = Field(default=None, ge=0, le=5000)
    triglycerides_fasting: bool = True
    hdl: float | None = Field(default=None, ge=0, le=500)
    ldl: float | None = Field(default=None, ge=0, le=1000)
    fasting_glucose: float | None = Field(default=None, ge=0, le=1000)
    random_glucose: float | None = Field(default=None, ge=0, le=1000)
    hba1c: float | None = Field(default=None, ge=2, le=20)
    smoker: bool = False
    on_bp_medication: bool = False
    on_lipid_medication: bool = False
    on_glucose_medication: bool = False


class CheckupOut(BaseModel):
    checked_on: date
    level: Level
    reasons: list[str]
    note: str
    items: dict[str, float]
