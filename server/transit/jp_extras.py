"""GTFS-JP extras gtfs-kit drops: translations.txt (both layouts), agency/routes/office_jp."""

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# Languages whose stop names we keep on the stop row; others stay in the translation table.
KANA = "ja-Hrkt"
ENGLISH = "en"


@dataclass(frozen=True)
class Translation:
    """One translations.txt row in the GTFS layout.

    The old GTFS-JP layout (`trans_id,lang,translation`) translates a text wherever it appears:
    it becomes a row with table_name/field_name "*" and the original text in field_value.
    """

    table_name: str
    field_name: str
    language: str
    translation: str
    record_id: str | None = None
    record_sub_id: str | None = None
    field_value: str | None = None


@dataclass
class JpExtras:
    translations: list[Translation] = field(default_factory=list)
    agencies_jp: list[dict[str, str]] = field(default_factory=list)
    routes_jp: list[dict[str, str]] = field(default_factory=list)
    offices_jp: list[dict[str, str]] = field(default_factory=list)


def _rows(path: Path) -> Iterator[dict[str, str]]:
    if not path.is_file():
        return
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        reader.fieldnames = [name.strip() for name in reader.fieldnames or []]
        for row in reader:
            yield {k: (v or "").strip() for k, v in row.items() if k is not None}


def read_translations(path: Path) -> list[Translation]:
    result = []
    for row in _rows(path):
        if "trans_id" in row:
            if row.get("trans_id") and row.get("lang") and row.get("translation"):
                result.append(
                    Translation(
                        "*", "*", row["lang"], row["translation"], field_value=row["trans_id"]
                    )
                )
            continue
        if not (row.get("language") and row.get("translation")):
            continue
        result.append(
            Translation(
                table_name=row.get("table_name", "").removesuffix(".txt"),
                field_name=row.get("field_name", ""),
                language=row["language"],
                translation=row["translation"],
                record_id=row.get("record_id") or None,
                record_sub_id=row.get("record_sub_id") or None,
                field_value=row.get("field_value") or None,
            )
        )
    return result


def read_jp_extras(feed_dir: Path) -> JpExtras:
    return JpExtras(
        translations=read_translations(feed_dir / "translations.txt"),
        agencies_jp=list(_rows(feed_dir / "agency_jp.txt")),
        routes_jp=list(_rows(feed_dir / "routes_jp.txt")),
        offices_jp=list(_rows(feed_dir / "office_jp.txt")),
    )


class Translator:
    """Looks up a translated text by record (GTFS layout) or by the original text (either)."""

    def __init__(self, translations: list[Translation]) -> None:
        self._by_record: dict[tuple[str, str, str, str], str] = {}
        self._by_value: dict[tuple[str, str, str, str], str] = {}
        for t in translations:
            if t.record_id is not None:
                key = (t.table_name, t.field_name, t.record_id, t.language)
                self._by_record[key] = t.translation
            elif t.field_value is not None:
                key = (t.table_name, t.field_name, t.field_value, t.language)
                self._by_value[key] = t.translation

    def __bool__(self) -> bool:
        return bool(self._by_record or self._by_value)

    def get(
        self, table: str, field_name: str, record_id: str, value: str, language: str
    ) -> str | None:
        return (
            self._by_record.get((table, field_name, record_id, language))
            or self._by_value.get((table, field_name, value, language))
            or self._by_value.get(("*", "*", value, language))
        )
