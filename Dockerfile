# Multi-stage image: dependencies are built in the first stage; the runtime stage runs as a
# non-root user. Migrations are a separate command run once per deploy (see docs/production.md):
#   docker run --rm -e TTM_DATABASE_URL=... ttm python -m api.cli migrate
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update && apt-get install -y --no-install-recommends build-essential && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY api ./api
COPY models ./models
COPY services ./services
COPY migrations ./migrations
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install -c constraints.txt . \
 && /opt/venv/bin/pip uninstall -y ttm

FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TTM_ENV=production \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus
RUN groupadd --system ttm && useradd --system --gid ttm --home-dir /app --shell /usr/sbin/nologin ttm
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=root:root alembic.ini ./
COPY --chown=root:root api ./api
COPY --chown=root:root models ./models
COPY --chown=root:root services ./services
COPY --chown=root:root migrations ./migrations
RUN mkdir -p /tmp/prometheus /app/var && chown ttm:ttm /tmp/prometheus /app/var
USER ttm
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status == 200 else 1)"
CMD ["python", "-m", "api.cli", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "4"]
