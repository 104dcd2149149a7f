"""Flash budget per transaction (docs/performance.md, "Flash cost"): at most one block
erase and 2 KB programmed per pre-auth, void, completion and completion void (the aim,
now the budget), amortized over a full batch of pre-auths, its settlement, and a full
batch of follow-ups on a fresh 2 MiB littlefs image with littlefs compaction included,
as counted by board/unix/blockdev.py (host_tools/bench/flash.py, flash_mp.py).
The counts are deterministic (same firmware, same counts). The worst single transaction
(a pre-auth that seals a chunk: one 4 KB chunk, its index entries, and the directory
compactions that fall on it) is held to a bound too, so that no step grows unnoticed
(the budget: host_tools/bench/flash.py BUDGET, which the bench's report prints too).
"""

from host_tools.bench.flash import BUDGET, N, figures, in_process


def test_flash_budget_per_transaction():
    fig = figures(in_process(N))
    over = []
    for kind, budget in BUDGET.items():
        for key, limit in budget.items():
            got = fig[kind][key]
            if got > limit:
                over.append(f"{kind} {key}: {got:,.2f} over the budget {limit:,}")
    assert not over, "flash cost per transaction over budget:\n" + "\n".join(over) + (
        "\n(see docs/performance.md, 'Flash cost per transaction')")
