# The RCC service against RCC_DATABASE_URL (PostgreSQL in production):
#   docker build -t rcc . && docker run -e RCC_DATABASE_URL=postgresql+psycopg://user:pw@db/rcc -p 8000:8000 rcc
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY rcc ./rcc
COPY matching ./matching
COPY forecasting ./forecasting
COPY api_schemas ./api_schemas
COPY migrations ./migrations
RUN pip install . && useradd --system --uid 10001 rcc && mkdir -p /app/var && chown rcc /app/var
USER rcc

EXPOSE 8000
# `rcc serve` runs the Alembic migrations to head before it listens.
CMD ["rcc", "serve", "--host", "0.0.0.0", "--port", "8000"]
