"""Mastodon: statuses in threads, exactly once by Idempotency-Key and a look-up after."""
