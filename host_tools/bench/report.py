"""The report of `make bench` (build/reports/performance.md, docs/performance.md once
published): the text is a template (report.md beside this file), the tables are rows
built here from the run's figures, and the figures are those `make bench` keeps in
build/reports/bench.json, so that the report can be made again without running the
benchmarks:

    python -m host_tools.bench.report [bench.json]    # rewrites build/reports/performance.md
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from host_tools import reports
from host_tools.bench import flash, scaling
from host_tools.bench.heap import BUDGET_KB, GUARD64_KB, RUNS, TITLES
from host_tools.bench.tls import decision

DOC = "performance.md"  # under build/reports/, then docs/ (host_tools/reports.py)
RAW = "bench.json"  # the run's figures, beside it
TEMPLATE = Path(__file__).with_name("report.md")
NAMES = {"preauth": "pre-auth", "void": "void", "completion": "completion",
         "completion_void": "completion void"}
KB = 1024
OPTIONAL = ("tls_section", "heap_runtimes")  # parts of the report a run may not have


def sections(path: Path = TEMPLATE) -> dict[str, str]:
    """The template's sections by name (a `<!-- section: name -->` line starts one)."""
    parts = re.split(r"^<!-- section: (\w+) -->\n", path.read_text(), flags=re.M)
    return {name: text.removesuffix("\n") for name, text in zip(parts[1::2], parts[2::2],
                                                                 strict=True)}


def fill(text: str, values: dict[str, Any]) -> str:
    """text with its {fields} filled; the line of an OPTIONAL part left empty goes."""
    for k in OPTIONAL:
        if values.get(k) == "":
            text = text.replace("{" + k + "}\n", "")
    return text.format_map(values)


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], indent: str = "") -> str:
    """A Markdown table; an empty cell is written `| |`."""
    def line(cells: Sequence[Any]) -> str:
        return indent + "|" + "".join(f" {c} |" if c != "" else " |" for c in cells)

    return "\n".join([line(header), indent + "|" + "---|" * len(header)]
                     + [line(r) for r in rows])


def _yes(ok: bool) -> str:
    return "met" if ok else "**missed**"


# ------------------------------------------------------------------------ the tables


def summary_rows(res: dict) -> list[list[Any]]:
    fl, sc, cp, sz = res["flash"], res["scaling"], res["cpu"], res["size"]
    bs, ip, lr = sc["boot_s"], sc["inproc"], sc["lookup_ratios"]
    v_worst = max(max(lr[k].values()) for k in lr if k.startswith("voucher"))
    a_worst = max(max(lr[k].values()) for k in lr if k.startswith("auth"))
    rows: list[list[Any]] = []
    for k in flash.KINDS:
        f = fl[k]
        rows.append([f"flash per {NAMES[k]} (amortized over {f['count']:,})",
                     f"{f['erases']:.2f} erases, {f['bytes']:,.0f} B programmed "
                     f"({f['amplification']:.0f}x the 128-B record)",
                     "<= 1 erase, <= 2 KB", _yes(f["aim_met"])])
    aim_boot, aim_look = scaling.AIM_BOOT, scaling.AIM_LOOKUP
    rows += [
        ["lifetime of the 2 MiB partition (the mix above)",
         f"{fl['mixed_lifetime_txns'] / 1e6:.1f} M transactions = "
         f"{fl['mixed_lifetime_years']:,.0f} years at {flash.PER_DAY}/day", "", ""],
        ["boot to menu, 1,500 / 0 records (end to end, time)",
         f"{sc['boot_ratio']:.2f} ({bs['1500']:.3f} s / {bs['0']:.3f} s)", f"<= {aim_boot}",
         _yes(sc["boot_ratio"] <= aim_boot)],
        ["boot, 1,500 / 0 records (in-process, block reads)",
         f"{sc['boot_reads_ratio']:.2f} ({ip['1500']['boot']['reads']:,} / "
         f"{ip['0']['boot']['reads']:,})", f"<= {aim_boot}",
         _yes(sc["boot_reads_ratio"] <= aim_boot)],
        ["find by voucher, 1,500 / 15 records (worst of reads and time, "
         "oldest/middle/newest)", f"{v_worst:.2f}", f"<= {aim_look}", _yes(v_worst <= aim_look)],
        ["find by auth code, 1,500 / 15 records (worst of reads and time, "
         "oldest/middle/newest)", f"{a_worst:.2f}", f"<= {aim_look}", _yes(a_worst <= aim_look)],
        ["CPU per void (network excluded) / loopback round trip",
         f"{cp['cpu_us']:,} us / {cp['rtt_open_us']:,} us = x{cp['fraction_open']:.0f} "
         f"(x{cp['fraction_connect']:.0f} against connect + round trip + close)", "", ""],
    ]
    tl = res.get("tls")
    if tl:
        for name in ("frozen32", "unix64"):
            if name in tl:
                r = tl[name]
                kept = (r["tls"]["setup_bytes"] - r["plain"]["setup_bytes"]) / KB
                rows.append([f"TLS handshake ({name} unix port): CPU, bytes, GC heap",
                             f"{r['handshake_cpu_ms']:.0f} ms CPU (plain exchange "
                             f"{r['plain']['cpu_ms']:.1f} ms), +{r['tls_bytes_extra']:,.0f} B "
                             f"on the wire, +{kept:.1f} KB GC heap kept", "", ""])
        rows.append(["TLS handshake on an ESP32 (published)",
                     f"about {tl['esp32']['handshake_s']} s", "", ""])
    ih = sz["import_heap"]
    rows += [[".mpy for the ESP32 (xtensawin)",
              f"firmware {sz['firmware_mpy']:,} B, with board/esp32 {sz['total_mpy']:,} B", "",
              ""],
             ["heap after importing every firmware module (unix, x64 .mpy)",
              f"{ih['after_imports']:,} B ({ih['delta']:,} B over the bare interpreter)", "",
              ""]]
    hp = res.get("heap")
    if hp and "frozen32" in hp:
        fz = hp["frozen32"]
        rows.append(["minimum heap: the scripted scenario, 1,500 records, TLS to the host, "
                     "32-bit, firmware frozen (the ESP32 image; make frozen)",
                     f"{fz['min_kb']} KB", f"<= {hp['budget_kb']} KB (aim {hp['aim_kb']})",
                     _yes(fz["min_kb"] <= hp["aim_kb"])])
        swept = fz.get("sweep_failed")
        if swept is not None:
            rows.append([f"... one run at every KB from the minimum to {hp['budget_kb']} KB",
                         f"failed at {', '.join(map(str, swept))} KB" if swept
                         else "all complete", "none fails", _yes(not swept)])
    if hp and "mpy32" in hp:
        rows.append(["minimum heap, 32-bit, firmware as .mpy files (stock MicroPython + make "
                     "deploy)", f"{hp['mpy32']['min_kb']} KB", "", ""])
    if hp and "mpy64" in hp:
        rows.append(["minimum heap, 64-bit unix port, .mpy files (regression guard)",
                     f"{hp['mpy64']['min_kb']} KB", f"<= {hp['guard64_kb']} KB",
                     _yes(hp["mpy64"]["min_kb"] <= hp["guard64_kb"])])
    return rows


def flash_tables(fl: dict) -> dict[str, str]:
    kinds = [(NAMES[k], fl[k]) for k in flash.KINDS]
    st = fl["settlement"]
    per_kind = [[name, f"{f['count']:,}", f"{f['programs']:.1f}", f"{f['erases']:.2f}",
                 f"{f['bytes']:,.0f}", f"{f['amplification']:.1f}", f"{f['reads']:,.0f}",
                 f"{f['max_erases']} / {f['max_bytes']:,}",
                 f"{f['lifetime_txns'] / 1e6:.1f} M txns = {f['lifetime_years']:,.0f} years "
                 f"at {flash.PER_DAY}/day"] for name, f in kinds]
    per_kind.append(["settlement of the full batch (once)", 1, st["programs"], st["erases"],
                     f"{st['bytes']:,}", "", f"{st['reads']:,}", "", ""])
    steps: list[str] = []
    for _, f in kinds:
        steps += [k for k in f["steps"] if k not in steps]

    def cell(f: dict, k: str) -> str:
        s = f["steps"].get(k)
        return f"{s[2]:.2f} / {s[3]:,.0f}" if s and (s[1] or s[0]) else ""

    step_rows = [[k] + [cell(f, k) for _, f in kinds] for k in steps]
    e2e, one = fl["e2e"], fl["one"]

    def ops(x: dict) -> str:
        return f"{x['programs']} / {x['erases']} / {x['bytes']:,}"

    return {
        "flash_table": table(
            ["", "count", "programs", "erases", "bytes programmed", "x 128-B record",
             "block reads", "worst single txn: erases / bytes",
             "lifetime (512 x 100,000 erases)"], per_kind),
        "steps_table": table(["step"] + [name for name, _ in kinds],
                             [r for r in step_rows if any(r[1:])]),
        "e2e_table": table(
            ["", "end to end: programs / erases / bytes", "in-process, same transaction"],
            [["boot + sign-in", ops(e2e["boot_signin"]), ""]]
            + [[kind, ops(e2e[key]), ops(one[key])]
               for kind, key in (("pre-auth", "preauth"), ("void", "void"))]),
        "flash_aim": (
            "**The aim (at most one erase and 2 KB programmed a transaction) is missed.**"
            if not all(f["aim_met"] for _, f in kinds) else
            "**The aim (at most one erase and 2 KB programmed a transaction) is met** by "
            "every kind, and `make test` holds it as the budget."),
        "budget_table": table(
            ["", "erases", "bytes", "worst single txn erases"],
            [[f"{k} budget (measured)", f"{b['erases']} ({fl[k]['erases']:.2f})",
              f"{b['bytes']:,} ({fl[k]['bytes']:,.0f})",
              f"{b['max_erases']} ({fl[k]['max_erases']})"]
             for k, b in ((k, flash.BUDGET[k]) for k in flash.KINDS)], indent="  "),
    }


def scaling_tables(sc: dict) -> dict[str, str]:
    bs, ip, lr = sc["boot_s"], sc["inproc"], sc["lookup_ratios"]
    sizes = [str(n) for n in scaling.BOOT_SIZES]

    def boot(key: str, fmt: Callable[[Any], str]) -> list[str]:
        return [fmt(ip[n]["boot"][key]) for n in sizes]

    a, b = ip["15"], ip["1500"]
    return {
        "boot_table": table(
            ["records", *(f"{n:,}" for n in scaling.BOOT_SIZES), "1,500 / 0", "aim"], [
                ["boot to menu, end to end (s)", *(f"{bs[n]:.3f}" for n in sizes),
                 f"{sc['boot_ratio']:.2f}", f"<= {scaling.AIM_BOOT}"],
                ["in-process: block reads", *boot("reads", "{:,}".format),
                 f"{sc['boot_reads_ratio']:.2f}", f"<= {scaling.AIM_BOOT}"],
                ["of which the mount", *boot("mount_reads", "{:,}".format), "", ""],
                ["in-process: microseconds (best of 5 power cycles)",
                 *boot("us", "{:,}".format), f"{sc['boot_us_ratio']:.2f}", ""]]),
        "lookup_table": table(
            ["lookup", "15 records: reads / us", "1,500 records: reads / us", "ratio reads",
             "ratio time", "aim <= 1.5"],
            [[k.replace("voucher_", "by voucher, ").replace("auth_", "by auth code, "),
              f"{a[k]['reads']} / {a[k]['us']:,}", f"{b[k]['reads']} / {b[k]['us']:,}",
              f"{lr[k]['reads']:.2f}", f"{lr[k]['us']:.2f}",
              _yes(max(lr[k].values()) <= scaling.AIM_LOOKUP)] for k in scaling.LOOKUPS]),
    }


def cpu_table(cp: dict) -> str:
    flash_us = sum(v for k, v in cp["steps"].items() if "flash" in k)
    return table(["step", "us"], [[k, f"{cp['steps'][k]:,}"] for k in cp["order"]] + [
        ["**Enter -> request on the wire**", f"**{cp['request_us']:,}**"],
        ["**response -> result on screen**", f"**{cp['response_us']:,}**"],
        [f"**total** (of which flash steps {flash_us:,})", f"**{cp['cpu_us']:,}**"],
        ["loopback round trip, open connection", f"{cp['rtt_open_us']:,}"],
        ["loopback connect + round trip + close (one exchange of host/session.py)",
         f"{cp['rtt_connect_us']:,}"]])


def size_table(sz: dict) -> str:
    return table(["package", ".mpy bytes"],
                 [[k, f"{v:,}"] for k, v in sorted(sz["packages"].items(), key=lambda kv: -kv[1])]
                 + [["**firmware total**", f"**{sz['firmware_mpy']:,}**"],
                    ["with board/esp32", f"{sz['total_mpy']:,}"]])


def tls_section(t: dict[str, str], tl: dict, cp: dict) -> str:
    """The TLS section: host_tools/bench/tls.py's figures, the ESP32's, the decision."""
    names = [n for n in ("frozen32", "unix64") if n in tl]
    rows_of: list[tuple[str, Callable[[dict], str]]] = [
        ("CPU per exchange (ms)", lambda m: f"{m['cpu_ms']:.2f}"),
        ("wall per exchange, loopback (ms)", lambda m: f"{m['wall_ms']:.1f}"),
        ("bytes out / in per exchange",
         lambda m: f"{m['bytes']['to_host']:,.0f} / {m['bytes']['to_terminal']:,.0f}"),
        ("GC heap kept by the session (KB)", lambda m: f"{m['setup_bytes'] / KB:.2f}"),
        ("GC heap allocated per exchange (KB)", lambda m: f"{m['gross'] / KB:.2f}"),
        ("GC heap live at most during an exchange (KB, sampled)",
         lambda m: f"{m['peak'] / KB:.2f}"),
        ("GC heap left after an exchange (B)", lambda m: f"{m['left']}"),
        ("smallest heap, session + 2 exchanges (KB)", lambda m: f"{m['min_heap'] / KB:.2f}"),
    ]
    tls_table = table([""] + [f"{n}: {mode}" for n in names for mode in ("plain", "TLS")],
                      [[label] + [f(tl[n][mode]) for n in names for mode in ("plain", "tls")]
                       for label, f in rows_of])
    bullets = [fill(t["tls_runtime"], {
        "name": n, "r": tl[n], "cpu_ratio": tl[n]["tls"]["cpu_ms"] / tl[n]["plain"]["cpu_ms"],
        "records": ", ".join(f"{k} {v:,.0f} B"
                             for k, v in tl[n]["tls"]["bytes"]["records"].items()),
        "heap_growth": (tl[n]["tls"]["min_heap"] - tl[n]["plain"]["min_heap"]) / KB})
        for n in names]
    if "unix64" in tl and cp.get("cpu_us"):
        us = tl["unix64"]["handshake_cpu_ms"] * 1000
        bullets.append(fill(t["tls_beside"], {"cp": cp, "handshake_us": us,
                                              "times": us / cp["cpu_us"]}))
    return fill(t["tls"], {"tl": tl, "e": tl["esp32"], "tls_table": tls_table,
                           "tls_runtimes": "\n".join(bullets), "decision": decision(tl)}) + "\n"


# ------------------------------------------------------------------------ the report


def render(run: dict) -> str:
    """The report from a run's record: {"results": each bench's figures, "outputs": what
    each printed, "date", "commit", "dirty", "elapsed" (seconds), "cpus", "load"}."""
    t = sections()
    res, out = run["results"], run["outputs"]
    hp, tl = res.get("heap"), res.get("tls")
    heap_runtimes = ""
    if hp and "frozen32" in hp:
        heap_runtimes = fill(t["heap_runtimes"], {
            "hp": hp, "runs": RUNS,
            "sweep_note": ", every KB from there to the budget completing once"
            if not hp["frozen32"].get("sweep_failed")
            else ", but some sizes above it failed: see above",
            "heap_table": table(
                ["runtime", "after boot imports (firmware + board)", "at the menu",
                 "most on a screen", "minimum heap"],
                [[TITLES[k], f"{r['after_imports_kb']} KB ({r['after_imports_firmware_kb']} + "
                  f"{r['after_imports_board_kb']})", f"{r['menu_kb']} KB",
                  f"{r['peak_screen_kb']} KB", f"**{r['min_kb']} KB**"]
                 for k, r in ((k, hp[k]) for k in ("frozen32", "mpy32", "mpy64") if k in hp)]),
        }) + "\n"
    return fill(t["report"], {
        "date": run["date"], "commit": run["commit"],
        "dirty": " (with uncommitted changes in the working tree)" if run["dirty"] else "",
        "cpus": run["cpus"], "load": run["load"], "minutes": run["elapsed"] / 60,
        "fl": res["flash"], "cp": res["cpu"], "sz": res["size"],
        "boots": scaling.BOOTS, "runs": RUNS, "budget_kb": BUDGET_KB, "guard64_kb": GUARD64_KB,
        "summary_table": table(["figure", "measured", "aim", ""], summary_rows(res)),
        **flash_tables(res["flash"]), **scaling_tables(res["scaling"]),
        "cpu_table": cpu_table(res["cpu"]), "size_table": size_table(res["size"]),
        "tls_section": tls_section(t, tl, res["cpu"]) if tl else "",
        "heap_runtimes": heap_runtimes,
        "heap_output": (out.get("heap") or "(no output)").strip("\n"),
        "crypto_output": out.get("crypto", "").strip("\n"),
        "codec_output": out.get("codec", "").strip("\n"),
    }) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    raw = Path(args[0]) if args else reports.REPORTS / RAW
    if not raw.exists():
        print(f"no {reports.shown(raw)}: run make bench first")
        return 1
    path = reports.write(DOC, render(json.loads(raw.read_text())))
    print(f"wrote {reports.shown(path)} from {reports.shown(raw)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
