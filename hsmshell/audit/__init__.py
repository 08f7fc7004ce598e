"""audit: one hash-chained record per attempt, signed checkpoints, verification."""
