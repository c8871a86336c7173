"""Shared mobility: fleet, geofencing, bookings, the on-demand shuttle and GBFS feeds."""
