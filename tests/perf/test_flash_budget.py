"""Flash budget per transaction (docs/performance.md, "Flash cost"): the block programs,
erases and bytes programmed per pre-auth and per void, amortized over 1,500 of each on a
fresh 2 MiB littlefs image with littlefs compaction included, as counted by
board/unix/blockdev.py (host_tools/bench/flash.py, flash_mp.py). The counts are
deterministic (same firmware, same counts), so the budgets are tight: measured figures
rounded up with a few per cent of margin. They are TODAY'S figures, not the aim (at most
one erase and 2 KB programmed a transaction), which is not met: this test catches a
regression, and a change that meets the aim should lower the budgets with it.
"""

from host_tools.bench.flash import N, figures, in_process

# measured 2026-11-26 (commit 9a56eac + working tree): pre-auth 52.3 programs, 5.34 erases,
# 5,786 bytes, worst single transaction 8 erases; void 51.4, 4.23, 5,755, worst 7
BUDGET = {
    "preauth": {"programs": 55.0, "erases": 5.5, "bytes": 6100, "max_erases": 10},
    "void": {"programs": 54.0, "erases": 4.5, "bytes": 6100, "max_erases": 9},
}


def test_flash_budget_per_transaction():
    fig = figures(in_process(N))
    over = []
    for kind, budget in BUDGET.items():
        for key, limit in budget.items():
            got = fig[kind][key]
            if got > limit:
                over.append(f"{kind} {key}: {got:,.2f} over the budget {limit:,}")
    assert not over, "flash cost per transaction regressed:\n" + "\n".join(over) + (
        f"\n(measured over {N} transactions of each kind; see docs/performance.md)")
