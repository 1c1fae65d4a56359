# The Dahar Ngopi bot. `docker compose up -d` runs it with PostgreSQL (docker-compose.yml);
# alone: docker build -t dahar-ngopi . && docker run --env-file .env dahar-ngopi run
# docs/deploy.md explains every step; tests/test_containers.py runs this file's install and
# entry steps outside a container in CI.
FROM python:3.11-slim-bookworm

# PostgreSQL 15's client tools (Debian 12's) for `dahar-ngopi backup` and `restore`: their
# major version must match the server's, and docker-compose.yml runs PostgreSQL 15.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY schedules ./schedules
COPY core ./core
COPY db ./db
RUN pip install .

# Never root: the bot only needs its data and backup folders.
# (A home of its own: matplotlib keeps its font cache there.)
RUN useradd --system --uid 10001 --create-home --home-dir /home/dahar \
        --shell /usr/sbin/nologin dahar \
    && mkdir -p /app/data /backups \
    && chown dahar /app/data /backups \
    && chmod 0700 /backups
USER dahar

# Without DATABASE_URL the bot keeps SQLite in the data volume; backups hold NIPs (0600 files).
ENV DATABASE_URL=sqlite+aiosqlite:////app/data/dahar_ngopi.db \
    BACKUP_DIR=/backups
VOLUME ["/app/data", "/backups"]
# The public listener (webhooks); the internal one is not published.
EXPOSE 8080

# Healthy while this container's run/worker process writes its heartbeat (every 5 s) to the
# database: the process's loop is alive and the database answers.
HEALTHCHECK --interval=30s --timeout=15s --start-period=60s --retries=3 \
    CMD ["dahar-ngopi", "health"]

ENTRYPOINT ["dahar-ngopi"]
CMD ["run"]
