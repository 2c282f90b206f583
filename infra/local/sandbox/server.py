"""Run the sandbox app in a background thread (werkzeug, threaded)."""

from __future__ import annotations

import threading
from types import TracebackType

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from infra.local.clock import clocked_request_handler

from .app import create_sandbox_app, sandbox_of, stop_app
from .config import SandboxConfig
from .core import Sandbox


class SandboxServer:
    """The sandbox on a real socket. `with SandboxServer(config) as sandbox:` starts it on
    127.0.0.1 with a free port; `base_url` is what to give `client.api.base_url`."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.app: Flask = create_sandbox_app(config)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._stopped = False

    @property
    def sandbox(self) -> Sandbox:
        """In-process access to the state (messages, faults, opt-outs)."""
        return sandbox_of(self.app)

    def start(self, host: str = "127.0.0.1", port: int = 0) -> SandboxServer:
        if self._server is not None:
            raise RuntimeError("the sandbox server is already running")
        if self._stopped:
            raise RuntimeError("a stopped sandbox server cannot restart; make a new one")
        server = make_server(
            host,
            port,
            self.app,
            threaded=True,
            request_handler=clocked_request_handler(self.config.now),
        )
        thread = threading.Thread(
            target=server.serve_forever, name="sandbox-http", kwargs={"poll_interval": 0.1}
        )
        thread.daemon = True
        thread.start()
        self._server, self._thread = server, thread
        return self

    @property
    def host(self) -> str:
        return self._running().host

    @property
    def port(self) -> int:
        return self._running().server_port

    @property
    def base_url(self) -> str:
        host = self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        self._stopped = True
        stop_app(self.app)
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(5)

    def _running(self) -> BaseWSGIServer:
        if self._server is None:
            raise RuntimeError("the sandbox server is not running; call start() first")
        return self._server

    def __enter__(self) -> SandboxServer:
        if self._server is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
