# The transaction kinds, one row each: everything that differs between a pre-auth, a void,
# a completion and a completion void, for the journal, the host messages, the pending
# reversal, the settlement, the query and the slips, which look it up here. A kind's own
# steps are its flow file (app/preauth.py ...), which names its row. Plain data: nothing
# here imports the rest of the firmware, so journal/ and host/ may read it.
from micropython import const

# The states of a journal record (its byte 3, docs/journal.md). A pre-auth: OPEN -> VOIDED,
# or OPEN -> COMPLETED -> COMPLETION_VOIDED (final). A completion: OPEN (standing, a debit
# of its batch) -> VOIDED (by a completion void). A void or completion void stays OPEN.
# REVERSED: recorded, then undone by a reversal. A row's MARKS name these.
OPEN = const(1)
VOIDED = const(2)
COMPLETED = const(3)
COMPLETION_VOIDED = const(4)
REVERSED = const(5)

# What a reversal (0400) never carries of the request it undoes, whatever the kind
# (wire-format.md §3): the PIN's capture code, track 2, the PIN block, its security
# control, the MAC. host/messages.py builds the 0400 without them; journal/reversal.py
# drops them before the request reaches flash (the PIN block is never stored, §8).
REVERSAL_DROPS = (26, 35, 52, 53, 64)

# The auth-code hashes on flash (journal/layout.auth_hash, files t/h and ah) keep a
# record's kind in HASH_BITS bits, so that a search for pre-auths by auth code skips the
# completions that carry the same code: 1 << HASH_BITS kinds, codes 1 to 4, are told apart
# there. A kind past them shares the bits of one (its row's HASH_AS); docs/journal.md says
# what that costs and what widening the field would take.
HASH_BITS = const(2)
_HASHED = const(1 << HASH_BITS)  # codes 1.._HASHED have bits of their own

# A row is a tuple constant (frozen, it stays in flash: no heap), read by these positions,
# e.g. rec.kind[kinds.SLIP]:
CODE = const(0)  # its byte in a journal record, 1..255 (1..4 unless HASH_AS)
NAME = const(1)  # the name the firmware calls it by, and a pending reversal's kind
REV = const(2)  # its byte in a pending reversal record (journal/reversal.py)
MSG = const(3)  # the request: (MTI, F3 processing code, 60.1 transaction type)
MENU = const(4)  # strings key: its menu entry and its screens' title
QUERY = const(5)  # strings key: its short name in the query (交易查询) and reprint lists
SLIP = const(6)  # strings key: the type line of its slip and of the settlement report
OPEN_KEY = const(7)  # strings key: its state in the query while its record is OPEN
SUPERVISOR = const(8)  # behind the supervisor password
ORIG = const(9)  # the CODE of its original's kind (the record it follows up), or 0
# what recording it does to its originals (journal/links.py, Journal.links): the state its
# original takes (that record naming it as what changed it), then the state the
# original's own original takes, and so on; () for none
MARKS = const(10)
DEBIT = const(11)  # counts as a debit of its batch (settlement, field 48) while OPEN
HASH_AS = const(12)  # 0, or the CODE of a kind whose bits in the auth-code hash it shares
# the cardholder types a PIN (wire-format.md §8) unless the configuration says otherwise
# for this kind (config.json "pin_entry", docs/configuration.md)
PIN = const(13)
_FIELDS = const(14)

ALL = []  # the rows in registry order: a row's place here is its slot in settlement totals


def register(k):
    """Add row k to the registry and return it. ValueError, and nothing registered, when
    it does not fit the flash formats (the code a byte; past the auth-code hash's 4 only
    with HASH_AS) or clashes with a row already there (its code, name or REV)."""
    if len(k) == _FIELDS:
        code, name, rev, marks = k[CODE], k[NAME], k[REV], k[MARKS]
        byte = type(code) is int and 0 < code < 256
        if byte and (k[HASH_AS] or code) > _HASHED:
            raise ValueError("kind %r: code %d is past the %d bits of the auth-code hash: "
                             "give it HASH_AS" % (name, code, HASH_BITS))
        if byte and type(name) is str and type(rev) is bytes and len(rev) == 1 and len(
                k[MSG]) == 3 and type(k[PIN]) is bool and (
                not k[HASH_AS] or find(k[HASH_AS])) and (
                not marks or (find(k[ORIG]) and OPEN <= min(marks) and max(marks) <= REVERSED)
                ) and not (find(code) or find(name) or find(rev)):
            ALL.append(k)
            return k
    raise ValueError("not a row, or one that clashes with a row: %r" % (k,))


def find(key):
    """The row whose CODE (an int: a journal record's byte), NAME (a str: a pending
    reversal's kind) or REV (bytes: its byte on flash) is key; None if no row's is."""
    i = CODE if type(key) is int else NAME if type(key) is str else REV
    for k in ALL:
        if k[i] == key:
            return k
    return None


# The pre-auth family. The codes, the REV bytes and the requests are on flash and on the
# wire: never renumbered. Registry order is the settlement report's.
_PREAUTH = const(1)
_COMPLETION = const(3)
# PIN: UnionPay practice, the pre-auth and the completion ask for it, the voids do not.
#                 CODE NAME REV MSG (MTI, F3, 60.1)   MENU QUERY SLIP OPEN_KEY
#                 SUPERVISOR ORIG MARKS DEBIT HASH_AS PIN
PREAUTH = register((_PREAUTH, "preauth", b"p", ("0100", "030000", "10"),
                    "m_preauth", "q_preauth", "r_preauth", "st_open",
                    False, 0, (), False, 0, True))
VOID = register((2, "void", b"v", ("0100", "200000", "11"),
                 "m_void", "q_void", "r_void", "st_done",
                 True, _PREAUTH, (VOIDED,), False, 0, False))
COMPLETION = register((_COMPLETION, "completion", b"c", ("0200", "000000", "20"),
                       "m_completion", "q_completion", "r_completion", "st_standing",
                       False, _PREAUTH, (COMPLETED,), True, 0, True))
COMPLETION_VOID = register((4, "completion_void", b"x", ("0200", "200000", "21"),
                            "m_cvoid", "q_cvoid", "r_cvoid", "st_done",
                            True, _COMPLETION, (VOIDED, COMPLETION_VOIDED), False, 0,
                            False))
