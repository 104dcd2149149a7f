# The wire-format field table (wire-format.md §2) as data: one generic codec reads it.
# TABLE[f] is None for a field this terminal never sends or accepts, else a tuple
# (kind, length_type, max_len). For n/z max_len counts digits, for an/ans/b bytes.
from micropython import const

# kind
N = const(0)  # numeric digits, packed BCD, odd counts padded with a 0 nibble on the right
Z = const(1)  # track 2: digits and separator D ('=' accepted when packing), packed BCD
AN = const(2)  # ASCII, alphanumeric
ANS = const(3)  # ASCII, alphanumeric and special
B = const(4)  # raw bytes

# length_type: fixed, or a BCD length prefix of 1 byte (LLVAR) or 2 bytes (LLLVAR)
FIXED = const(0)
LLVAR = const(1)
LLLVAR = const(2)

KIND_NAMES = ("n", "z", "an", "ans", "b")

MIN_FIELD = const(2)
MAX_FIELD = const(64)

# fmt: off
TABLE = (
    None, None,             # 0, 1 (secondary bitmap: not supported)
    (N, LLVAR, 19),         # 2 primary account number
    (N, FIXED, 6),          # 3 processing code
    (N, FIXED, 12),         # 4 amount, fen
    None, None, None, None, None, None,  # 5-10
    (N, FIXED, 6),          # 11 STAN = voucher no. 凭证号
    (N, FIXED, 6),          # 12 local time hhmmss
    (N, FIXED, 4),          # 13 local date MMDD
    (N, FIXED, 4),          # 14 card expiry YYMM
    (N, FIXED, 4),          # 15 settlement date MMDD
    None, None, None, None, None, None,  # 16-21
    (N, FIXED, 3),          # 22 POS entry mode
    None, None,             # 23, 24
    (N, FIXED, 2),          # 25 POS condition code
    (N, FIXED, 2),          # 26 PIN capture code: the longest PIN taken (12)
    None, None, None, None, None,  # 27-31
    (N, LLVAR, 11),         # 32 acquiring institution id
    None, None,             # 33, 34
    (Z, LLVAR, 37),         # 35 track 2
    None,                   # 36
    (AN, FIXED, 12),        # 37 retrieval reference number
    (AN, FIXED, 6),         # 38 authorization code, space padded right
    (AN, FIXED, 2),         # 39 response code
    None,                   # 40
    (ANS, FIXED, 8),        # 41 terminal id
    (ANS, FIXED, 15),       # 42 merchant id
    None,                   # 43
    (AN, LLVAR, 25),        # 44 additional response data
    None, None, None,       # 45-47
    (N, LLLVAR, 322),       # 48 settlement totals
    (AN, FIXED, 3),         # 49 currency code
    None, None,             # 50, 51
    (B, FIXED, 8),          # 52 PIN block (crypto/pinblock.py)
    (N, FIXED, 16),         # 53 security control
    None, None, None, None, None, None,  # 54-59
    (N, LLLVAR, 17),        # 60 txn type, batch no., network mgmt code, ...
    (N, LLLVAR, 29),        # 61 original batch, voucher, date
    (B, LLLVAR, 512),       # 62 working keys
    (ANS, LLLVAR, 163),     # 63 operator no. / card organisation
    (B, FIXED, 8),          # 64 MAC
)
# fmt: on

# Fixed an field padded with spaces on the right when given shorter (F38 auth code).
SPACE_PADDED = const(38)
