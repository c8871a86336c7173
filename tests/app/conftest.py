"""Shared by the app tests: the device's network, between the app's client and the real server."""

import httpx
from fastapi import FastAPI


class Switch(httpx.AsyncBaseTransport):
    """The device's network: passes requests to the server until switched off."""

    def __init__(self, app: FastAPI) -> None:
        self.server = httpx.ASGITransport(app=app)
        self.online = True
        self.requests: list[httpx.Request] = []  # what reached the server

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self.online:
            raise httpx.ConnectError("no signal", request=request)
        self.requests.append(request)
        return await self.server.handle_async_request(request)
