"""make deploy against the board: what it copies, where it puts it, and that a second
deploy of the same firmware copies nothing."""


def test_first_deploy(board, deployed):
    assert deployed["board"] == ("virtual" if board.virtual else "esp32")
    assert deployed["arch"] == ("x64" if board.virtual else "xtensawin")
    assert deployed["copied"] + deployed["skipped"] == deployed["files"] > 30
    if board.virtual:  # a fresh image: everything went over
        assert deployed["copied"] == deployed["files"] and deployed["bytes"] > 50_000


def test_layout_on_board(board, deployed):
    out = board.exec(
        "import os, sys, board\n"
        "print('MAIN', os.stat('/main.py')[6])\n"
        "print('LIB', sorted(os.listdir('/lib')))\n"
        "print('UI', sorted(os.listdir('/lib/ui')))\n"
        "print('BOARD', board.NAME, board.DATA_DIR, board.CONFIG_PATH)\n"
        "print('PATH', sys.path)\n"
    )
    assert "MAIN " in out and "'codec'" in out and "'crypto'" in out, out
    assert "'board.mpy'" in out and "'boardtest.py'" in out, out
    assert "'assets.mpy'" in out and "'font.mpy'" in out, out
    assert "/data /config.json" in out and "'/lib'" in out, out
    if board.virtual:
        assert "BOARD virtual" in out, out


def test_second_deploy_copies_nothing(board, deployed):
    before = board.vboard.boots if board.virtual else 0
    again = board.deploy(reset=False)
    assert again["copied"] == 0 and again["removed"] == 0, again
    assert again["skipped"] == again["files"] == deployed["files"]
    if board.virtual:
        assert board.vboard.boots == before  # no reset asked for, none done


def test_changed_file_is_the_only_one_copied(board, deployed):
    # A file changed on the board by hand (or half written) is found by its hash.
    board.exec("f = open('/lib/ui/gb.mpy', 'ab'); f.write(b'x'); f.close()")
    again = board.deploy(reset=False)
    assert again["changed"] == ["/lib/ui/gb.mpy"], again
