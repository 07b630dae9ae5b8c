"""Configuration of one emulator instance (CLI.md `komandor-emulator`).

It can travel through the environment (``KOMANDOR_EMULATOR_CONFIG``, JSON) so
that ``uvicorn --workers N`` processes, which import an app factory, build the
same app as the parent that parsed the command line. This is the emulator's one
module that touches the environment (``tests/test_architecture.py``).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

from .faults import FaultPlan

ENV_VAR = "KOMANDOR_EMULATOR_CONFIG"
SEEDS = ("empty", "demo")
CRYPTO_PROFILES = ("v1", "gost")


@dataclass(frozen=True, slots=True)
class EmulatorConfig:
    """Everything that makes one emulator differ from another.

    Args:
        db_url: SQLAlchemy URL of the database holding all state.
        seed: "empty" (only the system profile) or "demo" (the demo world).
        code: the confirmation code every phone gets (no SMS is sent).
        crypto: the crypto profile of keys the emulator makes ("v1"; "gost" later).
        simulate: run the simulated contacts.
        sim_delay: seconds between two steps of the simulated contacts.
        token_ttl: lifetime of access tokens in seconds.
        faults: fault-injection spec (``faults.py``: syntax and kinds), or None.
        auth_limits: rate-limit the sign-in requests (``limits.py``); off by default
            for the library (tests log in the same phone many times a minute),
            on in ``komandor-emulator`` unless ``--seed demo``.
    """

    db_url: str
    seed: str = "empty"
    code: str = "1111"
    crypto: str = "v1"
    simulate: bool = False
    sim_delay: float = 2.0
    token_ttl: int = 3600
    faults: str | None = None
    auth_limits: bool = False

    def __post_init__(self) -> None:
        if self.seed not in SEEDS:
            raise ValueError(f"seed must be one of {SEEDS}, not {self.seed!r}")
        if self.crypto not in CRYPTO_PROFILES:
            raise ValueError(f"crypto must be one of {CRYPTO_PROFILES}, not {self.crypto!r}")
        if self.token_ttl <= 0:
            raise ValueError("token_ttl must be positive")
        if self.sim_delay < 0:
            raise ValueError("sim_delay must not be negative")
        if self.faults:
            FaultPlan.parse(self.faults)  # a bad spec fails at start, not at a request

    def to_env(self) -> str:
        """The JSON text that ``from_env`` reads back."""
        return json.dumps(asdict(self))

    def put_in_env(self) -> None:
        """Into this process's environment, for the worker processes it starts next."""
        os.environ[ENV_VAR] = self.to_env()

    @classmethod
    def from_env(cls) -> EmulatorConfig:
        """The config the parent process put into the environment."""
        text = os.environ.get(ENV_VAR)
        if not text:
            raise RuntimeError(f"{ENV_VAR} is not set")
        return cls(**json.loads(text))
