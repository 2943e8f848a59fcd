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

from pydantic import PositiveInt
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebSettings(BaseSettings):
    """Typed like :class:`rcc.config.Settings`; keyword arguments override the environment."""

    model_config = SettingsConfigDict(
        env_prefix="RCC_WEB_", env_ignore_empty=True, frozen=True, extra="ignore"
    )

    cookie_secure: bool = True
    session_hours: PositiveInt = 8
    idle_minutes: PositiveInt = 60
    lockout_attempts: PositiveInt = 5
    lockout_minutes: PositiveInt = 15

    @classmethod
    def from_env(cls) -> WebSettings:
        return cls()
