"""Service configuration, read once from the environment.

| variable | meaning | default |
|---|---|---|
| RCC_DATABASE_URL | SQLAlchemy URL; PostgreSQL in production (``postgresql+psycopg://...``) | SQLite file ``./var/rcc.db`` |
| RCC_DATA_DIR | the shared open-data folder (LAs, MSOAs, Ofsted, DfE, SSDA903 sample) | ``../shared/data`` beside the checkout |
| RCC_WORKER | ``inline`` runs the job worker inside ``rcc serve``; ``off`` leaves jobs to ``rcc worker`` | ``inline`` |
| RCC_STALE_VACANCY_DAYS | days after which an unconfirmed vacancy is reported as stale | 14 |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path
    worker: str
    stale_vacancy_days: int


def default_sqlite_url() -> str:
    path = Path.cwd() / "var" / "rcc.db"
    return f"sqlite:///{path}"


def load_settings() -> Settings:
    return Settings(
        database_url=os.environ.get("RCC_DATABASE_URL") or default_sqlite_url(),
        data_dir=Path(os.environ.get("RCC_DATA_DIR") or (REPO_ROOT.parent / "shared" / "data")),
        worker=os.environ.get("RCC_WORKER", "inline"),
        stale_vacancy_days=int(os.environ.get("RCC_STALE_VACANCY_DAYS", "14")),
    )
