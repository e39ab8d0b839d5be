# heartbeat-bot as a service: `docker run -v ./config:/config:ro -v heartbeat-state:/data IMAGE`.
FROM python:3.11-slim

# git: a posts folder is often a git checkout, kept up to date with `git pull`.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md LICENSE ./
COPY heartbeat_bot ./heartbeat_bot
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 10001 --user-group heartbeat \
    && mkdir -p /data \
    && chown heartbeat:heartbeat /data

# The ledger lives on a volume so a new container never announces a post twice.
VOLUME /data
# Settings are mounted read-only at /config; secrets come from the environment
# (HEARTBEAT_<SECTION>__<KEY>). The health listener must leave the container's loopback.
ENV HEARTBEAT_CONFIG=/config/heartbeat.toml \
    HEARTBEAT_STATE__PATH=/data/heartbeat.sqlite3 \
    HEARTBEAT_SERVICE__HTTP=0.0.0.0:8080 \
    PYTHONUNBUFFERED=1
EXPOSE 8080

USER heartbeat
WORKDIR /home/heartbeat

# slim images have no curl: ask /healthz with the Python already there.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"]

# SIGTERM (docker stop) lets in-flight requests finish, then the service exits 0.
ENTRYPOINT ["heartbeat-bot"]
CMD ["run"]
