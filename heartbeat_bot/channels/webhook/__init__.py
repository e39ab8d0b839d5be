"""The signed outgoing webhook: one JSON POST per announcement, at least once."""
