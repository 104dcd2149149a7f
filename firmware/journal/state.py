# The terminal's counters and keys: batch number, next voucher number, the working keys
# as the host sent them (still encrypted under the TMK: no clear key is ever written), and
# whether the host asked for a new sign-in. One atomic record (record.py).
from journal import record

VOUCHER_MAX = 999999


class TerminalState:
    def __init__(self, path):
        self.path = path
        st = record.read(path, None) or {}
        self.batch_no = st.get("batch_no", "000000")  # never signed in: 000000 (wire §3)
        self.next_voucher = st.get("next_voucher", 1)
        self.wrapped_keys = st.get("wrapped_keys")  # hex of sign-in F62, or None
        self.need_signin = st.get("need_signin", True)
        self.signed_in_at = st.get("signed_in_at")  # MMDDhhmmss from the 0810
        self.language = st.get("language")  # chosen in 管理; None: the configured one

    def save(self):
        record.write(
            self.path,
            {
                "batch_no": self.batch_no,
                "next_voucher": self.next_voucher,
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
        self.save()
        return "%06d" % n
