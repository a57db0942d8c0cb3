"""Every vector file's independent checker, by file name."""
from . import e2e, fs, identity, prim, transport

CHECKERS = {}
for module in (prim, identity, transport, e2e, fs):
    CHECKERS.update(module.CHECKERS)
