# fwbot: Slack chat-ops for Flywheel. Runs Socket Mode by default (no inbound port).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
# Only the bot: the local Flywheel (localfw/, demo world and test double) is not part of
# the production image; `serve` needs FWBOT_FLYWHEEL_API_KEY and never falls back to it.
COPY bot ./bot
COPY commands ./commands
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 fwbot
COPY --from=build /install /usr/local
COPY configs /app/configs
WORKDIR /app
ENV FWBOT_DATA_DIR=/app/data FWBOT_CONFIGS_DIR=/app/configs PYTHONUNBUFFERED=1
RUN mkdir -p /app/data && chown fwbot /app/data
USER fwbot
ENTRYPOINT ["fwbot"]
CMD ["serve"]
