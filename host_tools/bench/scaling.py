"""Boot and lookup scaling with the size of the journal.

- **Boot to ready, end to end**: a simulator terminal (SimTerminal, running the firmware
  compiled to x64 .mpy as a device runs .mpy) signed in once, its journal then filled with
  host_tools/mp/fill_journal.py to 0, 150 and 1,500 records; each is booted BOOTS
  times, timed from spawning the process until the main menu is on the screen (best run).
- **Boot and lookups in-process** (host_tools/bench/scaling_mp.py): block reads and time of
  mount + the App's storage objects, and of finding a void's original by voucher number and
  by auth code (+ host date + amount), with 15 and 1,500 records made as the app makes them.

Aims (docs/performance.md): boot 1,500 / 0 <= 1.2; lookups 1,500 / 15 <= 1.5.
Run: `python -m host_tools.bench.scaling` (part of `make bench`).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from host_tools.bench.flash import WORK, run_bench_mp
from host_tools.runtime import MP_DIR, Runtime
from host_tools.simctl import SimTerminal

FILL = MP_DIR / "fill_journal.py"
BOOT_SIZES = (0, 150, 1500)
LOOKUP_SIZES = (15, 1500)
BOOTS = 5
AIM_BOOT = 1.2
AIM_LOOKUP = 1.5
LOOKUPS = ("voucher_oldest", "voucher_middle", "voucher_newest", "auth_newest", "auth_middle",
           "auth_oldest")


def in_process() -> dict:
    d = WORK / "scaling"
    shutil.rmtree(d, ignore_errors=True)
    sizes = sorted({*BOOT_SIZES, *LOOKUP_SIZES})
    return run_bench_mp("scaling_mp.py", d / "flash.img", ",".join(map(str, sizes)), sim_dir=d)


def boot_times(code_dir: Path) -> dict:
    """Best boot-to-menu seconds of BOOTS boots at each journal size."""
    from host_tools import keypad
    from host_tools.hostsim.process import running_hostsim

    d = WORK / "boot"
    shutil.rmtree(d, ignore_errors=True)
    out = {}
    with running_hostsim(d / "host.db") as (_, port):
        term = SimTerminal(d / "term", runtime=Runtime.mpy(code_dir), config={
            "port": port, "response_timeout_s": 5, "connect_timeout_s": 5})
        term.start()
        keypad.at_menu(term)  # the first boot signs in; later ones go straight to the menu
        term.stop()
        for n in BOOT_SIZES:
            if n:
                got = run_bench_mp(FILL, n, sim_dir=term.dir, timeout=300)
                assert got["count"] == n, got
            best = float("inf")
            for _ in range(BOOTS):
                t0 = time.monotonic()
                term.start()
                keypad.at_menu(term)
                best = min(best, time.monotonic() - t0)
                term.stop()
            out[str(n)] = best
    return out


def main(code_dir: Path | None = None) -> dict:
    if code_dir is None:
        from host_tools.bench.size import build_x64

        code_dir = build_x64()
    inproc = in_process()
    times = boot_times(code_dir)
    res = {"boot_s": times, "inproc": inproc}
    b0, b1 = times["0"], times["1500"]
    res["boot_ratio"] = b1 / b0
    r0, r1 = inproc["0"]["boot"], inproc["1500"]["boot"]
    res["boot_reads_ratio"] = r1["reads"] / r0["reads"]
    res["boot_us_ratio"] = r1["us"] / r0["us"]
    print(f"boot to main menu, end to end (x64 .mpy, best of {BOOTS}; spawn to menu on screen)")
    print("  records        " + "".join(f"{n:>10,}" for n in BOOT_SIZES) + "   1,500/0   aim")
    print("  seconds        " + "".join(f"{times[str(n)]:>10.3f}" for n in BOOT_SIZES)
          + f"{res['boot_ratio']:>10.2f}   <= {AIM_BOOT}"
          + ("  met" if res["boot_ratio"] <= AIM_BOOT else "  MISSED"))
    print("boot in-process: mount + App storage objects + menu_title reads")
    print("  block reads    " + "".join(f"{inproc[str(n)]['boot']['reads']:>10,}"
                                        for n in BOOT_SIZES)
          + f"{res['boot_reads_ratio']:>10.2f}   <= {AIM_BOOT}"
          + ("  met" if res["boot_reads_ratio"] <= AIM_BOOT else "  MISSED"))
    print("  of which mount " + "".join(f"{inproc[str(n)]['boot']['mount_reads']:>10,}"
                                        for n in BOOT_SIZES))
    print("  best-of-5 us   " + "".join(f"{inproc[str(n)]['boot']['us']:>10,}"
                                        for n in BOOT_SIZES)
          + f"{res['boot_us_ratio']:>10.2f}")
    print("lookup of a void's original (in-process; reads, best-of-5 microseconds)")
    a, b = (inproc[str(n)] for n in LOOKUP_SIZES)
    print(f"  {'':16}{'15 recs':>16}{'1,500 recs':>18}{'ratio reads':>13}{'ratio us':>10}")
    res["lookup_ratios"] = {}
    for k in LOOKUPS:
        rr, ru = b[k]["reads"] / a[k]["reads"], b[k]["us"] / a[k]["us"]
        res["lookup_ratios"][k] = {"reads": rr, "us": ru}
        ok = max(rr, ru) <= AIM_LOOKUP
        print(f"  {k:16}{a[k]['reads']:>6} r {a[k]['us']:>6} us{b[k]['reads']:>8} r"
              f"{b[k]['us']:>6} us{rr:>13.2f}{ru:>10.2f}  {'met' if ok else 'MISSED'}")
    return res


if __name__ == "__main__":
    main()
