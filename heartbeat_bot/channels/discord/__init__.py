"""The discord channel: settings, pure rendering, client and its unit."""
