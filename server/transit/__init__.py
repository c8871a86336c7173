"""Transit: GTFS feeds, stops, departures and journey planning."""
