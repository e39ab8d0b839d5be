"""The twitter channel: settings, pure rendering, client and its unit."""
