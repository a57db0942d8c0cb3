"""Every vector file's independent checker, by file name."""
from . import identity, prim, transport

CHECKERS = {}
for module in (prim, identity, transport):
    CHECKERS.update(module.CHECKERS)
