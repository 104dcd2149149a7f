# Batch oracle for cross-checking journal/pan.py against CPython. One request a line on
# stdin, one answer a line on stdout ("ERR <exception>" on failure):
#   hmac <keyhex> <msghex>     -> HMAC-SHA256 hex (msghex "-" for empty)
#   hash <tmkhex> <pan>        -> pan_hash hex
#   seal <tmkhex> <pan>        -> sealed blob hex (the host opens it with the documented key)
#   unseal <tmkhex> <blobhex>  -> the PAN
import sys
from binascii import hexlify, unhexlify

from journal import pan


def arg(s):
    return b"" if s == "-" else unhexlify(s)


def answer(w):
    if w[0] == "hmac":
        return hexlify(pan.hmac_sha256(arg(w[1]), arg(w[2]))).decode()
    k = pan.Keys(unhexlify(w[1]))
    if w[0] == "hash":
        return hexlify(k.pan_hash(w[2])).decode()
    if w[0] == "seal":
        return hexlify(k.seal(w[2])).decode()
    if w[0] == "unseal":
        return k.unseal(unhexlify(w[2]))
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
