# Line-oriented oracle for the reliability fuzz campaign (host_tools/campaign/fuzz.py):
# thousands of cases in one micropython process, one answer line per input line.
#
#   micropython response_oracle.py response PORT   HostSession.exchange / sign_in against
#                                                  a fake host served from this process
#   micropython response_oracle.py config DIR      config.load on bytes written to a file
#   micropython response_oracle.py journal DIR     a journal built, damaged, then read
#
# response: input {"mti", "fields", "mak", "resp": hex, "after": "close"|"wait"|"hold",
#   "signin": bool, "stan"}. The fake host on 127.0.0.1:PORT reads one request frame, writes
#   resp (bytes as they go on the wire, LEN included, possibly several or broken frames),
#   then closes (close), closes after 30 ms (wait) or keeps the connection open (hold).
#   Answers: R <outcome> <rc|-> <mti|-> <fields json>   (exchange)
#            S <ok 0|1> <outcome> <mak hex|-> <batch|->  (sign-in)
#            CRASH <type> <message>                      (an exception escaped)
#            HANG <ms>                                   (no Result by the deadline + 3 s)
# config: input <hex of config.json> ("=" an empty file, "-" none); answers OK <json> | CE <message> | CRASH ... |
#   BADCFG <why> (accepted, but the result does not validate to itself)
# journal: input {"n", "n2", "ops": [[op, file, ...], ...]}; see run_journal. Answers
#   J <get> <voucher> <newest> <auth> <add>, one status character a slot, or CRASH ...
import asyncio
import json
import os
import sys
import time
from binascii import hexlify, unhexlify


def out(line):
    sys.stdout.write(line.replace("\r", "\\r").replace("\n", "\\n"))
    sys.stdout.write("\n")


def _json_fields(fields):
    d = {}
    for k in fields:
        v = fields[k]
        d[str(k)] = hexlify(v).decode() if isinstance(v, (bytes, bytearray, memoryview)) else v
    return json.dumps(d)


# --------------------------------------------------------------------- response

class FakeState:
    def __init__(self):
        self.batch_no = "000001"
        self.wrapped_keys = None
        self.need_signin = False
        self.signed_in_at = None
        self.stan = "000001"
        self.saves = 0

    def save(self):
        self.saves += 1

    def take_voucher(self):
        return self.stan


class Host:
    """One connection at a time: read a request frame, write the case's bytes."""

    def __init__(self):
        self.case = None
        self.got = asyncio.Event()
        self.writers = []

    async def serve(self, r, w):
        case = self.case
        try:
            head = await r.readexactly(2)
            n = (head[0] << 8) | head[1]
            await r.readexactly(n)
            if case["resp"]:
                w.write(case["resp"])
                await w.drain()
            after = case["after"]
            if after == "wait":
                await asyncio.sleep_ms(30)
            if after == "hold":
                self.writers.append(w)
                return
        except Exception:  # noqa: the client went away; not what is under test
            pass
        try:
            w.close()
            await w.wait_closed()
        except Exception:  # noqa
            pass

    def drop_held(self):
        for w in self.writers:
            try:
                w.close()
            except Exception:  # noqa
                pass
        self.writers = []


async def run_response(port):
    from host.session import HostSession

    cfg = {"host": "127.0.0.1", "port": port, "connect_timeout_s": 2, "response_timeout_s": 1,
           "nii": "0003", "tid": "TERM0001", "mid": "898310048990001", "operator": "001",
           "tmk": "0123456789ABCDEFFEDCBA9876543210",
           # plain TCP: the fake host here speaks frames, and the fuzz is about what they
           # carry (tests/integration/test_tls.py and the fault matrix cover TLS)
           "tls": False}
    host = Host()
    server = await asyncio.start_server(host.serve, "127.0.0.1", port)
    read = sys.stdin.readline
    while True:
        line = read()
        if not line:
            break
        line = line.strip()
        if not line:
            continue
        case = json.loads(line)
        case["resp"] = unhexlify(case["resp"])
        host.case = case
        st = FakeState()
        st.stan = case.get("stan", "000001")
        if "tmk" in case:
            cfg["tmk"] = case["tmk"]
        sess = HostSession(cfg, st)
        if case.get("mak"):
            sess.mak = unhexlify(case["mak"])
        fields = {}
        for k, v in case.get("fields", {}).items():
            fields[int(k)] = unhexlify(v) if int(k) == 52 else v  # the PIN block: bytes
        t0 = time.ticks_ms()
        try:
            if case.get("signin"):
                ok, res, _msg = await asyncio.wait_for_ms(sess.sign_in(), 6000)
                out("S %d %s %s %s" % (1 if ok else 0, res.outcome,
                                       hexlify(sess.mak).decode() if ok else "-",
                                       st.batch_no if ok else "-"))
            else:
                res = await asyncio.wait_for_ms(
                    sess.exchange(case["mti"], fields, mac=bool(case.get("mac", True))), 6000)
                if res.__class__.__name__ != "Result":
                    out("CRASH NotAResult %r" % (res,))
                else:
                    out("R %s %s %s %s" % (res.outcome, res.rc or "-", res.mti or "-",
                                           _json_fields(res.fields)))
        except asyncio.TimeoutError:
            out("HANG %d" % time.ticks_diff(time.ticks_ms(), t0))
        except Exception as e:  # noqa: the session must never do this
            out("CRASH %s %s" % (type(e).__name__, e))
        host.drop_held()
    server.close()


# ----------------------------------------------------------------------- config

def run_config(folder):
    import config

    path = folder + "/config.json"
    read = sys.stdin.readline
    while True:
        line = read()
        if not line:
            break
        line = line.strip()
        if not line:
            continue
        if line == "-":  # no file at all
            try:
                os.remove(path)
            except OSError:
                pass
        else:
            f = open(path, "wb")
            f.write(b"" if line == "=" else unhexlify(line))
            f.close()
        try:
            cfg = config.load(path)
        except config.ConfigError as e:
            out("CE %s" % (e,))
            continue
        except Exception as e:  # noqa: load must never do this
            out("CRASH %s %s" % (type(e).__name__, e))
            continue
        try:
            again = config.validate(cfg)
        except Exception as e:  # noqa
            out("BADCFG %s %s" % (type(e).__name__, e))
            continue
        if again != cfg:
            out("BADCFG validate(load()) differs")
            continue
        out("OK %s" % json.dumps(cfg))


# ---------------------------------------------------------------------- journal

def _rmtree(path):
    from journal.retention import _remove_tree  # the journal's own (drop_batch uses it)

    try:
        os.stat(path)
    except OSError:
        return
    _remove_tree(path)


def _record(Record, keys, i, batch):
    r = Record(voucher="%06d" % (i * 3 + 7), batch=batch, date="20250301", time="101500",
               amount=1000 + i * 17, auth_code="A%05d" % i, rrn="%012d" % (i + 5),
               host_date="0301", expiry="2812", entry_mode="021", card_org="CUP")
    r.set_card(keys, "62220212345678%05d" % i)
    return r


def _same(a, b):
    return (a.voucher == b.voucher and a.amount == b.amount and a.auth_code == b.auth_code
            and a.rrn == b.rrn and a.pan_hash == b.pan_hash and a.state == b.state
            and a.pan_masked == b.pan_masked and a.date == b.date)


def _damage(folder, op):
    kind, name = op[0], op[1]
    path = folder + "/" + name
    if kind == "delete":
        try:
            os.remove(path)
        except OSError:
            pass
        return
    try:
        data = bytearray(open(path, "rb").read())
    except OSError:
        data = bytearray()
    if kind == "flip":
        if op[2] < len(data):
            data[op[2]] ^= op[3] or 1
    elif kind == "rand":
        if op[2] < len(data):
            at = op[2]
            raw = unhexlify(op[3])
            data[at : at + len(raw)] = raw
    elif kind == "trunc":
        data = data[: op[2]]
    elif kind == "append":
        data += unhexlify(op[2])
    elif kind == "forge":  # garbage body with a valid CRC: a bug or an attacker, not decay
        from binascii import crc32
        import struct

        slot = op[2]
        at = op[4] if len(op) > 4 else (slot % 32) * 128  # 0: a one-record file
        if at + 128 <= len(data):
            body = bytearray(unhexlify(op[3])[:124])
            body[0:2] = b"J2"
            data[at : at + 124] = body
            struct.pack_into("<I", data, at + 124, crc32(body))
    f = open(path, "wb")
    f.write(data)
    f.close()


def run_journal(folder):
    from journal.pan import Keys
    from journal.txnlog import Journal, JournalError, Record

    keys = Keys(unhexlify("0123456789ABCDEFFEDCBA9876543210"))
    read = sys.stdin.readline
    k = 0
    while True:
        line = read()
        if not line:
            break
        line = line.strip()
        if not line:
            continue
        case = json.loads(line)
        k += 1
        d = "%s/j%d" % (folder, k)
        _rmtree(d)
        try:
            expect = {}
            j = Journal(d, keys, "000001", capacity=200)
            if case.get("n2"):  # an older batch beside the current one
                j.open_batch("000000")
                for i in range(case["n2"]):
                    j.add(_record(Record, keys, 500 + i, "000000"))
                j.open_batch("000001")
            for i in range(case["n"]):
                r = _record(Record, keys, i, "000001")
                j.add(r)
                expect[i] = r
            for i in case.get("voids", ()):  # a note each (the record's new version)
                from journal.txnlog import VOIDED

                expect[i] = j.set_state(i, VOIDED)
            for op in case["ops"]:
                _damage(d + "/000001", op)
            logs = []
            j2 = Journal(d, keys, "000001", capacity=200, log=logs.append)
            n = j2.count()
            got = []
            for slot in range(case["n"]):
                if slot >= n:
                    got.append("-")
                    continue
                try:
                    r = j2.get(slot)
                    got.append("." if _same(r, expect[slot]) else "M")
                except JournalError as e:
                    msg = str(e)
                    got.append("E" if ("slot %d" % slot) in msg and "000001" in msg else "e")
                except Exception as e:  # noqa
                    got.append("X")
                    logs.append("get %d: %r" % (slot, e))
            for slot in range(case["n"], n):  # more records than were written
                got.append("+")
            vou = []
            for slot in range(case["n"]):
                try:
                    r = j2.find_voucher(expect[slot].voucher, batch="000001")
                    vou.append("n" if r is None else ("." if _same(r, expect[slot]) else "M"))
                except JournalError as e:
                    vou.append("E" if ("slot %d" % slot) in str(e) else "e")
                except Exception as e:  # noqa
                    vou.append("X")
                    logs.append("find_voucher %d: %r" % (slot, e))
            try:
                newest = "%d" % len(list(j2.newest(1000)))
            except Exception as e:  # noqa
                newest = "X"
                logs.append("newest: %r" % (e,))
            auth = []
            for slot in range(0, case["n"], 7):
                try:
                    r = next(j2.find_auth(expect[slot].auth_code), None)
                    auth.append("n" if r is None else ("." if _same(r, expect[slot]) else "M"))
                except JournalError:
                    auth.append("E")
                except Exception as e:  # noqa
                    auth.append("X")
                    logs.append("find_auth %d: %r" % (slot, e))
            try:
                nr = _record(Record, keys, 900, "000001")
                slot = j2.add(nr)
                back = Journal(d, keys, "000001", capacity=200).get(slot)
                add = "." if _same(back, nr) else "M"
            except JournalError as e:
                add = "E"
                logs.append("add: %s" % (e,))
            except Exception as e:  # noqa
                add = "X"
                logs.append("add: %r" % (e,))
            out("J %s %s %s %s %s %s" % ("".join(got) or "0", "".join(vou) or "0", newest,
                                         "".join(auth) or "0", add,
                                         json.dumps(logs[:4])))
        except Exception as e:  # noqa: building or opening the journal failed
            out("CRASH %s %s" % (type(e).__name__, e))
        _rmtree(d)


def main():
    mode = sys.argv[1]
    if mode == "response":
        asyncio.run(run_response(int(sys.argv[2])))
    elif mode == "config":
        run_config(sys.argv[2])
    elif mode == "journal":
        run_journal(sys.argv[2])


main()
