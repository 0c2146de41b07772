# fwbot: Slack chat-ops for Flywheel. Socket Mode by default (no inbound port);
# `serve --http 3000` for HTTP mode. How to run it: deploy/README.md.
#
# The base is pinned by version and by the digest of its multi-architecture index; to
# move to a newer patch release, change both (docker buildx imagetools inspect TAG).
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d

# -- build: the locked dependencies and fwbot's wheel, in a virtualenv ---------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
# Every runtime dependency exactly as requirements.lock pins it (versions and hashes,
# wheels only, nothing resolved here); the virtualenv itself has no pip.
COPY requirements.lock ./
RUN python -m venv --without-pip /opt/fwbot \
 && pip --python /opt/fwbot/bin/python install --require-hashes --only-binary=:all: \
        --no-deps -r requirements.lock
# fwbot itself: bot/ and commands/ only. The local Flywheel (localfw/: the demo world and
# the test double), doubles/, tests/ and bench/ are never copied, so `fwbot demo`,
# `fwbot localfw` and `serve --demo` are not available in the image.
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY commands ./commands
RUN pip install setuptools==84.2.1 \
 && pip wheel --no-build-isolation --no-deps --wheel-dir /wheels . \
 && pip --python /opt/fwbot/bin/python install --no-deps /wheels/fwbot-*.whl

# -- runtime -------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
# tini as PID 1: forwards SIGTERM to fwbot (which stops taking commands and hands its
# launches back) and reaps zombies. From Debian bookworm, pinned.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini=0.19.0-1+b3 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 fwbot \
 && useradd --uid 10001 --gid 10001 --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin fwbot
COPY --from=build /opt/fwbot /opt/fwbot
# The lab's saved launch configs (FWBOT_CONFIGS_DIR); deployments may mount their own.
COPY configs /app/configs
COPY deploy/healthcheck.py /usr/local/lib/fwbot/healthcheck.py
WORKDIR /app
ENV PATH=/opt/fwbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    FWBOT_DATA_DIR=/app/data \
    FWBOT_CONFIGS_DIR=/app/configs
# Only the data directory is writable (SQLite when no FWBOT_DATABASE_URL is given).
RUN mkdir -p /app/data && chown 10001:10001 /app/data
USER 10001:10001
# 3000: HTTP mode (`serve --http 3000`): Slack's requests, /healthz, /readyz and /metrics.
# 8080: Socket Mode's /healthz, /readyz and /metrics alone (FWBOT_HEALTH_PORT).
EXPOSE 3000 8080
# Works in both modes: GET /healthz must answer 200, on the port `serve --http` was given
# or, in Socket Mode, on FWBOT_HEALTH_PORT. deploy/healthcheck.py says more.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/usr/local/lib/fwbot/healthcheck.py"]
ENTRYPOINT ["/usr/bin/tini", "--", "fwbot"]
CMD ["serve"]
