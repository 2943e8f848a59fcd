"""Settings of the web pages, read from the environment.

| variable | meaning | default |
|---|---|---|
| RCC_WEB_COOKIE_SECURE | ``false`` drops the Secure flag, but only on requests to 127.0.0.1/localhost (browser tests over plain http) | ``true`` |
| RCC_WEB_SESSION_HOURS | a session ends this many hours after sign-in | 8 |
| RCC_WEB_IDLE_MINUTES | ...or after this many minutes without a request | 60 |
| RCC_WEB_LOCKOUT_ATTEMPTS | consecutive failed sign-ins that lock an account | 5 |
| RCC_WEB_LOCKOUT_MINUTES | how long the lock lasts | 15 |
"""

from __future__ import annotations

import os
from dataclasses import dataclass


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    return default if raw is None else raw.strip().lower() not in ("0", "false", "no", "off")


@dataclass(frozen=True)
class WebSettings:
    cookie_secure: bool = True
    session_hours: int = 8
    idle_minutes: int = 60
    lockout_attempts: int = 5
    lockout_minutes: int = 15

    @classmethod
    def from_env(cls) -> WebSettings:
        return cls(
            cookie_secure=_flag("RCC_WEB_COOKIE_SECURE", True),
            session_hours=int(os.environ.get("RCC_WEB_SESSION_HOURS", "8")),
            idle_minutes=int(os.environ.get("RCC_WEB_IDLE_MINUTES", "60")),
            lockout_attempts=int(os.environ.get("RCC_WEB_LOCKOUT_ATTEMPTS", "5")),
            lockout_minutes=int(os.environ.get("RCC_WEB_LOCKOUT_MINUTES", "15")),
        )
