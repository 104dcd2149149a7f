# The transaction kinds, one row each: everything that differs between a pre-auth, a void,
# a completion and a completion void, for the journal, the host messages, the pending
# reversal, the settlement, the query and the slips, which look it up here. A kind's own
# steps are its flow file (app/preauth.py ...), which names its row. Plain data: nothing
# here imports the rest of the firmware, so journal/ and host/ may read it.

# The states of a journal record (its byte 3, docs/journal.md). A pre-auth: OPEN -> VOIDED,
# or OPEN -> COMPLETED -> COMPLETION_VOIDED (final). A completion: OPEN (standing, a debit
# of its batch) -> VOIDED (by a completion void). A void or completion void stays OPEN.
# REVERSED: recorded, then undone by a reversal. A row's marks name these.
OPEN, VOIDED, COMPLETED, COMPLETION_VOIDED, REVERSED = 1, 2, 3, 4, 5

# The auth-code hashes on flash (journal/txnlog.auth_hash, files t/h and ah) keep a
# record's kind in HASH_BITS bits, so that a search for pre-auths by auth code skips the
# completions that carry the same code: HASHED kinds, codes 1 to 4, are told apart there.
# A kind past them shares the slot of one (its row's hash_as); docs/journal.md says what
# that costs and what widening the field would take.
HASH_BITS = 2
HASHED = 1 << HASH_BITS

ALL = []  # the rows in registry order: a kind's index is its slot in settlement totals


class Kind:
    """One kind's row. Making it registers it (ValueError, and nothing registered, when it
    clashes with a row already there or does not fit the flash formats).
    code       its byte in a journal record, 1..255 (1..HASHED without hash_as)
    name       the name the firmware calls it by, and the pending reversal's kind
    rev        its byte in a pending reversal record (journal/reversal.py)
    msg        the request: (MTI, F3 processing code, 60.1 transaction type)
    menu       strings key: its menu entry and its screens' title
    query      strings key: its short name in the query (交易查询) and reprint lists
    slip       strings key: the transaction type line of its slip and of the settlement
               report
    open_key   strings key: its state in the query while its record is OPEN
    supervisor behind the supervisor password
    orig       the row of its original (the record it follows up), or None
    marks      what recording it does to its originals (journal/txnlog.Journal.links):
               the state its original takes (that record naming it as what changed it),
               then the state the original's own original takes, and so on
    debit      counts as a debit of its batch (settlement, field 48) while it stays OPEN
    hash_as    the row whose slot in the auth-code hash it shares (codes past HASHED)"""

    def __init__(self, code, name, rev, msg, menu, query, slip, open_key="st_done",
                 supervisor=False, orig=None, marks=(), debit=False, hash_as=None):
        self.code, self.name, self.rev, self.msg = code, name, rev, msg
        self.menu, self.query, self.slip, self.open_key = menu, query, slip, open_key
        self.supervisor, self.orig, self.marks, self.debit = supervisor, orig, marks, debit
        self.hash_slot = _check(self, hash_as)  # its kind bits in the auth-code hash
        self.index = len(ALL)
        ALL.append(self)

    def __repr__(self):
        return "<Kind %s %d>" % (self.name, self.code)


def _check(k, hash_as):
    # ValueError unless k may join ALL; returns its slot in the auth-code hash
    if type(k.code) is not int or not 1 <= k.code <= 255:
        raise ValueError("kind %r: code %r is not a byte 1..255" % (k.name, k.code))
    slot = (k.code if hash_as is None else hash_as.code) - 1
    if slot >= HASHED or (hash_as is not None and hash_as not in ALL):
        raise ValueError("kind %r: code %d does not fit the auth-code hash's %d bits (codes "
                         "1..%d): give it hash_as, a kind it may share them with"
                         % (k.name, k.code, HASH_BITS, HASHED))
    if type(k.rev) is not bytes or len(k.rev) != 1:
        raise ValueError("kind %r: rev %r is not one byte" % (k.name, k.rev))
    if len(k.msg) != 3:
        raise ValueError("kind %r: msg is (MTI, F3, 60.1), not %r" % (k.name, k.msg))
    if (k.orig is not None and k.orig not in ALL) or (k.marks and k.orig is None):
        raise ValueError("kind %r: its original is not a registered kind" % k.name)
    for s in k.marks:
        if not OPEN <= s <= REVERSED:
            raise ValueError("kind %r: %r is not a state" % (k.name, s))
    for o in ALL:
        if o.code == k.code or o.name == k.name or o.rev == k.rev:
            raise ValueError("kind %r clashes with %r (code, name or rev)" % (k.name, o))
    return slot


def of(code):
    """The row of a journal record's kind byte; None for a code no row has."""
    for k in ALL:
        if k.code == code:
            return k
    return None


def named(name):
    """The row called name (a pending reversal's kind); None for a name no row has."""
    for k in ALL:
        if k.name == name:
            return k
    return None


def of_rev(rev):
    """The row of a pending reversal's kind byte; None for a byte no row has."""
    for k in ALL:
        if k.rev == rev:
            return k
    return None


# The pre-auth family. The journal codes, the reversal bytes and the request codes are on
# flash and on the wire: never renumbered. Registry order is the settlement report's.
PREAUTH = Kind(1, "preauth", b"p", ("0100", "030000", "10"), "m_preauth", "q_preauth",
               "r_preauth", open_key="st_open")
VOID = Kind(2, "void", b"v", ("0100", "200000", "11"), "m_void", "q_void", "r_void",
            supervisor=True, orig=PREAUTH, marks=(VOIDED,))
COMPLETION = Kind(3, "completion", b"c", ("0200", "000000", "20"), "m_completion",
                  "q_completion", "r_completion", open_key="st_standing", orig=PREAUTH,
                  marks=(COMPLETED,), debit=True)
COMPLETION_VOID = Kind(4, "completion_void", b"x", ("0200", "200000", "21"), "m_cvoid",
                       "q_cvoid", "r_cvoid", supervisor=True, orig=COMPLETION,
                       marks=(VOIDED, COMPLETION_VOIDED))
