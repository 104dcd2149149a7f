# Batch oracle for cross-checking firmware/crypto against host libraries. One request a
# line on stdin, one hex answer a line on stdout ("ERR <exception>" on failure):
#   des_enc|des_dec|tdes_enc|tdes_dec <keyhex> <datahex>
#   mac <makhex> <mabhex>      (mabhex may be "-" for an empty MAB)
#   kcv <keyhex>
#   pinblock <pikhex> <pan> <pin>   (field 52, crypto/pinblock.py)
import sys
from binascii import hexlify, unhexlify

from crypto import keys, mac
from crypto.pinblock import PinBlock
from crypto.des import DES, TDES


def arg(s):
    return b"" if s == "-" else unhexlify(s)


def answer(words):
    op = words[0]
    if op == "kcv":
        return keys.kcv(arg(words[1]))
    if op == "pinblock":
        pb = PinBlock()
        pin = words[3].encode()
        pb.digits[: len(pin)] = pin
        return pb.make(arg(words[1]), words[2], len(pin))
    key, data = arg(words[1]), arg(words[2])
    if op == "mac":
        return mac.unionpay_mac(key, data)  # already ASCII hex
    c = DES(key) if op.startswith("des") else TDES(key)
    return c.encrypt(data) if op.endswith("enc") else c.decrypt(data)


def main():
    while True:
        line = sys.stdin.readline()
        if not line:
            break
        words = line.split()
        if not words:
            continue
        try:
            out = answer(words)
            print(out.decode() if words[0] == "mac" else hexlify(out).decode().upper())
        except Exception as e:  # noqa: report and go on
            print("ERR %s: %s" % (type(e).__name__, e))


main()
