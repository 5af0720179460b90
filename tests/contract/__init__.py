"""Contract tests: the public client replays real GeoCatalog traffic recorded in tests/cassettes/."""
