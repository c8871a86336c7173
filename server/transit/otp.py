"""OpenTripPlanner 2 client: `planConnection` on the GTFS GraphQL API, mapped to our JourneyPlan."""

from datetime import datetime
from typing import Any

import httpx

from server.core.errors import InvalidInput, UpstreamError
from server.transit import co2
from server.transit.journeys import Endpoint, JourneyRequest, co2_basis, tag_itineraries
from server.transit.polyline import decode
from server.transit.schemas import Itinerary, JourneyPlan, Leg, Place, Route, StopCall
from server.transit.service import haversine_m

PLAN_QUERY = """
query Plan($origin: PlanLabeledLocationInput!, $destination: PlanLabeledLocationInput!,
           $dateTime: PlanDateTimeInput!, $first: Int, $modes: PlanModesInput,
           $preferences: PlanPreferencesInput, $locale: Locale) {
  planConnection(origin: $origin, destination: $destination, dateTime: $dateTime,
                 first: $first, modes: $modes, preferences: $preferences, locale: $locale) {
    searchDateTime
    routingErrors { code description inputField }
    edges { node {
      start end duration numberOfTransfers walkDistance
      emissionsPerPerson { co2 }
      legs {
        mode distance duration headsign
        start { scheduledTime estimated { time } }
        end { scheduledTime estimated { time } }
        from { name lat lon stop { gtfsId } }
        to { name lat lon stop { gtfsId } }
        route { gtfsId shortName longName mode color textColor }
        trip { gtfsId tripHeadsign }
        intermediatePlaces {
          name lat lon stop { gtfsId }
          arrival { scheduledTime } departure { scheduledTime }
        }
        legGeometry { points }
      }
    } }
  }
}
"""
# OTP routing errors that mean "no connection", not "bad request": an empty plan with a reason.
NO_CONNECTION = {"NO_TRANSIT_CONNECTION", "NO_TRANSIT_CONNECTION_IN_SEARCH_WINDOW"}
TRANSIT_MODES = {"RAIL", "BUS", "SUBWAY", "TRAM", "FERRY", "CABLE_CAR", "GONDOLA", "FUNICULAR",
                 "TROLLEYBUS", "MONORAIL", "COACH"}  # fmt: skip


def _location(endpoint: Endpoint, label: str) -> dict[str, Any]:
    if endpoint.stop_id is not None:
        return {"label": label, "location": {"stopLocation": {"stopLocationId": endpoint.stop_id}}}
    return {
        "label": label,
        "location": {"coordinate": {"latitude": endpoint.lat, "longitude": endpoint.lon}},
    }


def plan_variables(request: JourneyRequest) -> dict[str, Any]:
    """GraphQL variables for PLAN_QUERY from our request."""
    when = request.when.isoformat()
    modes: dict[str, Any] = {}
    transit = sorted(request.modes & TRANSIT_MODES)
    if request.modes and not transit and "TRANSIT" not in request.modes:
        modes["directOnly"] = True
    elif transit:
        modes["transit"] = {"transit": [{"mode": m} for m in transit]}
    return {
        "origin": _location(request.origin, "from"),
        "destination": _location(request.destination, "to"),
        "dateTime": {"latestArrival" if request.arrive_by else "earliestDeparture": when},
        "first": request.num,
        "modes": modes or None,
        "preferences": {
            "accessibility": {"wheelchair": {"enabled": request.wheelchair}},
            "street": {"walk": {"speed": request.walk_speed_mps}},
        },
        "locale": request.language,
    }


class OtpClient:
    """Talks to one OpenTripPlanner 2 over an injected httpx.AsyncClient."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, timeout_s: float = 10.0) -> None:
        self.http = http
        self.url = base_url.rstrip("/") + "/otp/gtfs/v1"
        self.timeout_s = timeout_s

    async def plan(self, request: JourneyRequest) -> JourneyPlan:
        body = {"query": PLAN_QUERY, "variables": plan_variables(request), "operationName": "Plan"}
        headers = {
            "Accept-Language": request.language,
            # OTP stops searching at its own timeout and answers, rather than us cutting it off.
            "OTPTimeout": str(int(self.timeout_s * 1000 * 0.9)),
        }
        try:
            response = await self.http.post(
                self.url, json=body, headers=headers, timeout=self.timeout_s
            )
        except httpx.TimeoutException:
            raise UpstreamError(
                f"OpenTripPlanner did not answer within {self.timeout_s:g} s", status_code=504
            ) from None
        except httpx.HTTPError as exc:
            raise UpstreamError(f"cannot reach OpenTripPlanner at {self.url}: {exc}") from None
        if response.status_code >= 400:
            raise UpstreamError(
                f"OpenTripPlanner answered HTTP {response.status_code}: {response.text[:300]}"
            )
        try:
            payload = response.json()
        except ValueError:
            raise UpstreamError(
                "OpenTripPlanner answered with something that is not JSON"
            ) from None
        if payload.get("errors"):
            messages = "; ".join(str(e.get("message", e)) for e in payload["errors"])
            raise UpstreamError(f"OpenTripPlanner: {messages}")
        connection = (payload.get("data") or {}).get("planConnection")
        if connection is None:
            raise UpstreamError("OpenTripPlanner answered without a planConnection")
        return map_plan(connection, request)


def map_plan(connection: dict[str, Any], request: JourneyRequest) -> JourneyPlan:
    """OTP's PlanConnection → our JourneyPlan (CO2 from our MLIT factors, like the embedded one)."""
    edges = connection.get("edges") or []
    errors = connection.get("routingErrors") or []
    if not edges and errors:
        codes = {e.get("code") for e in errors}
        text = "; ".join(
            f"{e.get('code')}: {e.get('description', '')}"
            + (f" ({e['inputField']})" if e.get("inputField") else "")
            for e in errors
        )
        if codes <= NO_CONNECTION:
            return JourneyPlan(itineraries=[], reason=text, source="otp", co2=co2_basis())
        raise InvalidInput(f"OpenTripPlanner cannot plan this trip: {text}")
    itineraries = [_itinerary(edge["node"], request) for edge in edges]
    reason = None if itineraries else "no connection found for this time"
    return JourneyPlan(
        itineraries=tag_itineraries(itineraries), reason=reason, source="otp", co2=co2_basis()
    )


def _time(value: dict[str, Any] | None) -> datetime:
    value = value or {}
    estimated = value.get("estimated") or {}
    return datetime.fromisoformat(estimated.get("time") or value["scheduledTime"])


def _place(place: dict[str, Any]) -> Place:
    stop = place.get("stop") or {}
    return Place(
        name=place.get("name") or "", stop_id=stop.get("gtfsId"), lat=place["lat"], lon=place["lon"]
    )


def _leg(leg: dict[str, Any], factors: co2.Co2Factors) -> Leg:
    route = leg.get("route")
    trip = leg.get("trip") or {}
    mode = str(leg.get("mode") or "WALK")
    distance = float(leg.get("distance") or 0.0)
    calls = []
    for place in leg.get("intermediatePlaces") or []:
        arrival = (place.get("arrival") or {}).get("scheduledTime")
        departure = (place.get("departure") or {}).get("scheduledTime") or arrival
        if not arrival or not departure:
            continue
        calls.append(
            StopCall(
                stop_id=(place.get("stop") or {}).get("gtfsId") or "",
                name=place.get("name") or "",
                lat=place["lat"],
                lon=place["lon"],
                arrival=datetime.fromisoformat(arrival),
                departure=datetime.fromisoformat(departure),
            )
        )
    start, end = _time(leg.get("start")), _time(leg.get("end"))
    return Leg(
        mode=mode,
        from_=_place(leg["from"]),
        to=_place(leg["to"]),
        start=start,
        end=end,
        duration_s=int(leg.get("duration") or (end - start).total_seconds()),
        distance_m=round(distance, 1),
        route=Route(
            route_id=route.get("gtfsId") or "",
            short_name=route.get("shortName") or "",
            long_name=route.get("longName") or "",
            color=route.get("color"),
            text_color=route.get("textColor"),
            mode=route.get("mode") or mode,
        )
        if route
        else None,
        trip_id=trip.get("gtfsId"),
        headsign=leg.get("headsign") or trip.get("tripHeadsign"),
        intermediate_stops=calls,
        geometry=(leg.get("legGeometry") or {}).get("points") or "",
        co2_g=round(factors.leg_g(mode, distance), 1),
    )


def _itinerary(node: dict[str, Any], request: JourneyRequest) -> Itinerary:
    factors = co2.factors()
    legs = [_leg(leg, factors) for leg in node.get("legs") or []]
    origin = (request.origin.lat, request.origin.lon)
    destination = (request.destination.lat, request.destination.lon)
    if legs and (None in origin or None in destination):
        first = decode(legs[0].geometry)[:1] or [(legs[0].from_.lat, legs[0].from_.lon)]
        origin = first[0] if None in origin else origin
        destination = (legs[-1].to.lat, legs[-1].to.lon) if None in destination else destination
    straight = haversine_m(*origin, *destination) if legs else 0.0  # type: ignore[arg-type]
    total = round(sum(leg.co2_g for leg in legs), 1)
    car = round(factors.car_g(straight), 1)
    return Itinerary(
        start=datetime.fromisoformat(node["start"]),
        end=datetime.fromisoformat(node["end"]),
        duration_s=int(node.get("duration") or 0),
        transfers=int(node.get("numberOfTransfers") or 0),
        walk_distance_m=round(float(node.get("walkDistance") or 0.0), 1),
        co2_g=total,
        car_co2_g=car,
        co2_saved_g=round(max(0.0, car - total), 1),
        legs=legs,
    )
