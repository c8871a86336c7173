"""The report for the doctor: the last 7 or 30 days of the diary as CSV and as a Japanese PDF."""

import csv
import io
from datetime import date
from pathlib import Path

from fpdf import FPDF

from server.health.diary_codes import Measure
from server.health.diary_schemas import DiaryEntry

FONT = Path(__file__).resolve().parents[2] / "app" / "assets" / "fonts" / "BIZUDPGothic-Regular.ttf"
_TIMING_JA = {"morning": "朝", "evening": "夜", "other": ""}
_BAND_JA = {
    "high": "高い",
    "elevated": "やや高い",
    "fever": "発熱",
    "low": "低い",
    "caution": "注意",
}


def _value_text(entry: DiaryEntry) -> str:
    if entry.measure == Measure.BLOOD_PRESSURE and entry.value is not None:
        return (
            f"{entry.value:g}/{entry.value2:g}" if entry.value2 is not None else f"{entry.value:g}"
        )
    if entry.measure == Measure.NOTE:
        return f"気分 {entry.value:g}/5" if entry.value is not None else ""
    return f"{entry.value:g}" if entry.value is not None else ""


def report_csv(entries: list[DiaryEntry]) -> str:
    """One row per entry; UTF-8 with a BOM so Excel in Japan opens it correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["日時", "項目", "値", "単位", "朝夕", "判定", "メモ"])
    for entry in entries:
        writer.writerow(
            [
                entry.taken_at.strftime("%Y-%m-%d %H:%M"),
                entry.label_ja,
                _value_text(entry),
                entry.unit or "",
                _TIMING_JA.get(entry.timing or "", ""),
                _BAND_JA.get(entry.band or "", ""),
                (entry.text or "").replace("\n", " "),
            ]
        )
    return "\ufeff" + out.getvalue()


def _averages(entries: list[DiaryEntry]) -> list[str]:
    lines = []
    for timing in ("morning", "evening"):
        readings = [
            e
            for e in entries
            if e.measure == Measure.BLOOD_PRESSURE and e.timing == timing and e.value2 is not None
        ]
        if readings:
            systolic = sum(e.value or 0 for e in readings) / len(readings)
            diastolic = sum(e.value2 or 0 for e in readings) / len(readings)
            high = sum(1 for e in readings if e.band == "high")
            lines.append(
                f"{_TIMING_JA[timing]}の血圧 平均 {systolic:.0f}/{diastolic:.0f} mmHg"
                f"（{len(readings)}回、うち135/85以上 {high}回）"
            )
    for measure, label in (
        (Measure.PULSE, "脈拍"),
        (Measure.WEIGHT, "体重"),
        (Measure.STEPS, "歩数"),
    ):
        values = [e.value for e in entries if e.measure == measure and e.value is not None]
        if values:
            mean = sum(values) / len(values)
            lines.append(f"{label} 平均 {mean:.1f}（最小 {min(values):g}、最大 {max(values):g}）")
    return lines


def report_pdf(entries: list[DiaryEntry], patient_label: str, start: date, end: date) -> bytes:
    """A one-file PDF: summary averages, then every reading; BIZ UDPGothic for Japanese."""
    pdf = FPDF(format="A4")
    pdf.add_font("bizud", fname=str(FONT))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("bizud", size=16)
    pdf.cell(0, 10, "健康日記 受診用レポート", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("bizud", size=10)
    pdf.cell(
        0,
        6,
        f"{patient_label}  期間 {start:%Y-%m-%d} 〜 {end:%Y-%m-%d}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    pdf.set_font("bizud", size=11)
    for line in _averages(entries) or ["この期間の記録はありません"]:
        pdf.cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("bizud", size=9)
    widths = (32, 24, 26, 16, 10, 18, 64)
    headers = ("日時", "項目", "値", "単位", "朝夕", "判定", "メモ")
    for width, text in zip(widths, headers, strict=True):
        pdf.cell(width, 6, text, border=1)
    pdf.ln()
    for entry in entries:
        row = (
            entry.taken_at.strftime("%m/%d %H:%M"),
            entry.label_ja,
            _value_text(entry),
            entry.unit or "",
            _TIMING_JA.get(entry.timing or "", ""),
            _BAND_JA.get(entry.band or "", ""),
            (entry.text or "").replace("\n", " ")[:40],
        )
        for width, text in zip(widths, row, strict=True):
            pdf.cell(width, 6, text, border=1)
        pdf.ln()
    return bytes(pdf.output())
