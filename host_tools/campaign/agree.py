"""Do the host's ledger and the terminal's journal agree? The rules the reliability
campaigns check after a power cut (powercut.py) or a host fault (faults.py), for every
kind of transaction: pre-auth, void, completion, completion void.

Journal records come as the flash inspector prints them (host_tools/mp/inspect_flash.py):
dicts with batch, voucher, kind, state, amount, auth, orig [batch, voucher], next [batch,
voucher]. ``lag_ok`` is for the image a cut left behind: a
follow-up may be recorded while its original's new state is not yet (the second write of
Journal.follow), and an approved request may be missing when its reversal is pending;
after the next transaction neither may remain.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# The host's hold states and the journal's pre-auth states that say the same.
HOLD_STATES = {"open": ("OPEN",), "voided": ("VOIDED",), "completed": ("COMPLETED",),
               "completion_voided": ("COMPLETION_VOIDED",), "reversed": (None, "REVERSED")}
COMPLETION_STATES = {"standing": ("OPEN",), "voided": ("VOIDED",),
                     "reversed": (None, "REVERSED")}
# What a follow-up makes of its original, the step before (a cut between the writes).
LAG = {"VOID": ("VOIDED", "OPEN"), "COMPLETION": ("COMPLETED", "OPEN"),
       "COMPLETION_VOID": ("VOIDED", "OPEN")}
# A follow-up the host approved whose reversal is pending and whose record is not written
# (the cut came before it): the journal keeps its originals in the state before it.
# (follow-up kind) -> {host state of the original: journal state before the follow-up}
BEFORE = {"void": {"voided": "OPEN"}, "completion": {"completed": "OPEN"},
          "completion_void": {"completion_voided": "COMPLETED", "voided": "OPEN"}}
KINDS = {"preauth": "PREAUTH", "void": "VOID", "completion": "COMPLETION",
         "completion_void": "COMPLETION_VOID"}
NONE = "000000"


def _key(batch: Any, voucher: str) -> tuple[int, str]:
    return int(batch), voucher


def check(recs: list[dict], txns: list[dict], holds: dict[int, dict],
          completions: dict[int, dict], lag_ok: bool = False,
          pending: Callable[[str, int, str], bool] = lambda v, b, k: False,
          dropped: frozenset[int] = frozenset()) -> list[str]:
    """Problems, empty when the two sides agree. txns, holds, completions: this terminal's
    rows of the host ledger. pending(voucher, batch, kind): a reversal for that request
    is pending on the terminal (only asked when lag_ok). dropped: settled batches the
    terminal has removed from flash as a whole (retention, docs/journal.md): their
    records are not looked for."""
    bad: list[str] = []
    journal: dict[tuple[int, str], dict] = {}
    for r in recs:
        k = _key(r["batch"], r["voucher"])
        if k in journal:
            bad.append(f"voucher {r['voucher']} recorded twice in batch {r['batch']}")
        journal[k] = r
    followed = {}  # original's key -> the follow-up that changed it last
    for r in recs:
        if r["kind"] != "PREAUTH" and r["orig"][1] != NONE:
            followed[_key(*r["orig"])] = r
    approved = {}
    for t in txns:
        if t["rc"] != "00":
            k = _key(t["batch"], t["voucher"])
            if k in journal:
                bad.append(f"{t['kind']} {k} was declined ({t['rc']}) but is in the journal")
            continue
        approved[_key(t["batch"], t["voucher"])] = t
    unrecorded = {}  # ("hold"|"completion", id) -> kind of a follow-up not yet recorded
    if lag_ok:
        for k, t in approved.items():
            if (k not in journal and not t["reversed"] and t["kind"] in BEFORE
                    and pending(t["voucher"], t["batch"], t["kind"])):
                if t.get("hold_id") is not None:
                    unrecorded["hold", t["hold_id"]] = t["kind"]
                if t["kind"] == "completion_void" and t.get("completion_id") is not None:
                    unrecorded["completion", t["completion_id"]] = t["kind"]
    # every approved request is recorded, every record was approved
    for k, t in approved.items():
        r = journal.get(k)
        if t["reversed"]:
            if r is not None and r["state"] != "REVERSED":
                bad.append(f"{t['kind']} {k}: reversed at the host, {r['state']} in the journal")
            continue
        if r is None:
            if int(t["batch"]) in dropped:
                continue
            if not (lag_ok and pending(t["voucher"], t["batch"], t["kind"])):
                bad.append(f"approved {t['kind']} {k} lost: not in the journal"
                           + ("" if not lag_ok else " and no reversal pending"))
            continue
        if r["kind"] != KINDS[t["kind"]]:
            bad.append(f"{k}: the host has a {t['kind']}, the journal a {r['kind']}")
    for k, r in journal.items():
        if k not in approved:
            bad.append(f"journal record {k} ({r['kind']}) that the host never approved")
    # states, and the links between a follow-up and its original
    for k, r in journal.items():
        t = approved.get(k)
        if t is None:
            continue
        if r["kind"] == "PREAUTH":
            h = holds.get(t["hold_id"])
            if h is None:
                continue
            if (r["amount"], r["auth"]) != (h["amount"], h["auth_code"].strip()):
                bad.append(f"pre-auth {k}: journal {r['amount']}/{r['auth']}, host "
                           f"{h['amount']}/{h['auth_code'].strip()}")
            if BEFORE.get(unrecorded.get(("hold", h["id"])), {}).get(h["state"]) == r["state"]:
                continue  # its follow-up's reversal is pending, the record not written
            _state(bad, k, r, HOLD_STATES.get(h["state"], ()), h["state"], followed, lag_ok)
        elif r["kind"] == "COMPLETION":
            c = completions.get(t["completion_id"])
            if c is not None and BEFORE.get(unrecorded.get(("completion", c["id"])), {}).get(
                    c["state"]) != r["state"]:
                _state(bad, k, r, COMPLETION_STATES.get(c["state"], ()), c["state"],
                       followed, lag_ok)
        if r["kind"] != "PREAUTH" and r["orig"][1] != NONE:
            o = journal.get(_key(*r["orig"]))
            if o is None:
                continue  # its original is in a batch dropped since, or keyed by hand
            want = ("COMPLETION",) if r["kind"] == "COMPLETION_VOID" else ("PREAUTH",)
            if o["kind"] not in want:
                bad.append(f"{r['kind']} {k} follows a {o['kind']} {_key(*r['orig'])}")
            elif followed.get(_key(*r["orig"])) is r and _key(*o["next"]) != k and not (
                    lag_ok and o["state"] == LAG[r["kind"]][1]):
                bad.append(f"{_key(*r['orig'])} does not name {r['kind']} {k} as what "
                           f"followed it (next {o['next']})")
    return bad


def _state(bad: list[str], k: tuple[int, str], r: dict, want: tuple, host: str,
           followed: dict, lag_ok: bool) -> None:
    if r["state"] in want:
        return
    f = followed.get(k)
    if lag_ok and f is not None:
        if r["state"] == LAG[f["kind"]][1] and LAG[f["kind"]][0] in want:
            return  # the follow-up is recorded, its original's note not yet
        if r["state"] == "COMPLETED" and "COMPLETION_VOIDED" in want and followed.get(
                _key(f["batch"], f["voucher"]), {}).get("kind") == "COMPLETION_VOID":
            return  # the completion void is recorded, the pre-auth's note (its third
            # write) not yet
    bad.append(f"{r['kind']} {k}: host {host}, journal {r['state']}")
