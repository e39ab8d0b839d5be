"""``python -m heartbeat_bot.web.healthcheck``: exit 0 when the running service's /healthz is ok.

The container image's HEALTHCHECK. It asks the listener the service was configured with:
``HEARTBEAT_SERVICE__HTTP`` when set, else ``service.http`` from the config file
(``HEARTBEAT_CONFIG``, else ``config/heartbeat.toml``), else the default. A wildcard
address (``0.0.0.0``, ``::``, empty) is asked on loopback. It imports only the standard
library so that it stays cheap every 30 seconds.
"""

from __future__ import annotations

import os
import sys
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

DEFAULT_HTTP = "127.0.0.1:8080"
TIMEOUT = 4.0
_WILDCARDS = {"", "0.0.0.0", "::", "[::]", "*"}


def configured_listener(environ: dict[str, str] | os._Environ[str] = os.environ) -> str:
    """The ``host:port`` the service listens on, as the service itself would read it."""
    if "HEARTBEAT_SERVICE__HTTP" in environ:
        return environ["HEARTBEAT_SERVICE__HTTP"]
    path = Path(environ.get("HEARTBEAT_CONFIG") or "config/heartbeat.toml")
    try:
        with path.open("rb") as handle:
            service = tomllib.load(handle).get("service", {})
    except (OSError, tomllib.TOMLDecodeError):
        return DEFAULT_HTTP
    value = service.get("http", DEFAULT_HTTP) if isinstance(service, dict) else DEFAULT_HTTP
    return value if isinstance(value, str) else DEFAULT_HTTP


def healthz_url(listener: str) -> str | None:
    """The URL of /healthz for a ``host:port`` listener, or None when it is off ("")."""
    if not listener:
        return None
    host, _, port = listener.rpartition(":")
    if host in _WILDCARDS:
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}/healthz"


def main() -> int:
    """Ask /healthz once; 0 for a 200, 1 otherwise, with the reason on stderr."""
    url = healthz_url(configured_listener())
    if url is None:
        print("service.http is off: no health listener to ask", file=sys.stderr)
        return 0
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as answer:
            return 0 if answer.status == 200 else 1
    except urllib.error.HTTPError as exc:
        reason = exc.read(300).decode("utf-8", "replace").strip()
        print(f"{url}: {exc.code} {reason}", file=sys.stderr)
    except (OSError, ValueError) as exc:
        print(f"{url}: {exc}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
