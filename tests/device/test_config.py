# Configuration: defaults, validation of every key, and clear errors for bad files.
import os

import config
import mptest

TMP = mptest.TMP + "/pos_test_config.json"


def _write(text):
    with open(TMP, "w") as f:
        f.write(text)


def test_defaults_when_no_file():
    try:
        os.remove(TMP)
    except OSError:
        pass
    cfg = config.load(TMP)
    assert cfg["tid"] == "TERM0001"
    assert cfg["mid"] == "898310048990001"
    assert cfg["nii"] == "0003"
    assert cfg["response_timeout_s"] == 60
    # TLS by default, the CA beside the configuration file, no pin
    assert cfg["tls"] is True and cfg["tls_pin"] == "" and cfg["tls_server_name"] == ""
    assert cfg["tls_ca"] == mptest.TMP + "/ca.der"


def test_tls_settings():
    pin = "AB" * 32
    _write('{"tls": false, "tls_ca": "/certs/acq.der", "tls_server_name": "pos.acq.test", '
           '"tls_pin": "%s"}' % pin)
    cfg = config.load(TMP)
    assert cfg["tls"] is False and cfg["tls_ca"] == "/certs/acq.der"  # absolute: as given
    assert cfg["tls_server_name"] == "pos.acq.test" and cfg["tls_pin"] == pin.lower()
    _write('{"tls_ca": "acq.der"}')
    assert config.load(TMP)["tls_ca"] == mptest.TMP + "/acq.der"


def test_override_and_normalise():
    _write('{"tid": "POS00002", "port": 6001, "tmk": "00112233445566778899aabbccddeeff"}')
    cfg = config.load(TMP)
    assert cfg["tid"] == "POS00002" and cfg["port"] == 6001
    assert cfg["tmk"] == "00112233445566778899AABBCCDDEEFF"
    assert cfg["language"] == "zh"


def _err(text):
    _write(text)
    return str(mptest.raises(config.ConfigError, config.load, TMP))


def test_bad_values_named():
    assert "tid" in _err('{"tid": "SHORT"}')
    assert "mid" in _err('{"mid": 898310048990001}')
    assert "port" in _err('{"port": 70000}')
    assert "port" in _err('{"port": true}')
    assert "nii" in _err('{"nii": "03"}')
    assert "tmk" in _err('{"tmk": "XYZ"}')
    assert "tmk" in _err('{"tmk": "0123456789ABCDEF0123456789ABCDEF"}')
    assert "language" in _err('{"language": "fr"}')
    assert "bogus" in _err('{"bogus": 1}')
    assert "tid" in _err('{"tid": "TERM\\u00e90001"}')
    assert "tls" in _err('{"tls": "yes"}')  # never a truthy string: plain TCP is explicit
    assert "tls" in _err('{"tls": 0}')
    assert "tls_pin" in _err('{"tls_pin": "abcd"}')
    assert "tls_pin" in _err('{"tls_pin": "%s"}' % ("zz" * 32))
    assert "tls_ca" in _err('{"tls_ca": ""}')
    assert "tls_server_name" in _err('{"tls_server_name": "a b\\u0001"}')


def test_pin_entry_switches_a_kind_on_or_off():
    try:
        os.remove(TMP)
    except OSError:
        pass
    assert config.load(TMP)["pin_entry"] == {}  # each kind as its row says (kinds.PIN)
    _write('{"pin_entry": {"void": true, "completion": false}}')
    assert config.load(TMP)["pin_entry"] == {"void": True, "completion": False}
    e = _err('{"pin_entry": {"viod": true}}')
    assert "pin_entry" in e and "viod" in e and "completion_void" in e, e  # what it may be
    e = _err('{"pin_entry": {"void": 1}}')
    assert "pin_entry" in e and "void" in e and "true or false" in e, e
    for bad in ('true', '["void"]', '"void"'):
        assert "pin_entry" in _err('{"pin_entry": %s}' % bad), bad
    assert config.PIN_KINDS == ("preauth", "void", "completion", "completion_void")


def test_malformed_files():
    assert "JSON" in _err('{"tid": ')
    assert "object" in _err("[1, 2]")
    assert "JSON" in _err("\xff\xfe garbage")


mptest.run(globals())
