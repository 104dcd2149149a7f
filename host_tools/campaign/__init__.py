"""Reliability campaigns: long runs of the real firmware (power cuts, host faults, fuzzing,
keypad monkey) and the data-at-rest checks that follow them. Each module has main(full)."""
