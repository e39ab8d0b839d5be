"""Pure and shared rendering helpers: Markdown to text, tweet-length counting, templates.

Each channel's own renderer (its payload, limits and length counting) lives in its folder,
``heartbeat_bot/channels/<name>/render.py``, and builds on these.
"""
