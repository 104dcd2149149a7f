# Line-oriented oracle over the firmware codec, for host-side cross-checks and fuzzing:
# thousands of cases per micropython process. One answer line per input line.
#
# Input lines:
#   F <hex>    a LEN-less frame (TPDU + header + body): frame.decode, then unpack
#   <hex>      the same as F
#   L <hex>    a frame with its LEN prefix: frame.length must match the rest, then as F
#   B <hex>    a body (MTI + bitmap + fields): unpack
#   {json}     a pack request {"mti": "0100", "fields": {"2": "...", "64": "<hex>"},
#              "frame": {"nii": ..., "src": ..., "status": ..., "proc_req": ...,
#              "sw_version": ...}}; b fields (62, 64) are given as hex; "frame" is
#              optional and, when present, the answer is the whole frame with LEN
# Answers:
#   OK <mti> <json>        decoded fields, keys as strings, b fields as hex; for F and L
#                          the header is under "hdr": [dest, src, app, version, status,
#                          proc_req, sw_version]
#   OK <hex>               a packed body (or frame)
#   ERR <field> <offset> <message>   a CodecError (field/offset "-" when None)
#   CRASH <type> <message> anything else: the codec must never do this
#   BAD <type> <message>   the input line itself was not hex / JSON
import json
import sys
from binascii import hexlify, unhexlify

from codec import frame
from codec.fields import B, TABLE
from codec.iso8583 import CodecError, pack, unpack


def _fields_json(fields, extra=None):
    out = {}
    for f in fields:
        v = fields[f]
        out[str(f)] = hexlify(v).decode() if type(v) is bytes else v
    if extra is not None:
        out["hdr"] = extra
    return json.dumps(out)


def _decode_frame(buf):
    h, off = frame.decode(buf)
    mti, fields = unpack(buf, off)
    hdr = [h.tpdu_dest, h.tpdu_src, h.app_type, h.version, h.status, h.proc_req, h.sw_version]
    return "OK %s %s" % (mti, _fields_json(fields, hdr))


def _pack_request(line):
    req = json.loads(line)
    fields = {}
    for k, v in req["fields"].items():
        f = int(k)
        if 0 <= f < len(TABLE) and TABLE[f] is not None and TABLE[f][0] == B and type(v) is str:
            v = unhexlify(v)
        fields[f] = v
    return req["mti"], fields, req.get("frame")


def answer(line):
    # Input that the oracle cannot read is the caller's fault: BAD, not CRASH.
    kind = "F"
    try:
        if line.startswith("{"):
            kind = "P"
            mti, fields, fr = _pack_request(line)
        else:
            if len(line) > 1 and line[1] == " ":
                kind, line = line[0], line[2:]
            buf = unhexlify(line.strip())
    except Exception as e:  # noqa
        return "BAD %s %s" % (type(e).__name__, e)
    try:
        if kind == "P":
            body = pack(mti, fields)
            if fr is not None:
                body = frame.encode(body, **fr)
            return "OK " + hexlify(body).decode()
        if kind == "B":
            mti, fields = unpack(buf)
            return "OK %s %s" % (mti, _fields_json(fields))
        if kind == "L":
            n = frame.length(buf[:2])
            if n != len(buf) - 2:
                raise CodecError("%d bytes follow, LEN says %d" % (len(buf) - 2, n), "LEN", 0)
            return _decode_frame(memoryview(buf)[2:])
        return _decode_frame(buf)
    except CodecError as e:
        return "ERR %s %s %s" % (
            "-" if e.field is None else e.field,
            "-" if e.offset is None else e.offset,
            e.args[0],
        )
    except Exception as e:  # noqa: the oracle reports whatever escaped the codec
        return "CRASH %s %s" % (type(e).__name__, e)


def main():
    read = sys.stdin.readline
    write = sys.stdout.write
    while True:
        line = read()
        if not line:
            break
        line = line.rstrip("\r\n")
        if not line:
            continue
        write(answer(line))
        write("\n")


main()
