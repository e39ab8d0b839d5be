FROM python:3.11-slim

# git: blogs kept in a git repository are cloned and pulled by the service.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md LICENSE ./
COPY heartbeat_bot ./heartbeat_bot
RUN pip install --no-cache-dir .

RUN useradd --create-home --uid 10001 heartbeat
USER heartbeat
WORKDIR /home/heartbeat

# Mount the settings file here (or set HEARTBEAT_CONFIG); secrets come from the environment.
ENV HEARTBEAT_CONFIG=/config/heartbeat.toml
ENTRYPOINT ["heartbeat-bot"]
CMD ["--help"]
