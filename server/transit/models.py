"""Transit tables: imported GTFS feeds, their stops (with search keys) and GTFS-JP translations."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from server.core.models import utcnow


class TransitFeed(SQLModel, table=True):
    """One active GTFS feed; its normalised files are in `version_dir` under MACHI_DATA_DIR/gtfs."""

    __tablename__ = "transit_feed"

    feed_id: str = Field(primary_key=True, max_length=64)
    source: str = Field(max_length=1000)
    content_hash: str = Field(max_length=64)
    version_dir: str = Field(max_length=300)
    # The timetable (router cache folder) built over every active feed; all rows share it.
    timetable_dir: str = Field(max_length=300)
    feed_version: str | None = Field(default=None, max_length=200)
    publisher: str | None = Field(default=None, max_length=300)
    agencies: str = Field(default="", max_length=1000)
    start_date: str | None = Field(default=None, max_length=8)
    end_date: str | None = Field(default=None, max_length=8)
    stops: int = 0
    routes: int = 0
    trips: int = 0
    stop_times: int = 0
    imported_at: datetime = Field(default_factory=utcnow)


class TransitStop(SQLModel, table=True):
    """A stop or station, with its names in every language the feed gives and a search key."""

    __tablename__ = "transit_stop"

    # Namespaced like OTP's feed-scoped ids: "{feed_id}:{stop_id}".
    id: str = Field(primary_key=True, max_length=300)
    feed_id: str = Field(
        foreign_key="transit_feed.feed_id", index=True, max_length=64, ondelete="CASCADE"
    )
    stop_id: str = Field(max_length=255)
    name: str = Field(max_length=300)
    name_kana: str | None = Field(default=None, max_length=300)
    name_en: str | None = Field(default=None, max_length=300)
    search_key: str = Field(max_length=2000)
    lat: float | None = None
    lon: float | None = None
    location_type: int = 0
    parent_id: str | None = Field(default=None, max_length=300)
    wheelchair_boarding: int = 0


class TransitTranslation(SQLModel, table=True):
    """A translations.txt row (GTFS layout); old GTFS-JP rows keep their text in field_value."""

    __tablename__ = "transit_translation"

    id: int | None = Field(default=None, primary_key=True)
    feed_id: str = Field(
        foreign_key="transit_feed.feed_id", index=True, max_length=64, ondelete="CASCADE"
    )
    table_name: str = Field(max_length=50)
    field_name: str = Field(max_length=50)
    language: str = Field(max_length=20)
    translation: str = Field(max_length=1000)
    record_id: str | None = Field(default=None, max_length=255)
    record_sub_id: str | None = Field(default=None, max_length=255)
    field_value: str | None = Field(default=None, max_length=1000)
