"""The long-running service: scheduler, watcher, page checks, link retries, alerts."""
