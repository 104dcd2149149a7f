"""Acquirer host simulator: wire-format.md over asyncio TCP, pyiso8583, SQLite ledger."""
