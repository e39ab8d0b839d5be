"""The discourse channel: settings, pure rendering, client and its unit."""
