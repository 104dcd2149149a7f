"""Minimum heap: the smallest `micropython -X heapsize=` in which a scripted scenario
completes with the batch's journal full (1,500 records), found by bisection, on three
runtimes (host_tools.runtime.Runtime):

- frozen32: the device-like interpreter (`make frozen`): 32-bit objects, the firmware and
  asyncio frozen in, as the ESP32 production image runs them. The budget: BUDGET_KB,
  enforced by tests/perf/test_heap_budget.py (RUNS runs in a row); aim AIM_KB.
- mpy32: the same 32-bit interpreter loading the firmware as x86 .mpy files, as stock
  MicroPython on an ESP32 runs what `make deploy` copies. Reported.
- mpy64: the 64-bit unix port loading x64 .mpy files; a regression guard (GUARD64_KB).

The simulator board runs in the same heap (its control interface, display copy and block
device): the figure is the whole process's, as run here.

The scenario, against the host simulator (a fresh ledger each run):

  boot (sign-in), a pre-auth approved with both receipts, the void of it, a pre-auth whose
  answer never comes (the host's no_answer fault: reversal stored), the next pre-auth (the
  reversal goes first), the query (two records browsed), reprint of the last receipt, the
  completion of that pre-auth (found by its auth code), the completion void of it, the
  settlement of the full batch (its totals read from all 1,500 records, the report
  printed), and a pre-auth in the next batch.

The journal is pre-filled (host_tools/mp/fill_journal.py) with PREFILL records so
that the scenario's records bring it to 1,500 (Journal.capacity) as it settles: a full
batch throughout. A run fails fast: any screen that says an error, a terminal that dies, or a
control request that fails (a MemoryError in the control task answers an error).

Over TLS 1.2, as the terminal is configured by default (host/tls.py: tls.SSLContext,
CERT_REQUIRED, the test PKI's CA installed beside config.json by SimTerminal; the simulator
serves TLS unless `--plain`); a run whose host did not serve TLS fails. mbedTLS allocates
from the C heap on the unix port, as from the IDF heap on the ESP32, so what TLS costs the
heap measured here is its Python objects (an SSLContext kept from boot, an SSLSocket per
connection, the stream's buffers): host_tools/bench/tls.py has them apart.

    python -m host_tools.bench.heap        # bisect each runtime, print the figures
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from host_tools import build_mpy, frozen_unix, keypad
from host_tools.hostsim.ledger import Ledger
from host_tools.hostsim.process import running_hostsim
from host_tools.runtime import MP_DIR, Runtime, run, run_json
from host_tools.screen import Screen
from host_tools.simctl import SimTerminal

# The heap budget on the device-like interpreter (frozen32): the scenario completes in it
# RUNS times out of RUNS (tests/perf/test_heap_budget.py). An ESP32-WROOM without PSRAM
# gives MicroPython about 110 KB, less with WiFi up (docs/hardware.md).
BUDGET_KB = 64
AIM_KB = 48  # and no run failing anywhere between the minimum and BUDGET_KB
RUNS = 20
# The 64-bit .mpy figure stays as a regression guard. All modules are resident (a .mpy
# module keeps its bytecode in the heap): 203 KB measured 2026-12-03 before the
# completion and settlement, 229 KB with them, 237 KB with the counter's new screens and
# messages, 248 KB with TLS (the SSLContext made at boot); the kinds registry and the
# hardware contract's modules add theirs, and at 256 KB the App's 2 KB work buffer no
# longer found room at boot on a loaded machine (START ERROR); the peak moves with
# asyncio timing (176 KB failed on a loaded machine when the minimum was 165), so the
# guard keeps a margin. The card reader took the minimum from 270 to 294 KB (2026-12-07):
# 6.5 KB of its modules' code, and their ~50 new names overflowed the 6th qstr pool, so
# MicroPython allocates a 7th at boot (14.6 KB, room for as many names again).
# This runtime is the PSRAM boards' (docs/hardware.md).
GUARD64_KB = 320
RECORDS = 1500  # journal records when the scenario settles (a full batch)
PREFILL = RECORDS - 5  # the scenario's pre-auths, void, completion, completion void add 5
BATCH = "000001"  # the batch the host simulator's first sign-in assigns
FILL = MP_DIR / "fill_journal.py"
CONFIG = {"response_timeout_s": 2, "connect_timeout_s": 2}  # the no_answer wait is short

# Screens that end a step at once: they say something went wrong.
FAIL = re.compile(r"MemoryError|Error|ERROR|交易失败|保存交易失败|连接主机失败|签到失败|无此交易")


TLS_ON = "TLS 1.2 on"  # the host simulator's log line when it serves TLS


ScenarioFailed = keypad.StepFailed  # a step's screen did not come, or said an error


# ------------------------------------------------------------------------ the scenario


def scenario(term: SimTerminal, db: Path,
             probe: Callable[[str, int], None] | None = None) -> None:
    """The scripted scenario; raises ScenarioFailed (or the terminal's errors) on failure.
    probe, if given, gets the heap in use (after a collection) at each screen waited for.
    The keypad's scripts, failing fast: any screen that says an error ends the step."""

    def heap_at(s: Screen) -> None:  # a collection: only when profiling
        assert probe is not None
        probe(s.lines[0] if s.lines else "", term.request({"op": "mem"})["alloc"])

    op = keypad.Operator(term, done=re.compile(r"交易成功|交易超时"), fail=FAIL,
                         probe=heap_at if probe is not None else None, timeout=15.0,
                         menu_timeout=30.0, nearly_full=True)
    keypad.at_menu(op)  # booted and signed in (the state asked for it)
    voucher = keypad.approved(op, keypad.preauth(op, 12345), cardholder=True)
    keypad.approved(op, keypad.void_by_voucher(op, voucher))  # the void of it

    led = Ledger(str(db))  # the next 0100 is never answered: a reversal is stored
    try:
        led.add_fault("no_answer", mti="0100", count=1)
    finally:
        led.close()
    text = keypad.preauth(op, 4242)
    if "交易超时" not in text or "已记录冲正" not in text:
        raise ScenarioFailed(f"expected a timeout with a reversal stored:\n{text}")
    term.press("ENTER")
    if "有未完成冲正" not in keypad.at_menu(op).text:
        raise ScenarioFailed("the menu does not show the pending reversal")
    keypad.approved(op, keypad.preauth(op, 300), cardholder=True)  # the reversal first
    if "有未完成冲正" in term.screen().text:
        raise ScenarioFailed("the reversal is still pending")

    term.press(keypad.KEYS["query"])  # query: the newest record, the one before it, back
    newest = op.wait(re.compile(r"预授权 \d{6}")).lines[1]  # 预授权 <voucher>
    term.press("DOWN")
    older = op.wait(re.compile(r"(预授权|撤销) (?!" + newest[-6:] + r")\d{6}")).text
    if "交易查询" not in older:
        raise ScenarioFailed(f"DOWN did not show the previous record:\n{older}")
    term.press("UP")
    op.wait(newest)
    term.press("CANCEL")
    keypad.at_menu(op)

    term.press(keypad.KEYS["reprint"])  # reprint the last receipt
    op.wait("重打任意笔")
    before = len(term.receipts())
    term.press("1")
    keypad.finish_receipts(op, cardholder=False)
    slips = term.receipts()
    if len(slips) != before + 1 or "重打印" not in slips[-1].text:
        raise ScenarioFailed("the reprint did not print")

    # the last pre-auth completed, by its auth code, and that completion voided
    auth = re.search(r"授权码\(AUTH NO\.\):\s*(\w{6})", slips[-1].text).group(1)
    completion = keypad.approved(op, keypad.completion(op, "auth", auth, 345),
                                 cardholder=True)
    keypad.approved(op, keypad.cvoid(op, completion), cardholder=True)

    text = keypad.settle(op)  # the full batch settled, the next one begins
    if "结算完成" not in text:
        raise ScenarioFailed(f"the settlement did not complete:\n{text}")
    term.press("ENTER")
    keypad.at_menu(op)
    if "结算单" not in term.receipts()[-1].text:
        raise ScenarioFailed("no settlement report printed")
    keypad.approved(op, keypad.preauth(op, 100), cardholder=True)


# ------------------------------------------------------------------------- the runs


def build_code_dir(out: Path, arch: str = "x64", cross: str | None = None) -> Path:
    """Fresh .mpy build of the firmware and the simulator board into out."""
    shutil.rmtree(out, ignore_errors=True)
    res = build_mpy.build("unix", out, arch=arch, cross=cross)
    if res["errors"]:
        raise RuntimeError(f"{arch} .mpy build failed:\n" + "\n".join(res["errors"]))
    return out


def runtimes(work: Path, which: tuple[str, ...] = ("frozen32", "mpy32", "mpy64")
             ) -> dict[str, Runtime]:
    """The runtimes asked for, building their .mpy code dirs under work. The 32-bit ones
    need `make frozen` (build/frozen/micropython): without it they are left out."""
    out: dict[str, Runtime] = {}
    have32 = frozen_unix.MICROPYTHON.exists()
    if "frozen32" in which and have32:
        out["frozen32"] = Runtime.frozen(frozen_unix.MICROPYTHON)
    if "mpy32" in which and have32:
        code = build_code_dir(work / "mpy-x86", "x86", str(frozen_unix.MPY_CROSS))
        out["mpy32"] = Runtime.mpy(code, frozen_unix.MICROPYTHON)
    if "mpy64" in which:
        out["mpy64"] = Runtime.mpy(build_code_dir(work / "mpy-x64"))
    return out


def prepare(runtime: Runtime, template: Path, records: int = PREFILL) -> Path:
    """A never-signed-in terminal's sim dir whose batch-000001 journal holds `records`."""
    shutil.rmtree(template, ignore_errors=True)
    SimTerminal(template, config=CONFIG, runtime=runtime)  # writes config.json
    res = run_json(FILL, records, BATCH, runtime=runtime, sim_dir=template, timeout=120)
    if res["count"] != records or res["batch"] != BATCH:
        raise RuntimeError(f"journal fill: {res}")
    return template


def run_once(heap_kb: int, runtime: Runtime, template: Path, work: Path,
             scenario: Callable[[SimTerminal, Path], None] = scenario) -> tuple[bool, str]:
    """The scenario once in a copy of template with a heap of heap_kb KB: (ok, why not)."""
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(template, work / "term")
    with running_hostsim(work / "host.db") as (_proc, port):
        term = SimTerminal(work / "term", config={**CONFIG, "port": port},
                           heapsize=f"{heap_kb}k", runtime=runtime)
        try:
            term.start()
            scenario(term, work / "host.db")
            ok, why = True, ""
        except Exception as e:  # ScenarioFailed, TerminalDied, ControlError, TimeoutError
            ok, why = False, f"{type(e).__name__}: {e}"
        finally:
            term.stop()
    log = term.log_text()
    if ok and "MemoryError" in log:
        ok, why = False, "MemoryError in the log"
    if ok and TLS_ON not in _host_log(work):
        ok, why = False, "the host simulator did not serve TLS: the figure would be plain TCP's"
    if not ok:
        why += "\n--- log tail:\n" + "\n".join(log.splitlines()[-15:])
    return ok, why


def _host_log(work: Path) -> str:
    try:
        return (work / "host.log").read_text(errors="replace")
    except OSError:
        return ""


def bisect_heap(runtime: Runtime, template: Path, work: Path, lo_kb: int = 16,
                hi_kb: int = 512, log: Callable[[str], None] = print,
                scenario: Callable[[SimTerminal, Path], None] = scenario) -> int:
    """The smallest heap (KB, 1 KB resolution) in lo_kb..hi_kb in which scenario
    completes, assuming more heap never hurts. Raises if hi_kb fails too."""

    def ok(kb: int) -> bool:
        t0 = time.monotonic()
        good, _why = run_once(kb, runtime, template, work, scenario)
        log(f"  heapsize={kb}k: {'completes' if good else 'fails'} "
            f"({time.monotonic() - t0:.1f} s)")
        return good

    if not ok(hi_kb):
        _, why = run_once(hi_kb, runtime, template, work, scenario)
        raise RuntimeError(f"the scenario fails even with {hi_kb} KB: {why}")
    if ok(lo_kb):
        return lo_kb
    lo, hi = lo_kb, hi_kb  # lo fails, hi completes
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi


def sweep(runtime: Runtime, template: Path, work: Path, lo_kb: int, hi_kb: int,
          log: Callable[[str], None] = print) -> list[int]:
    """One run at every KB from lo_kb to hi_kb; returns the sizes that failed (the
    bisection assumes a monotone answer; this checks it)."""
    failed = []
    for kb in range(lo_kb, hi_kb + 1):
        good, _why = run_once(kb, runtime, template, work)
        if not good:
            failed.append(kb)
    log(f"  one run at each of {lo_kb}..{hi_kb} KB: "
        + (f"failed at {', '.join(map(str, failed))} KB" if failed else "all complete"))
    return failed


# What main.py and the app import before the main menu: the firmware's and the board's.
FIRMWARE_BOOT = ("asyncio", "app.terminal")
BOARD_BOOT = ("board", "sim_hw")

_IMPORTS = """
import gc, sys
gc.collect()
base = gc.mem_alloc()
for m in sys.argv[1].split(","):
    __import__(m)
gc.collect()
print(gc.mem_alloc() - base)
"""


def imports_bytes(runtime: Runtime, modules: tuple[str, ...]) -> int:
    """Heap held (after gc.collect()) once modules are imported."""
    with tempfile.TemporaryDirectory(prefix="heap-imp-") as tmp:
        script = Path(tmp) / "imports.py"
        script.write_text(_IMPORTS)
        (Path(tmp) / "sim").mkdir()
        out = run(script, ",".join(modules), runtime=runtime, sim_dir=Path(tmp) / "sim",
                  cwd=tmp, timeout=60)
    if out.returncode:
        raise RuntimeError(out.stderr)
    return int(out.stdout.split()[-1])


def profile(runtime: Runtime, template: Path, work: Path, heap_kb: int = 512) -> dict:
    """The heap in use (after a collection) at each screen of the scenario, in a heap
    large enough not to matter: the live data, without the fragmentation a minimum adds."""
    seen: list[tuple[str, int]] = []
    ok, why = run_once(heap_kb, runtime, template, work,
                       lambda term, db: scenario(term, db, lambda t, n: seen.append((t, n))))
    if not ok:
        raise RuntimeError(f"profile run failed: {why}")
    return {"menu": seen[0][1], "peak": max(n for _, n in seen),
            "peak_at": max(seen, key=lambda x: x[1])[0]}


TITLES = {"frozen32": "32-bit, firmware frozen (the production image; make frozen)",
          "mpy32": "32-bit, firmware as .mpy files (stock MicroPython + make deploy)",
          "mpy64": "64-bit unix port, firmware as .mpy files (regression guard)"}


def measure(name: str, runtime: Runtime, work: Path) -> dict:
    kb = 1024
    template = prepare(runtime, work / f"template-{name}")
    fw = imports_bytes(runtime, FIRMWARE_BOOT)
    total = imports_bytes(runtime, BOARD_BOOT + FIRMWARE_BOOT)
    prof = profile(runtime, template, work / "run")
    print(f"{name}: {TITLES[name]}; TLS 1.2 to the host simulator")
    print(f"  after imports (gc.collect()): {total / kb:.1f} KB = firmware {fw / kb:.1f} KB "
          f"({', '.join(FIRMWARE_BOOT)}) + simulator board {(total - fw) / kb:.1f} KB")
    print(f"  heap in use at the main menu: {prof['menu'] / kb:.1f} KB; most on any screen "
          f"of the scenario: {prof['peak'] / kb:.1f} KB ({prof['peak_at']})")
    print(f"  bisecting the minimum heap ({RECORDS} journal records):")
    min_kb = bisect_heap(runtime, template, work / "run", hi_kb=512 if name == "mpy64" else 256)
    out = {"min_kb": min_kb, "after_imports_kb": round(total / kb, 1),
           "after_imports_firmware_kb": round(fw / kb, 1),
           "after_imports_board_kb": round((total - fw) / kb, 1),
           "menu_kb": round(prof["menu"] / kb, 1), "peak_screen_kb": round(prof["peak"] / kb, 1)}
    if name == "frozen32" and min_kb <= BUDGET_KB:
        out["sweep_failed"] = sweep(runtime, template, work / "run", min_kb, BUDGET_KB)
    print(f"  minimum heap: {min_kb} KB")
    return out


def main() -> dict:
    results: dict = {"budget_kb": BUDGET_KB, "aim_kb": AIM_KB, "guard64_kb": GUARD64_KB}
    with tempfile.TemporaryDirectory(prefix="heap-") as tmp:
        found = runtimes(Path(tmp))
        if "frozen32" not in found:
            print("frozen32, mpy32: no device-like interpreter (build/frozen/micropython); "
                  "run `make frozen` (README) for the 32-bit figures")
        for name, runtime in found.items():
            results[name] = measure(name, runtime, Path(tmp))
    return results


if __name__ == "__main__":
    main()
