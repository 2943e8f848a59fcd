"""Service configuration: typed settings read once from the environment (pydantic-settings).

| variable | meaning | default |
|---|---|---|
| RCC_DATABASE_URL | SQLAlchemy URL; PostgreSQL in production (``postgresql+psycopg://...``) | SQLite ``./var/rcc.db`` if it exists, else the checkout's ``var/rcc.db`` |
| RCC_DATA_DIR | the shared open-data folder (LAs, MSOAs, Ofsted, DfE, SSDA903 sample) | ``../shared/data`` beside the checkout |
| RCC_WORKER | ``inline`` runs the job worker inside ``rcc serve``; ``off`` leaves jobs to ``rcc worker`` | ``inline`` |
| RCC_STALE_VACANCY_DAYS | days (a positive whole number) after which an unconfirmed vacancy is reported as stale | 14 |
| RCC_DB_POOL_SIZE / RCC_DB_MAX_OVERFLOW | PostgreSQL connections each process keeps / may add | 10 / 5 |
| RCC_DB_POOL_TIMEOUT | seconds a request waits for a pooled connection (then 503) | 3 |
| RCC_DB_LOCK_TIMEOUT_MS | API requests: longest wait for a row lock or SQLite's write lock (then 503) | 1500 |
| RCC_DB_CONNECT_TIMEOUT | seconds to reach PostgreSQL | 5 |
| RCC_API_CONCURRENCY | requests one API process works on at once; the rest wait in its event loop | RCC_DB_POOL_SIZE |
| RCC_API_QUEUE_TIMEOUT | seconds a request may wait for its turn (then 503 with Retry-After) | 5 |
| RCC_MAX_UPLOAD_BYTES | largest request body (413 above it, before it is read) | 5 MB |
| RCC_JOB_LEASE_SECONDS | a running job's lease, renewed every quarter lease | 60 |
| RCC_JOB_CONCURRENCY | job slots per kind in each worker, ``matching_run=2,forecast=1,*=1`` | ``*=1`` |
| RCC_JOB_DRAIN_SECONDS | on SIGTERM, time running jobs get before they go back to the queue | 30 |
| RCC_JOB_BACKOFF_SECONDS | first retry delay after an expired lease or a database error (doubles, ≤ 5 min) | 5 |
| RCC_JOB_POLL_SECONDS | how often an idle worker looks for work | 0.5 |
| RCC_MATCHING_TIME_LIMIT_S | solver time limit of a region-wide matching run that does not give ``time_limit_s`` (seconds, at most 600) | 60 |

A bad value (``RCC_WORKER=inlnie``, ``RCC_STALE_VACANCY_DAYS=0``) is refused when the settings are
read: :func:`load_settings` raises :class:`SettingsError`, whose message names the variable, and the
``rcc`` command exits non-zero with that message before doing anything. An empty variable counts as unset.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import (
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    field_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "RCC_"
DEFAULT_MATCHING_TIME_LIMIT_S = 60.0


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
    # the database pool and bounded waits (see rcc.api.resilience)
    db_pool_size: PositiveInt = 10
    db_max_overflow: NonNegativeInt = 5
    db_pool_timeout: PositiveFloat = 3.0
    db_lock_timeout_ms: PositiveInt = 1500
    db_connect_timeout: PositiveInt = 5
    api_concurrency: PositiveInt | None = None  # None: db_pool_size
    api_queue_timeout: PositiveFloat = 5.0
    max_upload_bytes: PositiveInt = 5 * 1024 * 1024
    # the job queue (see rcc.jobs.queue)
    job_lease_seconds: PositiveFloat = 60.0
    job_concurrency: str = "*=1"
    job_drain_seconds: NonNegativeFloat = 30.0
    job_backoff_seconds: NonNegativeFloat = 5.0
    job_poll_seconds: PositiveFloat = 0.5
    # matching (see rcc.matching.runs)
    matching_time_limit_s: float = Field(default=DEFAULT_MATCHING_TIME_LIMIT_S, gt=0, le=600)

    @field_validator("job_concurrency")
    @classmethod
    def _slots(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            kind, _, n = part.partition("=")
            if not kind.strip() or not n.strip().isdigit():
                raise ValueError("must look like 'matching_run=2,forecast=1,*=1'")
        return value

    @property
    def requests_at_once(self) -> int:
        return self.api_concurrency or self.db_pool_size


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
