# Batch oracle for cross-checking journal/pan.py (and crypto/mac.py's HMAC) against
# CPython. One request a line on stdin, one answer a line on stdout ("ERR <exception>" on
# failure):
#   hmac <keyhex> <msghex>      -> HMAC-SHA256 hex (msghex "-" for empty)
#   hash <tmkhex> <pan>         -> pan_hash hex
#   encrypt <tmkhex> <pan>      -> encrypted blob hex (the host opens it with the documented key)
#   decrypt <tmkhex> <blobhex>  -> the PAN
import sys
from binascii import hexlify, unhexlify

from crypto.mac import hmac_sha256
from journal import pan


def arg(s):
    return b"" if s == "-" else unhexlify(s)


def answer(w):
    if w[0] == "hmac":
        return hexlify(hmac_sha256(arg(w[1]), arg(w[2]))).decode()
    k = pan.Keys(unhexlify(w[1]))
    if w[0] == "hash":
        return hexlify(k.pan_hash(w[2])).decode()
    if w[0] == "encrypt":
        return hexlify(k.encrypt(w[2])).decode()
    if w[0] == "decrypt":
        return k.decrypt(unhexlify(w[2]))
    raise ValueError("unknown op " + w[0])


def main():
    while True:
        line = sys.stdin.readline()
        if not line:
            break
        words = line.split()
        if not words:
            continue
        try:
            print(answer(words))
        except Exception as e:  # noqa: report and go on
            print("ERR %s: %s" % (type(e).__name__, e))


main()
