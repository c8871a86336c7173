"""The 健康日記 screen: blood pressure in three taps, quick entries, today's list, a chart with
colour bands, history, the checkup explained, and the report for the doctor."""

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Literal

import flet as ft
import flet_charts as fch

from app.client.auth import Session
from app.client.diary import (
    BAND_COLOURS,
    LOCAL_TZ,
    QUICK_MEASURES,
    REPORT_DAYS,
    TIMINGS,
    TREND_DAYS,
    TREND_MEASURES,
    DiaryBook,
    DiaryState,
    Entry,
    Trend,
    TrendPoint,
    unit_label,
)
from app.client.state import AppState
from app.client.views.common import heading
from app.client.views.signin import require_sign_in

RunTask = Callable[[Callable[[], Awaitable[None]]], Any]
TABLET_WIDTH = 700
BP_LINE, BP_LINE2 = "#1565C0", "#00897B"


def _title(state: AppState, key: str) -> ft.Text:
    return ft.Text(state.t(key), size=state.text_size(20), weight=ft.FontWeight.BOLD)


def _card(*controls: ft.Control) -> ft.Control:
    return ft.Card(content=ft.Container(ft.Column(list(controls), spacing=12), padding=16))


def _number_field(
    state: AppState, diary: DiaryState, name: str, label_key: str, *, decimal: bool = False
) -> ft.TextField:
    def on_change(e: ft.Event[ft.TextField]) -> None:
        # Kept in the state, not redrawn: a redraw would take the keyboard away mid-number.
        diary.typed[name] = str(e.control.value or "")

    return ft.TextField(
        # A new key after each saved entry: the browser holds what was typed, and only a new
        # field (not a changed value) empties it for the next reading.
        key=f"diary-{name}-{diary.saved_count}",
        label=state.t(label_key),
        value=diary.typed.get(name, ""),
        keyboard_type=ft.KeyboardType.NUMBER,
        input_filter=ft.InputFilter(
            regex_string=r"^[0-9０-９.,．]*$" if decimal else r"^[0-9０-９]*$",
            allow=True,
            replacement_string="",
        ),
        text_size=state.text_size(30),
        text_align=ft.TextAlign.CENTER,
        on_change=on_change,
        expand=True,
    )


def _value_text(state: AppState, entry: Entry | TrendPoint, measure: str) -> str:
    if measure == "blood_pressure" and entry.value is not None and entry.value2 is not None:
        return f"{entry.value:g}/{entry.value2:g}"
    if entry.value is None:
        return ""
    return f"{entry.value:g}"


def _band_chip(state: AppState, band: str | None, colour: str | None) -> ft.Control | None:
    if not band:
        return None
    colour = colour or BAND_COLOURS.get(band, ft.Colors.GREY_700)
    return ft.Container(
        ft.Text(state.t(f"diary.band.{band}"), size=state.text_size(14), color=ft.Colors.WHITE),
        bgcolor=colour,
        border_radius=12,
        padding=ft.Padding.symmetric(horizontal=10, vertical=4),
    )


def _pending_chip(state: AppState) -> ft.Control:
    return ft.Container(
        ft.Text(state.t("diary.pending"), size=state.text_size(14), color=ft.Colors.BLACK),
        bgcolor=ft.Colors.AMBER_200,
        border_radius=12,
        padding=ft.Padding.symmetric(horizontal=10, vertical=4),
    )


# --- entering ------------------------------------------------------------------------------


def _blood_pressure_card(state: AppState, diary: DiaryState, run: RunTask) -> ft.Control:
    async def record() -> None:
        await diary.record_blood_pressure()

    def on_timing(e: ft.Event[ft.SegmentedButton]) -> None:
        chosen = next(iter(e.control.selected or []), None)
        for timing in TIMINGS:
            if timing == chosen:
                diary.timing = timing

    timing = ft.SegmentedButton(
        selected=[diary.current_timing()],
        allow_empty_selection=False,
        segments=[
            ft.Segment(
                value=t, label=ft.Text(state.t(f"diary.timing.{t}"), size=state.text_size(16))
            )
            for t in TIMINGS
        ],
        on_change=on_timing,
    )
    fields = ft.Row(
        [
            _number_field(state, diary, "systolic", "diary.systolic"),
            _number_field(state, diary, "diastolic", "diary.diastolic"),
            _number_field(state, diary, "pulse", "diary.pulse"),
        ],
        spacing=8,
    )
    button = ft.Semantics(
        identifier="diary-record-bp",
        expand=True,
        content=ft.Button(
            content=ft.Text(state.t("diary.record"), size=state.text_size(22)),
            icon=ft.Icons.FAVORITE,
            on_click=record,
            height=64,
            disabled=diary.busy,
            expand=True,
        ),
    )
    return _card(
        ft.Row([_title(state, "diary.bp.title"), timing], wrap=True, spacing=12),
        fields,
        ft.Row([button]),
    )


def _quick_card(state: AppState, diary: DiaryState) -> ft.Control:
    def choose(measure: str) -> Callable[[], None]:
        def run() -> None:
            diary.quick = measure
            diary.error = diary.saved = None
            diary.on_change()

        return run

    chooser = ft.Row(
        [
            (ft.FilledButton if m == diary.quick else ft.OutlinedButton)(
                content=ft.Text(state.t(f"diary.measure.{m}"), size=state.text_size(16)),
                on_click=choose(m),
                height=56,
            )
            for m in QUICK_MEASURES
        ],
        wrap=True,
        spacing=8,
        run_spacing=8,
    )
    return _card(_title(state, "diary.quick.title"), chooser, _quick_input(state, diary))


def _quick_input(state: AppState, diary: DiaryState) -> ft.Control:
    measure = diary.quick
    if measure == "note":

        def set_mood(mood: int) -> Callable[[], None]:
            def run() -> None:
                diary.mood = None if diary.mood == mood else mood
                diary.on_change()

            return run

        async def save_note() -> None:
            await diary.record_note()

        def on_text(e: ft.Event[ft.TextField]) -> None:
            diary.typed["note"] = str(e.control.value or "")

        moods = ft.Row(
            [
                (ft.FilledButton if diary.mood == m else ft.OutlinedButton)(
                    content=ft.Text(state.t(f"diary.mood.{m}"), size=state.text_size(16)),
                    on_click=set_mood(m),
                    height=56,
                )
                for m in range(5, 0, -1)
            ],
            wrap=True,
            spacing=8,
            run_spacing=8,
        )
        return ft.Column(
            [
                ft.Text(state.t("diary.mood.question"), size=state.text_size(18)),
                moods,
                ft.TextField(
                    label=state.t("diary.note.label"),
                    value=diary.typed.get("note", ""),
                    text_size=state.text_size(20),
                    multiline=True,
                    on_change=on_text,
                ),
                ft.Button(
                    content=ft.Text(state.t("diary.record"), size=state.text_size(20)),
                    on_click=save_note,
                    height=56,
                    disabled=diary.busy,
                ),
            ],
            spacing=10,
        )
    if measure == "medication":

        def on_name(e: ft.Event[ft.TextField]) -> None:
            diary.typed["medication"] = str(e.control.value or "")

        async def taken() -> None:
            await diary.record_medication(True)

        async def missed() -> None:
            await diary.record_medication(False)

        return ft.Column(
            [
                ft.TextField(
                    label=state.t("diary.medication.name"),
                    value=diary.typed.get("medication", ""),
                    text_size=state.text_size(20),
                    on_change=on_name,
                ),
                ft.Row(
                    [
                        ft.Button(
                            content=ft.Text(
                                state.t("diary.medication.taken"), size=state.text_size(18)
                            ),
                            icon=ft.Icons.CHECK,
                            on_click=taken,
                            height=56,
                            disabled=diary.busy,
                        ),
                        ft.OutlinedButton(
                            content=ft.Text(
                                state.t("diary.medication.missed"), size=state.text_size(18)
                            ),
                            icon=ft.Icons.CLOSE,
                            on_click=missed,
                            height=56,
                            disabled=diary.busy,
                        ),
                    ],
                    wrap=True,
                    spacing=8,
                    run_spacing=8,
                ),
            ],
            spacing=10,
        )

    async def save() -> None:
        await diary.record_measurement(measure)

    label = f"{state.t(f'diary.measure.{measure}')}"
    unit = unit_label(_UNITS.get(measure), state.language)
    return ft.Row(
        [
            _number_field(
                state, diary, measure, f"diary.measure.{measure}", decimal=measure != "steps"
            ),
            ft.Text(unit, size=state.text_size(20)),
            ft.Button(
                content=ft.Text(state.t("diary.record"), size=state.text_size(20)),
                on_click=save,
                height=56,
                disabled=diary.busy,
                tooltip=label,
            ),
        ],
        spacing=8,
        vertical_alignment=ft.CrossAxisAlignment.CENTER,
    )


_UNITS = {
    "weight": "kg",
    "temperature": "Cel",
    "spo2": "%",
    "glucose": "mg/dL",
    "steps": "{steps}",
}


# --- reading -------------------------------------------------------------------------------


def _entry_tile(state: AppState, entry: Entry) -> ft.Control:
    when = entry.taken_at.astimezone(LOCAL_TZ).strftime("%H:%M")
    value = _value_text(state, entry, entry.measure)
    unit = unit_label(entry.unit, state.language)
    main = f"{state.t(f'diary.measure.{entry.measure}')}  {value} {unit}".strip()
    details: list[str] = []
    if entry.timing in TIMINGS and entry.timing != "other":
        details.append(state.t(f"diary.timing.{entry.timing}"))
    if entry.pulse is not None:
        details.append(f"{state.t('diary.pulse')} {entry.pulse:g}")
    if entry.measure == "note" and entry.value is not None:
        details.append(state.t(f"diary.mood.{int(entry.value)}"))
    if entry.text:
        details.append(entry.text)
    chips = [c for c in (_band_chip(state, entry.band, entry.colour),) if c is not None]
    if entry.pending:
        chips.append(_pending_chip(state))
    return ft.Semantics(
        identifier="diary-entry",
        label=" ".join(
            [main]
            + ([state.t(f"diary.band.{entry.band}")] if entry.band else [])
            + ([state.t("diary.pending")] if entry.pending else [])
        ),
        content=ft.Container(
            ft.Row(
                [
                    ft.Text(when, size=state.text_size(18), color=ft.Colors.GREY_800),
                    ft.Column(
                        [
                            ft.Text(main, size=state.text_size(20), weight=ft.FontWeight.BOLD),
                            *(
                                [ft.Text(" · ".join(details), size=state.text_size(16))]
                                if details
                                else []
                            ),
                            *([ft.Row(chips, wrap=True, spacing=6)] if chips else []),
                        ],
                        spacing=4,
                        expand=True,
                    ),
                ],
                spacing=14,
                vertical_alignment=ft.CrossAxisAlignment.START,
            ),
            padding=ft.Padding.symmetric(vertical=10, horizontal=4),
            border=ft.Border.only(bottom=ft.BorderSide(1, ft.Colors.GREY_300)),
        ),
    )


def _today_card(state: AppState, diary: DiaryState) -> ft.Control:
    entries = diary.today()
    rows: list[ft.Control] = [_title(state, "diary.today")]
    if not entries:
        rows.append(ft.Text(state.t("diary.today.none"), size=state.text_size(18)))
    rows += [_entry_tile(state, e) for e in reversed(entries)]
    return _card(*rows)


def _tint(colour: str) -> str:
    return ft.Colors.with_opacity(0.16, colour)


def _chart(state: AppState, diary: DiaryState, trend: Trend) -> ft.Control:
    points = diary.trend_points()
    start = datetime.now(LOCAL_TZ).date() - timedelta(days=trend.days - 1)

    def x_of(p: TrendPoint) -> float:
        moment = p.taken_at.astimezone(LOCAL_TZ)
        return (moment.date() - start).days + (moment.hour * 60 + moment.minute) / 1440

    values = [p.value for p in points] + [p.value2 for p in points if p.value2 is not None]
    limits = [b.low for b in trend.bands if b.low is not None]
    limits += [b.high for b in trend.bands if b.high is not None]
    limits += [b.low for b in trend.bands2 if b.key == "high" and b.low is not None]
    low = min([*values, *limits]) if values or limits else 0
    high = max([*values, *limits]) if values or limits else 1
    pad = max((high - low) * 0.12, 1)
    min_y, max_y = max(0.0, low - pad), high + pad
    max_x = float(trend.days)

    series: list[fch.LineChartData] = []
    for band in trend.bands:
        top = min(band.high, max_y) if band.high is not None else max_y
        bottom = max(band.low, min_y) if band.low is not None else min_y
        if top <= bottom:
            continue
        series.append(
            fch.LineChartData(
                points=[fch.LineChartDataPoint(0, top), fch.LineChartDataPoint(max_x, top)],
                color=ft.Colors.TRANSPARENT,
                stroke_width=0,
                point=False,
                below_line_bgcolor=_tint(band.colour),
                below_line_cutoff_y=bottom,
            )
        )
    for band in trend.bands2:
        if band.key == "high" and band.low is not None:
            series.append(
                fch.LineChartData(
                    points=[
                        fch.LineChartDataPoint(0, band.low),
                        fch.LineChartDataPoint(max_x, band.low),
                    ],
                    color=band.colour,
                    stroke_width=2,
                    point=False,
                )
            )

    def dot(p: TrendPoint) -> fch.ChartCirclePoint:
        colour = BAND_COLOURS.get(p.band or "", BP_LINE)
        return fch.ChartCirclePoint(
            color=colour,
            radius=5,
            stroke_color=ft.Colors.AMBER if p.pending else ft.Colors.WHITE,
            stroke_width=2,
        )

    series.append(
        fch.LineChartData(
            points=[fch.LineChartDataPoint(x_of(p), p.value, point=dot(p)) for p in points],
            color=BP_LINE,
            stroke_width=3,
        )
    )
    if trend.measure == "blood_pressure":
        series.append(
            fch.LineChartData(
                points=[
                    fch.LineChartDataPoint(x_of(p), p.value2, point=dot(p))
                    for p in points
                    if p.value2 is not None
                ],
                color=BP_LINE2,
                stroke_width=3,
            )
        )
    step = 1 if trend.days <= 7 else 7 if trend.days <= 30 else 30
    labels = [
        fch.ChartAxisLabel(
            value=d,
            label=ft.Text(
                (start + timedelta(days=d)).strftime("%-m/%-d"), size=state.text_size(12)
            ),
        )
        for d in range(0, trend.days, step)
    ]
    thresholds = sorted({*limits})
    return ft.Semantics(
        identifier="diary-chart",
        label=state.t("diary.chart"),
        content=fch.LineChart(
            data_series=series,
            min_x=0,
            max_x=max_x,
            min_y=min_y,
            max_y=max_y,
            interactive=False,
            left_axis=fch.ChartAxis(
                labels=[
                    fch.ChartAxisLabel(value=v, label=ft.Text(f"{v:g}", size=state.text_size(12)))
                    for v in thresholds
                ],
                label_size=44,
                # Labels only show on multiples of the spacing: fine enough for every
                # threshold (37.5 ℃, 101 /min, 135 mmHg, 8000 steps), few enough to be cheap.
                label_spacing=0.5 if max_y - min_y <= 60 else 1 if max_y - min_y <= 600 else 1000,
            ),
            bottom_axis=fch.ChartAxis(labels=labels, label_size=28, label_spacing=step),
            horizontal_grid_lines=fch.ChartGridLines(
                color=ft.Colors.GREY_300, width=1, interval=(max_y - min_y) / 4 or 1
            ),
            height=260,
        ),
    )


def _legend(state: AppState, trend: Trend) -> ft.Control:
    items: list[ft.Control] = []
    name_key = "label_ja" if state.language == "ja" else "label_en"
    for band in trend.bands:
        items.append(
            ft.Row(
                [
                    ft.Container(width=18, height=18, bgcolor=_tint(band.colour), border_radius=4),
                    ft.Text(getattr(band, name_key), size=state.text_size(14)),
                ],
                spacing=6,
                tight=True,
            )
        )
    if trend.measure == "blood_pressure":
        items += [
            ft.Row(
                [
                    ft.Container(width=18, height=4, bgcolor=BP_LINE),
                    ft.Text(state.t("diary.systolic"), size=state.text_size(14)),
                    ft.Container(width=18, height=4, bgcolor=BP_LINE2),
                    ft.Text(state.t("diary.diastolic"), size=state.text_size(14)),
                ],
                spacing=6,
                tight=True,
            ),
            ft.Text(state.t("diary.bp.line85"), size=state.text_size(14)),
        ]
    return ft.Row(items, wrap=True, spacing=14, run_spacing=6)


def _trend_card(state: AppState, diary: DiaryState, run: RunTask) -> ft.Control:
    def pick(measure: str) -> Callable[[], None]:
        def go() -> None:
            async def load() -> None:
                await diary.show_trend(measure=measure)

            run(load)

        return go

    def on_days(e: ft.Event[ft.SegmentedButton]) -> None:
        chosen = e.control.selected
        if chosen:
            days = int(next(iter(chosen)))

            async def load() -> None:
                await diary.show_trend(days=days)

            run(load)

    measures = ft.Row(
        [
            (ft.FilledButton if m == diary.trend_measure else ft.OutlinedButton)(
                content=ft.Text(state.t(f"diary.measure.{m}"), size=state.text_size(16)),
                on_click=pick(m),
                height=48,
            )
            for m in TREND_MEASURES
        ],
        wrap=True,
        spacing=8,
        run_spacing=8,
    )
    days = ft.SegmentedButton(
        selected=[str(diary.trend_days)],
        allow_empty_selection=False,
        segments=[
            ft.Segment(
                value=str(d),
                label=ft.Text(state.t(f"diary.days.{d}"), size=state.text_size(16)),
            )
            for d in TREND_DAYS
        ],
        on_change=on_days,
    )
    rows: list[ft.Control] = [_title(state, "diary.trend.title"), measures, days]
    trend = diary.trend
    if trend is None or trend.measure != diary.trend_measure:
        rows.append(ft.ProgressRing() if not diary.error else ft.Container())
        return _card(*rows)
    points = diary.trend_points()
    if not points:
        rows.append(ft.Text(state.t("diary.trend.none"), size=state.text_size(18)))
    else:
        unit = unit_label(trend.unit, state.language)
        if trend.average is not None:
            average = f"{trend.average:g}" + (
                f"/{trend.average2:g}" if trend.average2 is not None else ""
            )
            rows.append(
                ft.Text(
                    f"{state.t('diary.average')} {average} {unit}",
                    size=state.text_size(18),
                    weight=ft.FontWeight.BOLD,
                )
            )
        rows += [_chart(state, diary, trend), _legend(state, trend)]
        rows.append(_title(state, "diary.history"))
        for p in list(reversed(points))[:14]:
            chip = _band_chip(state, p.band, None)
            when = p.taken_at.astimezone(LOCAL_TZ).strftime("%-m/%-d %H:%M")
            rows.append(
                ft.Row(
                    [
                        ft.Text(when, size=state.text_size(16), width=state.text_size(130)),
                        ft.Text(
                            f"{_value_text(state, p, trend.measure)} {unit}",
                            size=state.text_size(18),
                            expand=True,
                        ),
                        *([chip] if chip else []),
                        *([_pending_chip(state)] if p.pending else []),
                    ],
                    spacing=8,
                )
            )
    return _card(*rows)


def _checkup_card(state: AppState, diary: DiaryState) -> ft.Control:
    rows: list[ft.Control] = [_title(state, "diary.checkup.title")]
    checkup = diary.checkup
    if checkup is None:
        rows.append(ft.Text(state.t("diary.checkup.none"), size=state.text_size(18)))
        return _card(*rows)
    level_key = f"diary.level.{checkup.level}"
    rows += [
        ft.Text(
            f"{state.t('diary.checkup.date')} {checkup.checked_on:%Y-%m-%d}",
            size=state.text_size(16),
        ),
        ft.Semantics(
            identifier="diary-checkup-level",
            content=ft.Text(
                state.t(f"{level_key}.name"),
                size=state.text_size(22),
                weight=ft.FontWeight.BOLD,
                color=ft.Colors.RED_800
                if checkup.level == "積極的支援"
                else ft.Colors.ORANGE_900
                if checkup.level == "動機付け支援"
                else ft.Colors.GREEN_800,
            ),
        ),
        ft.Text(state.t(f"{level_key}.explain"), size=state.text_size(18)),
    ]
    if checkup.reasons:
        rows.append(ft.Text(state.t("diary.checkup.reasons"), size=state.text_size(16)))
        rows += [ft.Text(f"・{r}", size=state.text_size(16)) for r in checkup.reasons]
    rows.append(ft.Text(state.t("diary.checkup.reference"), size=state.text_size(14), italic=True))
    return _card(*rows)


def _report_card(state: AppState, diary: DiaryState) -> ft.Control:
    def share(days: int, fmt: Literal["pdf", "csv"]) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            report = await diary.report(days, fmt)
            if report is None:
                return
            file = ft.ShareFile.from_bytes(
                report.content, mime_type=report.mime_type, name=report.name
            )
            # Phones open the share sheet (mail, LINE…); the web client downloads the file.
            await ft.Share().share_files([file], title=state.t("diary.report.title"))

        return run

    buttons: list[ft.Control] = []
    for days in REPORT_DAYS:
        for fmt in ("pdf", "csv"):
            buttons.append(
                ft.OutlinedButton(
                    content=ft.Text(
                        state.t(f"diary.report.{fmt}").format(days=days),
                        size=state.text_size(16),
                    ),
                    icon=ft.Icons.SHARE if fmt == "pdf" else ft.Icons.TABLE_CHART,
                    on_click=share(days, fmt),
                    height=56,
                )
            )
    return _card(
        _title(state, "diary.report.title"),
        ft.Text(state.t("diary.report.body"), size=state.text_size(16)),
        ft.Row(buttons, wrap=True, spacing=8, run_spacing=8),
    )


def _status(state: AppState, diary: DiaryState) -> list[ft.Control]:
    rows: list[ft.Control] = []
    pending = diary.pending_count()
    if pending:
        rows.append(
            ft.Semantics(
                identifier="diary-unsent",
                content=ft.Container(
                    ft.Text(
                        state.t("diary.unsent").format(n=pending),
                        size=state.text_size(16),
                        color=ft.Colors.BLACK,
                    ),
                    bgcolor=ft.Colors.AMBER_100,
                    padding=10,
                    border_radius=8,
                ),
            )
        )
    if diary.error:
        message = state.t(diary.error) if diary.error.startswith("diary.") else diary.error
        rows.append(
            ft.Semantics(
                identifier="diary-error",
                content=ft.Text(message, color=ft.Colors.RED_800, size=state.text_size(18)),
            )
        )
    elif diary.saved:
        rows.append(
            ft.Semantics(
                identifier="diary-saved",
                content=ft.Text(
                    state.t(diary.saved), color=ft.Colors.GREEN_800, size=state.text_size(18)
                ),
            )
        )
    return rows


def diary_screen(
    state: AppState, diary: DiaryState, run: RunTask, width: float | None = None
) -> ft.Control:
    """The whole tab for a signed-in person; two columns on a tablet."""
    if not diary.loaded and not diary.busy:
        run(diary.refresh)
    entering: list[ft.Control] = [
        _blood_pressure_card(state, diary, run),
        *_status(state, diary),
        _today_card(state, diary),
        _quick_card(state, diary),
    ]
    reading: list[ft.Control] = [
        _trend_card(state, diary, run),
        _checkup_card(state, diary),
        _report_card(state, diary),
    ]
    if width is not None and width >= TABLET_WIDTH:
        body: ft.Control = ft.Row(
            [
                ft.Column(entering, spacing=12, expand=True),
                ft.Column(reading, spacing=12, expand=True),
            ],
            spacing=16,
            vertical_alignment=ft.CrossAxisAlignment.START,
        )
        controls = [heading(state, "diary.title"), body]
    else:
        controls = [heading(state, "diary.title"), *entering, *reading]
    return ft.Column(controls, spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)


def diary_tab(
    state: AppState, session: Session, book: DiaryBook, run: RunTask, width: float | None
) -> ft.Control:
    """The 健康日記 tab in the shell: the sign-in button while signed out."""

    def screen() -> ft.Control:
        me = session.me
        assert me is not None
        diary = book.for_person(me.id, me.patient_id, session.sync)
        return diary_screen(state, diary, run, width)

    return require_sign_in(state, session, "diary.title", screen)
