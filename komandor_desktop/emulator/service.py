"""The emulator instance: its database, lazy bootstrap and request helpers.

``httpx.ASGITransport`` runs no lifespan, so the database is bootstrapped
lazily by the first request (and eagerly by the CLI before it forks
workers). The bootstrap itself is one transaction that inserts the single
``server_state`` row (primary key 1) together with the CA and the system
profile. On PostgreSQL the schema and the bootstrap run under an advisory
lock, so workers that start together queue and the later ones find the row
and make nothing; should two get past it anyway (SQLite, an old database),
the primary key lets one commit and the loser's CA, system profile and seed
roll back with it. No in-process lock decides anything.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import seed
from .ca import Authority, create_authority
from .config import EmulatorConfig
from .db import (
    CertificateRow,
    ServerState,
    create_schema,
    make_engine,
    make_sessionmaker,
    startup_lock,
)
from .failures import unauthorized
from .rules import is_active, now_ms
from .tokens import TokenClaims, read_token
from .world import create_keyed_profile


class Emulator:
    """One emulator over one database; shared by the app and the simulation."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.engine = make_engine(config.db_url)
        self.sessions = make_sessionmaker(self.engine)
        self._ready = False
        self._ready_lock = threading.Lock()  # saves duplicate work only; the DB decides

    def ensure_ready(self) -> None:
        """Create the tables and the server state on first use."""
        if self._ready:
            return
        with self._ready_lock:
            if self._ready:
                return
            with startup_lock(self.engine):
                create_schema(self.engine)
                try:
                    with self.transaction() as session:
                        if session.get(ServerState, 1) is None:
                            bootstrap(session, self.config)
                except IntegrityError:
                    pass  # another process bootstrapped the same database first
            with self.transaction() as session:
                server_state(session)  # whoever won, the row is there now
            self._ready = True

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One database transaction: committed on success, rolled back on error."""
        with self.sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()


def server_state(session: Session) -> ServerState:
    """The server-wide row (made by ``bootstrap``)."""
    state = session.get(ServerState, 1)
    if state is None:
        raise RuntimeError("the emulator database is not bootstrapped")
    return state


def authority(session: Session) -> Authority:
    state = server_state(session)
    return Authority.from_pem(state.ca_key_pem, state.ca_cert_pem)


def bootstrap(session: Session, config: EmulatorConfig) -> None:
    """Make the CA, the token secret, the system profile and the seed."""
    key_pem, cert_pem = create_authority()
    ca = Authority.from_pem(key_pem, cert_pem)
    system = create_keyed_profile(
        session, ca, name="Командор", phone=None, type=0, verified=True, simulated=True,
    )
    session.add(ServerState(
        id=1, ca_key_pem=key_pem, ca_cert_pem=cert_pem,
        token_secret=secrets.token_hex(32), system_pid=system.id, seed=config.seed,
    ))
    session.flush()
    if config.seed == "demo":
        seed.seed_demo(session, ca, system_pid=system.id)


def authenticate(session: Session, authorization: str | None) -> tuple[TokenClaims, CertificateRow]:
    """The viewer of a request: a valid bearer token whose certificate is still active.

    Raises:
        HttpFailure: 401 unauthorized / token_expired.
    """
    if not authorization:
        raise unauthorized("the Authorization header is missing")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("expected Authorization: Bearer <token>")
    claims = read_token(server_state(session).token_secret, token.strip())
    cert = session.get(CertificateRow, claims.cid)
    if cert is None or cert.pid != claims.pid or not is_active(cert, now_ms()):
        raise unauthorized("the token's certificate is not active")
    return claims, cert
