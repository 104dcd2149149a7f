# What the terminal keeps in flash: small atomic records (record.py), the terminal's
# counters and keys (state.py); the pre-auth journal and pending reversal build on them.
