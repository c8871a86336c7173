"""CO2 of an itinerary and of the same trip by car, from versioned per-passenger-km factors."""

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

# Roads are longer than the straight line; 1.3 is the usual urban detour factor.
ROAD_DETOUR = 1.3


@dataclass(frozen=True)
class Co2Factors:
    version: str
    fiscal_year: int
    source_url: str
    car_g_per_km: float
    modes: dict[str, float]

    def leg_g(self, mode: str, distance_m: float) -> float:
        return self.modes.get(mode, self.modes.get("BUS", 57.0)) * distance_m / 1000

    def car_g(self, straight_line_m: float) -> float:
        return self.car_g_per_km * straight_line_m * ROAD_DETOUR / 1000


@cache
def factors() -> Co2Factors:
    text = resources.files("server.transit").joinpath("data/co2_factors.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return Co2Factors(
        version=data["version"],
        fiscal_year=int(data["fiscal_year"]),
        source_url=data["source_url"],
        car_g_per_km=float(data["car"]),
        modes={k: float(v) for k, v in data["modes"].items()},
    )
