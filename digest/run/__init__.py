"""`digest run`: the long-running service that polls, alerts, sends the digests and keeps the
database in shape, and `digest status`, which reports on it."""
