"""Generic job status, result and cancel (each domain also exposes its own job endpoints)."""

from __future__ import annotations

from fastapi import APIRouter

from api_schemas.jobs import JobOut
from rcc.api.deps import DB, Caller
from rcc.jobs import queue as svc

router = APIRouter(tags=["jobs"])


@router.get("/jobs/{job_id}", response_model=JobOut)
def get_job(job_id: str, db: DB, who: Caller):
    return JobOut.model_validate(svc.get(db, who, job_id))


@router.post("/jobs/{job_id}/cancel", response_model=JobOut)
def cancel_job(job_id: str, db: DB, who: Caller):
    return JobOut.model_validate(svc.cancel(db, who, job_id))
