"""`make bench`: throughput figures, printed (never asserted)."""
