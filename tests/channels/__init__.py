"""Tests of the channel clients: pure classifiers, then the real clients over loopback."""
