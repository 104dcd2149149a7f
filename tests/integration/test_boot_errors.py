"""A terminal with a bad configuration or unreadable flash says so and touches nothing."""

from host_tools.simctl import SimTerminal


def test_bad_configuration_is_shown_and_nothing_goes_online(tmp_path):
    term = SimTerminal(tmp_path / "t", config={"tid": "SHORT", "port": 1})
    term.start()
    try:
        s = term.wait_for("CONFIG ERROR")
        assert "tid" in s.text
        term.press("1", "ENTER")  # keys do not get it past the error
        assert "CONFIG ERROR" in term.screen().text
    finally:
        term.stop()


def test_unmountable_flash_is_never_formatted(tmp_path):
    sim = tmp_path / "t"
    sim.mkdir()
    image = sim / "flash.img"
    junk = bytes(range(256)) * (2 * 1024 * 1024 // 256)  # an image littlefs cannot mount
    image.write_bytes(junk)
    term = SimTerminal(sim, config={"port": 1})
    term.start()
    try:
        s = term.wait_for("FLASH ERROR")
        assert "left unformatted" in " ".join(s.lines)
        assert str(image) in term.log_text()
    finally:
        term.stop()
    assert image.read_bytes() == junk  # the records that may be in there are untouched
