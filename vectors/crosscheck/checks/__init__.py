"""Every vector file's independent checker, by file name."""
from . import e2e, fs, groups, identity, prim, transport

CHECKERS = {}
for module in (prim, identity, transport, e2e, fs, groups):
    CHECKERS.update(module.CHECKERS)
