"""The README against what it describes: every folder of tests/ in the layout table,
every key of the interactive view in the key table, every make target it names in the
Makefile, the countdown the operating guide promises equal to the configured waits, and
the things a new user looked for and did not find (docs/ had them, the README did not)."""

import re
import shlex
import subprocess
import sys

from host_tools import tui
from tests.mp import ROOT

README = (ROOT / "README.md").read_text()


def test_the_layout_table_lists_every_test_folder():
    row = next(x for x in README.splitlines() if x.startswith("| `tests/` |"))
    folders = sorted(p.name for p in (ROOT / "tests").iterdir()
                     if p.is_dir() and not p.name.startswith((".", "_")))
    missing = [f for f in folders if f"`{f}/`" not in row]
    assert not missing, f"README's layout table leaves out tests/{missing}"


def test_the_key_table_lists_every_key_of_the_view():
    legend = " ".join(tui.LEGEND)
    fkeys = sorted(set(re.findall(r"\bF\d+\b", legend)))
    lines = README.splitlines()
    start = lines.index("| keyboard | terminal key |")
    table = "\n".join(lines[start : lines.index("", start)])
    missing = [k for k in fkeys if not re.search(rf"\b{k}\b", table)]
    assert not missing, f"README's key table leaves out {missing}"


def test_every_make_target_named_exists():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z0-9-]*):", makefile, re.M))
    named = set(re.findall(r"`make ([a-z][a-z0-9-]*)", README))
    assert named <= targets, f"README names make targets that do not exist: {named - targets}"


def test_the_countdown_start_in_the_guide_is_the_configured_wait():
    config = (ROOT / "firmware" / "config.py").read_text()
    connect = int(re.search(r'"connect_timeout_s": (\d+)', config)[1])
    answer = int(re.search(r'"response_timeout_s": (\d+)', config)[1])
    guide = (ROOT / "docs" / "operating.md").read_text()
    said = re.search(r"seconds left, from (\d+)", guide)
    assert said and int(said[1]) == connect + answer


def test_what_a_new_user_looked_for_is_in_the_readme():
    for what, text in [
        ("the window size the view needs", "170×50"),
        ("receipts as pictures", "host_tools.render_png receipt"),
        ("fault injection", "fault add"),
        ("the reversals the host received", "admin --db .sim/host.db reversals"),
        ("a real board reaching the simulator", "--host 0.0.0.0"),
        ("board tests on a real board", ".venv/bin/pytest tests/board --port"),
        ("make run against another host", "HOST_PORT="),
        ("which receipt file the void is", "if you skipped it with Esc"),
    ]:
        assert text in README, f"README does not say {what} ({text!r})"


def test_the_f4_keys_in_the_readme_are_the_pickers():
    row = next(x for x in README.splitlines() if x.startswith("| F4, then a digit |"))
    m = re.search(r"`1` approves, `2`–`(\d)` are declined ([\d, ]+)", row)
    assert m, row
    assert tui.CARDS[0][1] == "00"
    assert int(m[1]) == len(tui.CARDS), "README's F4 keys are not the picker's"
    assert m[2].strip().split(", ") == [rc for _, rc, _ in tui.CARDS[1:]]
    assert f"(1-{len(tui.CARDS)}, Esc none)" in tui.card_menu()


def test_the_f2_and_f4_keys_say_the_cards_pins():
    from host_tools.hostsim.cards import card_pin

    lines = README.splitlines()
    f2 = next(x for x in lines if x.startswith("| F2 |"))
    pan, pin = tui.DEFAULT_CARD[0], card_pin(tui.DEFAULT_CARD[0])
    assert pin and pan in f2 and f"PIN {pin}" in f2
    f4 = next(x for x in lines if x.startswith("| F4, then a digit |"))
    assert tui.CARDS[0][0] == pan and f"PIN {pin}" in f4
    assert all(card_pin(p) is None for p, _, _ in tui.CARDS[1:]) and "have no PIN" in f4


def test_fault_add_help_lists_every_fault_kind_the_readme_names():
    from host_tools.hostsim.faults import KINDS

    out = subprocess.run([sys.executable, "-m", "host_tools.hostsim.admin", "fault", "add",
                          "--help"], capture_output=True, text=True, cwd=ROOT, timeout=30)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    for kind, meaning in KINDS.items():
        assert any(x.split() and x.split()[0] == kind and meaning in x for x in lines), \
            f"fault add --help does not list {kind} with what it does"
    said = re.search(r"Other kinds: (.*?)\(`fault add --help` lists every kind", README, re.S)
    assert said, "README does not send the reader to fault add --help for the kinds"
    assert set(re.findall(r"`(\w+)`", said[1])) <= set(KINDS)


def test_the_receipt_pictures_land_under_sim_not_in_the_repository():
    cmd = re.search(r"host_tools\.render_png receipt (\S+) -o\s+(\S+)", README)
    assert cmd, "README's render_png command names no -o"
    assert cmd[2].startswith((".sim/", "build/")), f"{cmd[2]} lands in the repository"
    assert cmd[2].rsplit("/", 1)[0] + "/" in README.split(cmd[2], 1)[1][:200], \
        "README does not say where the pictures land"


def test_voucher_numbers_go_on_across_batches_as_the_guide_says():
    guide = (ROOT / "docs" / "operating.md").read_text()
    assert "voucher numbers go on from where they were" in guide
    assert "voucher numbers go on from" in README
    assert "starts its own numbering" not in README


def test_the_readme_script_example_works_on_a_fresh_state_folder(tmp_path):
    """Its first key goes in once the boot's sign-in is over (the menu shows), not during
    it, when the terminal discards keys."""
    run_args = re.search(r"make run RUN_ARGS='(.*?)'", README)[1]
    out = subprocess.run(
        [sys.executable, "-m", "host_tools.run", "--sim", str(tmp_path / "sim"),
         "--display", "braille", *shlex.split(run_args)],
        capture_output=True, text=True, cwd=ROOT, timeout=180)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr
    assert "打印持卡人存根" in out.stdout and "预授权 PRE-AUTH" in out.stdout


def test_the_boot_sign_in_ignoring_keys_is_said_where_a_user_starts():
    flat = " ".join(README.split())
    walk = flat[flat.index("## A day at the counter"):flat.index("| keyboard | terminal key |")]
    assert "first seconds after boot are the sign-in" in walk
    assert "keys pressed during it are ignored" in walk
    guide = " ".join((ROOT / "docs" / "operating.md").read_text().split())
    assert "first seconds after boot are that sign-in, and keys pressed during it are " \
           "discarded" in guide


def test_every_walkthrough_answers_the_cardholder_copy_question():
    """After an approval the merchant copy prints and 打印持卡人存根? waits for a key: each
    flow of the walkthrough says so, or ends its keys with Esc, as a real terminal needs."""
    flat = " ".join(README.split())
    for flow, end in [("**Pre-auth**", "**Void**"), ("**Void**", "The void receipt"),
                      ("**Completion**", "**Completion void**")]:
        part = flat[flat.index(flow):flat.index(end, flat.index(flow))]
        assert "打印持卡人存根?" in part or "Enter, Esc" in part, f"{flow} stops before it"
