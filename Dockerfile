# One image for every PTA process: the API (pta-api), the Celery worker and
# beat (celery -A pta_tasks worker|beat) and Flower (celery -A pta_tasks flower).
# The command is chosen by docker-compose.yml or the Kubernetes manifests.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# git clones the repositories under analysis; nothing else is needed.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY setup.cfg pyproject.toml README.md ./
COPY schemas ./schemas
COPY pta_analyzer ./pta_analyzer
COPY pta_tasks ./pta_tasks
COPY pta_api ./pta_api
RUN pip install . 'flower>=2.0,<3'
COPY ops ./ops

# A user of its own, owning only the directories PTA writes.
RUN useradd --create-home --uid 10001 --user-group pta \
    && mkdir -p /var/lib/pta/ci /var/lib/pta/state \
    && chown -R pta:pta /var/lib/pta
USER 10001:10001
ENV PTA_ENV=production \
    CI_TMP_DIR=/var/lib/pta/ci \
    PTA_STATE_DIR=/var/lib/pta/state \
    PORT=5000

EXPOSE 5000 5555 9540
# The health check of the API; compose and Kubernetes give the worker and
# Flower their own (same script, another role): Python only, no extra tools.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/app/ops/healthcheck.py", "api"]
CMD ["pta-api"]
