def proposals_advance() -> None:
    """Scheduler job: open and close proposals whose dates have come (exactly once)."""
