"""The /healthz and /metrics endpoint (aiohttp.web) on [monitoring] listen:port, off while the
port is 0. One per process, over every channel it serves."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.ops import health, metrics
from bot.ops.channels import Channel
from bot.services import Services

log = logging.getLogger(__name__)


class OpsServer:
    def __init__(self, services: Services, channels: Sequence[Channel]) -> None:
        self.services = services
        self.channels = list(channels)
        self._runner: web.AppRunner | None = None
        self.port = 0

    def web_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics)
        return app

    async def healthz(self, request: web.Request) -> web.Response:
        report = await health.check(self.services, self.channels)
        return web.json_response(report.as_json(), status=200 if report.healthy else 503)

    async def metrics(self, request: web.Request) -> web.Response:
        body = await metrics.render(self.services, self.channels)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def start(self, host: str, port: int) -> int:
        """Listen; returns the port (the one chosen when port is 0, as tests ask)."""
        runner = web.AppRunner(self.web_app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = int(sockets[0].getsockname()[1]) if sockets else port
        log.info("health and metrics on http://%s:%d/healthz and /metrics", host, self.port)
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
