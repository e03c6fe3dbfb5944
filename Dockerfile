# The council bot's image (docs/DEPLOY.md): slim Python, every dependency from the hashed lock,
# a user of its own, and the database, key and backups on volumes only that user can open.
# The Python here is the one requirements.lock was pinned with.
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY requirements.lock ./
RUN python -m venv /opt/council-bot \
    && /opt/council-bot/bin/pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
RUN /opt/council-bot/bin/pip install --no-cache-dir --no-deps .

FROM python:${PYTHON_VERSION}-slim-bookworm
# matplotlib's cache in /tmp (a tmpfs under compose), not among the data.
ENV PATH=/opt/council-bot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MPLCONFIGDIR=/tmp/matplotlib
# /data: the database; /keys: the sealing key, never in the same place as the data or backups;
# /backups: the nightly backups (mount another disk here).
RUN groupadd --system --gid 10001 council \
    && useradd --system --uid 10001 --gid council --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin council \
    && mkdir -p /data /keys /backups /config \
    && chown council:council /data /keys /backups \
    && chmod 0700 /data /keys /backups
COPY --from=build /opt/council-bot /opt/council-bot
COPY deploy/entrypoint.sh /usr/local/bin/council-bot
USER 10001:10001
WORKDIR /data
VOLUME ["/data", "/keys", "/backups"]
# Exit 0 healthy, 1 not: every check with [monitoring] port set, the database alone without.
HEALTHCHECK --interval=30s --timeout=30s --start-period=60s --retries=3 \
    CMD ["council-bot", "health"]
ENTRYPOINT ["council-bot"]
CMD ["run"]
