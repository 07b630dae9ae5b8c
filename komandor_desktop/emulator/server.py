"""Run the emulator over loopback in a background thread (tests, the desktop's --demo).

The listening socket is bound here, before uvicorn starts, so ``port=0``
gives a free port whose number is known at once and nothing else can take it
in between. ``start()`` returns once uvicorn has run the lifespan and serves.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from .asgi import create_asgi_app
from .config import EmulatorConfig

START_TIMEOUT = 30.0


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on (host, port); port 0 picks a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def url_for(host: str, port: int) -> str:
    """``http://HOST:PORT``, an IPv6 host in brackets."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class EmulatorServer:
    """A uvicorn server for one ``EmulatorConfig``, in a daemon thread.

    Usage::

        with EmulatorServer(config) as server:
            httpx.get(server.url + "/api/v2/chats/")
    """

    def __init__(self, config: EmulatorConfig, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config
        self.host = host
        self.port = port
        self.url: str | None = None
        self.app = create_asgi_app(config)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._error: BaseException | None = None

    def start(self) -> EmulatorServer:
        """Bind, start serving and wait until uvicorn is up; sets ``url``."""
        if self._thread is not None:
            raise RuntimeError("the emulator server is already started")
        self._socket = bind_socket(self.host, self.port)
        self.port = self._socket.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="on",
                                access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, name="komandor-emulator",
                                        daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                self.stop()
                raise RuntimeError(f"the emulator failed to start: {self._error!r}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError("the emulator did not start in time")
            time.sleep(0.01)
        self.url = url_for(self.host, self.port)
        return self

    def _serve(self) -> None:
        assert self._server is not None
        assert self._socket is not None
        try:
            self._server.run(sockets=[self._socket])
        except BaseException as exc:  # noqa: BLE001 - reported by start()
            self._error = exc

    def stop(self, timeout: float = 10.0) -> None:
        """Ask uvicorn to exit, wait for the thread, close the socket."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        if self._socket is not None:
            self._socket.close()
        self._thread = None
        self._server = None
        self._socket = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
