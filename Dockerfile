# heartbeat-bot as a service:
#   docker run -v ./config:/config:ro -v ./blog:/blog -v heartbeat-state:/data IMAGE
# Debian bookworm is named so that the pinned git below stays installable.
FROM python:3.11-slim-bookworm

# git: a posts folder is often a git checkout, or heartbeat-bot keeps a clone of its own.
# Pinned to bookworm's 2.39 series; security updates within it still apply.
RUN apt-get update \
    && apt-get install -y --no-install-recommends "git=1:2.39.*" \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md LICENSE CHANGELOG.md MANIFEST.in ./
COPY config ./config
COPY heartbeat_bot ./heartbeat_bot
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 10001 --user-group heartbeat \
    && mkdir -p /data \
    && chown 10001:10001 /data

# The ledger lives on a volume so a new container never announces a post twice.
VOLUME /data
# Settings are mounted read-only at /config; secrets come from the environment
# (HEARTBEAT_<SECTION>__<KEY>). The health listener must leave the container's loopback.
ENV HEARTBEAT_CONFIG=/config/heartbeat.toml \
    HEARTBEAT_STATE__PATH=/data/heartbeat.sqlite3 \
    HEARTBEAT_SERVICE__HTTP=0.0.0.0:8080 \
    PYTHONUNBUFFERED=1
EXPOSE 8080

# Numeric, so that Kubernetes' runAsNonRoot and the host can check it without /etc/passwd.
USER 10001:10001
WORKDIR /home/heartbeat

# slim images have no curl: ask /healthz with the Python already there, on the port that
# HEARTBEAT_SERVICE__HTTP names (a wildcard address is asked on loopback).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-m", "heartbeat_bot.web.healthcheck"]

# SIGTERM (docker stop) lets in-flight requests finish, then the service exits 0.
ENTRYPOINT ["heartbeat-bot"]
CMD ["run"]
