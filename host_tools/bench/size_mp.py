# ruff: noqa: UP031  (MicroPython: %-formatting, as the firmware writes it)
# MicroPython side of the size bench (host_tools/bench/size.py): the heap in use once every
# firmware module is imported (run on the x64 .mpy build, as a device runs .mpy).
#
#   micropython size_mp.py FIRMWARE_SOURCE_DIR      prints one JSON line
#
# The module names are found here by walking the source tree (not passed in sys.argv:
# this unix port died with "FATAL: uncaught NLR" when ~40 names came through argv);
# main.py (importing it runs it) and manifest.py (the freeze list) are not modules.
import gc
import os
import sys

# sys.path[0] is host_tools/bench (its CPython codec.py would shadow the firmware's codec)
if sys.path and sys.path[0].endswith("bench"):
    sys.path.pop(0)


def modules(root, prefix=""):
    out = []
    for entry in sorted(os.ilistdir(root)):
        name, kind = entry[0], entry[1]
        if kind == 0x4000:
            out.extend(modules(root + "/" + name, prefix + name + "."))
        elif name.endswith(".py") and not (prefix == "" and name in ("main.py", "manifest.py")):
            stem = name[:-3]
            out.append(prefix[:-1] if stem == "__init__" else prefix + stem)
    return out


mods = modules(sys.argv[1])
gc.collect()
base = gc.mem_alloc()
for name in mods:
    __import__(name)
gc.collect()
used = gc.mem_alloc()
print('{"baseline": %d, "after_imports": %d, "modules": %d, "heap_total": %d}'
      % (base, used, len(mods), used + gc.mem_free()))
