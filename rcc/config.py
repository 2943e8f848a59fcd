"""Service configuration: typed settings read once from the environment (pydantic-settings).

| variable | meaning | default |
|---|---|---|
| RCC_DATABASE_URL | SQLAlchemy URL; PostgreSQL in production (``postgresql+psycopg://...``) | SQLite ``./var/rcc.db`` if it exists, else the checkout's ``var/rcc.db`` |
| RCC_DATA_DIR | the shared open-data folder (LAs, MSOAs, Ofsted, DfE, SSDA903 sample) | ``../shared/data`` beside the checkout |
| RCC_WORKER | ``inline`` runs the job worker inside ``rcc serve``; ``off`` leaves jobs to ``rcc worker`` | ``inline`` |
| RCC_STALE_VACANCY_DAYS | days (a positive whole number) after which an unconfirmed vacancy is reported as stale | 14 |

A bad value (``RCC_WORKER=inlnie``, ``RCC_STALE_VACANCY_DAYS=0``) is refused when the settings are
read: :func:`load_settings` raises :class:`SettingsError`, whose message names the variable, and the
``rcc`` command exits non-zero with that message before doing anything. An empty variable counts as unset.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, PositiveInt, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "RCC_"


def default_sqlite_path() -> Path:
    """``./var/rcc.db`` when it exists; else, in a source checkout (``pip install -e``, as ``run.sh``
    does), the checkout's ``var/rcc.db``, so ``rcc`` run from another folder finds the database
    ``run.sh`` loaded; else ``./var/rcc.db``."""
    here = Path.cwd() / "var" / "rcc.db"
    if here.exists():
        return here
    if (REPO_ROOT / "pyproject.toml").exists() and (REPO_ROOT / "rcc").is_dir():
        return REPO_ROOT / "var" / "rcc.db"
    return here


def default_sqlite_url() -> str:
    return f"sqlite:///{default_sqlite_path()}"


def default_data_dir() -> Path:
    return REPO_ROOT.parent / "shared" / "data"


class Settings(BaseSettings):
    """The service's settings; constructing one with keyword arguments overrides the environment."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_ignore_empty=True, frozen=True, extra="ignore"
    )

    database_url: str = Field(default_factory=default_sqlite_url, min_length=1)
    data_dir: Path = Field(default_factory=default_data_dir)
    worker: Literal["inline", "off"] = "inline"
    stale_vacancy_days: PositiveInt = 14


class SettingsError(ValueError):
    """One or more RCC_* variables hold a value the service cannot use."""


def _describe(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "?"
        got = (
            f" (got {err['input']!r})"
            if err.get("type") != "missing" and isinstance(err.get("input"), str)
            else ""
        )
        problems.append(f"{ENV_PREFIX}{field.upper()}: {err['msg']}{got}")
    return "invalid settings: " + "; ".join(problems)


def load_settings() -> Settings:
    """The settings from the environment; :class:`SettingsError` naming the variable when one is bad."""
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None
