"""HTTP API of transit: stop search, nearby stops, departure boards and journeys."""

from typing import Annotated

import httpx
from fastapi import APIRouter, Depends, Header, Query, Request
from starlette.concurrency import run_in_threadpool

from server.core.db import SessionDep
from server.core.errors import InvalidInput
from server.transit import service
from server.transit.journeys import (
    EmbeddedPlanner,
    Endpoint,
    JourneyRequest,
    co2_basis,
    parse_modes,
)
from server.transit.network import NetworkDep
from server.transit.otp import OtpClient
from server.transit.schemas import DepartureBoard, JourneyPlan, StopList

router = APIRouter(tags=["transit"])

AcceptLanguage = Annotated[str | None, Header(alias="Accept-Language")]


def get_language(accept_language: AcceptLanguage = None) -> str:
    return service.preferred_language(accept_language)


LanguageDep = Annotated[str, Depends(get_language)]


def get_otp_client(request: Request) -> OtpClient | None:
    """The OTP client when MACHI_OTP_URL is set; one httpx.AsyncClient per app."""
    settings = request.app.state.settings
    if not settings.otp_url:
        return None
    client: OtpClient | None = getattr(request.app.state, "otp_client", None)
    if client is None:
        client = OtpClient(httpx.AsyncClient(), settings.otp_url, settings.otp_timeout_s)
        request.app.state.otp_client = client
    return client


OtpDep = Annotated[OtpClient | None, Depends(get_otp_client)]


@router.get("/stops")
def search_stops(
    session: SessionDep,
    language: LanguageDep,
    q: Annotated[
        str, Query(min_length=1, max_length=100, description="kanji, kana, romaji or English")
    ],
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> StopList:
    """Stops whose name, reading, romaji or English name contains `q` (width/case-insensitive)."""
    return service.search_stops(session, q, language, limit)


@router.get("/stops/nearby")
def nearby_stops(
    session: SessionDep,
    language: LanguageDep,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
    radius: Annotated[float, Query(gt=0, le=5000, description="metres")] = 500,
) -> StopList:
    return service.nearby_stops(session, lat, lon, radius, language)


@router.get("/stops/{stop_id}/departures")
def departures(
    session: SessionDep,
    network: NetworkDep,
    language: LanguageDep,
    stop_id: str,
    time: Annotated[str | None, Query(description="ISO 8601; default now (Asia/Tokyo)")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> DepartureBoard:
    return service.departures(session, network, stop_id, service.parse_when(time), language, limit)


@router.get("/journeys")
async def journeys(
    session: SessionDep,
    network: NetworkDep,
    otp: OtpDep,
    language: LanguageDep,
    from_: Annotated[str, Query(alias="from", description="LAT,LON or stop:STOP_ID")],
    to: Annotated[str, Query(description="LAT,LON or stop:STOP_ID")],
    time: Annotated[str | None, Query(description="ISO 8601; default now (Asia/Tokyo)")] = None,
    arrive_by: bool = False,
    wheelchair: bool = False,
    walk_speed: Annotated[
        float, Query(ge=0.3, le=3.0, description="m/s; 0.8 for slow walking")
    ] = 1.2,
    max_walk: Annotated[float, Query(ge=0, le=5000, description="metres")] = 800,
    modes: Annotated[
        str | None,
        Query(
            description="comma list: WALK,RAIL,BUS,…,TRANSIT, SCOOTER_RENTAL, BICYCLE_RENTAL, "
            "SHUTTLE; absent: all, with rented vehicles and the shuttle as first/last miles"
        ),
    ] = None,
    num: Annotated[int, Query(ge=1, le=10)] = 5,
) -> JourneyPlan:
    """Itineraries from `from` to `to`: the Pareto set over arrival and transfers, CO2 vs car."""
    request = JourneyRequest(
        origin=Endpoint.parse("from", from_),
        destination=Endpoint.parse("to", to),
        when=service.parse_when(time),
        arrive_by=arrive_by,
        wheelchair=wheelchair,
        walk_speed_mps=walk_speed,
        max_walk_m=max_walk,
        modes=parse_modes(modes),
        num=num,
        language=language,
    )
    if otp is not None:
        return await otp.plan(request)
    if network is None:
        return JourneyPlan(
            itineraries=[],
            reason="no timetable loaded: import a GTFS feed (machi gtfs import PATH)",
            source="embedded",
            co2=co2_basis(),
        )
    if request.origin == request.destination:
        raise InvalidInput("from and to are the same place")
    planner = EmbeddedPlanner(network, session)
    return await run_in_threadpool(planner.plan, request)
