"""特定健診 CSV: a header row of CheckupIn field names (or their Japanese labels) and one row."""

import csv
import io

from server.core.errors import InvalidInput
from server.health.diary_schemas import CheckupIn

# Column names as they appear in Japanese exports, mapped to our fields.
JAPANESE_COLUMNS = {
    "受診日": "checked_on",
    "性別": "sex",
    "生年月日": "birth_date",
    "身長": "height_cm",
    "体重": "weight_kg",
    "腹囲": "waist_cm",
    "BMI": "bmi",
    "収縮期血圧": "systolic",
    "拡張期血圧": "diastolic",
    "中性脂肪": "triglycerides",
    "空腹時中性脂肪": "triglycerides_fasting",
    "HDLコレステロール": "hdl",
    "LDLコレステロール": "ldl",
    "空腹時血糖": "fasting_glucose",
    "随時血糖": "random_glucose",
    "HbA1c": "hba1c",
    "喫煙": "smoker",
    "服薬（血圧）": "on_bp_medication",
    "服薬（脂質）": "on_lipid_medication",
    "服薬（血糖）": "on_glucose_medication",
}
_VALUES = {
    "男": "male",
    "女": "female",
    "はい": "true",
    "いいえ": "false",
    "有": "true",
    "無": "false",
}


def parse_checkup_csv(raw: bytes) -> CheckupIn:
    """One checkup from CSV (UTF-8, with or without BOM); empty cells are 'not measured'."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("the CSV must be UTF-8") from None
    rows = list(csv.DictReader(io.StringIO(text)))
    if len(rows) != 1:
        raise InvalidInput(
            f"the CSV must have a header row and exactly one record, got {len(rows)}"
        )
    record = {}
    for column, value in rows[0].items():
        name = JAPANESE_COLUMNS.get((column or "").strip(), (column or "").strip())
        cell = (value or "").strip()
        if cell:
            record[name] = _VALUES.get(cell, cell)
    return CheckupIn.model_validate(record)
