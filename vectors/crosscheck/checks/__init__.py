"""Every vector file's independent checker, by file name."""
from . import identity, prim

CHECKERS = {}
for module in (prim, identity):
    CHECKERS.update(module.CHECKERS)
