# The terminal's counters and keys: batch number, next voucher number, the working keys
# as the host sent them (still encrypted under the TMK: no clear key is ever written), and
# whether the host asked for a new sign-in. Atomic records (record.py): the voucher counter
# has a record of its own, "<path>.voucher", because it changes on every transaction and,
# at about 20 bytes, stays inline in littlefs's metadata (rewritten without erasing a
# block); the rest (a few hundred bytes with the keys) changes at sign-in and in 管理.
from journal import record

VOUCHER_MAX = 999999


class TerminalState:
    def __init__(self, path):
        self.path = path
        self._vpath = path + ".voucher"
        st = record.read(path, None) or {}
        self.batch_no = st.get("batch_no", "000000")  # never signed in: 000000 (wire §3)
        v = record.read(self._vpath, None)
        # before the counter had its own record it was in the state record
        self.next_voucher = v["next"] if v else st.get("next_voucher", 1)
        if not (isinstance(self.next_voucher, int) and 1 <= self.next_voucher <= VOUCHER_MAX):
            raise record.RecordError("%s: voucher counter %r out of range"
                                     % (self._vpath, self.next_voucher))
        self._saved_voucher = self.next_voucher if v else None
        self.wrapped_keys = st.get("wrapped_keys")  # hex of sign-in F62, or None
        self.need_signin = st.get("need_signin", True)
        self.signed_in_at = st.get("signed_in_at")  # MMDDhhmmss from the 0810
        self.language = st.get("language")  # chosen in 管理; None: the configured one

    def _save_voucher(self):
        record.write(self._vpath, {"next": self.next_voucher})
        self._saved_voucher = self.next_voucher

    def save(self):
        if self.next_voucher != self._saved_voucher:
            self._save_voucher()
        record.write(
            self.path,
            {
                "batch_no": self.batch_no,
                "wrapped_keys": self.wrapped_keys,
                "need_signin": self.need_signin,
                "signed_in_at": self.signed_in_at,
                "language": self.language,
            },
        )

    def take_voucher(self):
        """The next voucher number (F11) as 6 digits; persisted before it is used."""
        n = self.next_voucher
        self.next_voucher = 1 if n >= VOUCHER_MAX else n + 1
        self._save_voucher()
        return "%06d" % n
