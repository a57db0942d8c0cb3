"""Every vector file's independent checker, by file name."""
from . import e2e, identity, prim

CHECKERS = {}
for module in (prim, identity, e2e):
    CHECKERS.update(module.CHECKERS)
