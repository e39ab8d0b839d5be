"""`python -m heartbeat_bot` runs the command line."""

from __future__ import annotations

from heartbeat_bot.cli.main import main

raise SystemExit(main())
