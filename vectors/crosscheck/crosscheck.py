#!/usr/bin/env python3
"""Recompute every saltrelay test vector with implementations nobody here wrote.

Crypto comes from libsodium (through PyNaCl) and CPython's hashlib; the byte layouts, length
rules and error codes are re-implemented here from spec/ alone, without reading the Rust code.
Each vector file has one checker (checks/__init__.py lists them); a file without a checker
is a failure, so every vector we publish is recomputed.

Semantics follow spec/00-conventions.md (CONV-6):
  valid       the checker must accept and reproduce every output field
  invalid     the checker must reject, with the error code the vector names
  acceptable  the checker may reject; if it accepts, the outputs must match

Usage:  crosscheck.py [DIR] [--file NAME] [-v]
Last line: 'crosscheck: N passed, N failed'; exit status 1 on any failure.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from checks import CHECKERS  # noqa: E402
from checks.common import outcome  # noqa: E402


def check_case(checker, case):
    """Returns a list of (field, expected, actual) disagreements for one test case."""
    result = case.get("result")
    try:
        accepted, value = outcome(checker, case)
    except Exception as error:  # a malformed vector or a checker bug: report, do not crash
        return [("(checker)", "a result", f"{type(error).__name__}: {error}")]
    if result in ("valid", "acceptable") and accepted:
        return [
            (field, case.get(field), actual)
            for field, actual in value.items()
            if case.get(field) != actual
        ]
    if result == "valid":
        return [("result", "valid", f"rejected ({value})")]
    if result == "invalid" and accepted:
        return [("result", f"invalid ({case.get('error')})", "accepted")]
    if result == "invalid":
        return [] if case.get("error") == value else [("error", case.get("error"), value)]
    if result == "acceptable":
        return []
    return [("result", "valid|invalid|acceptable", result)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("dir", nargs="?", default=os.path.join(here, "..", "saltrelay"))
    parser.add_argument("--file", help="check only this file name")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()

    names = sorted(n for n in os.listdir(args.dir) if n.endswith(".json"))
    if args.file:
        names = [args.file]
    passed = failed = 0
    for name in names:
        with open(os.path.join(args.dir, name), encoding="utf-8") as handle:
            document = json.load(handle)
        checker = CHECKERS.get(name)
        if checker is None:
            print(f"FAIL {name}: no independent checker for this file")
            failed += 1
            continue
        file_passed = file_failed = 0
        for case in document["tests"]:
            problems = check_case(checker, case)
            if problems:
                file_failed += 1
                for field, expected, actual in problems:
                    print(f"     {name} tcId {case.get('tcId')} field {field}: "
                          f"expected {expected} actual {actual}")
            else:
                file_passed += 1
                if args.verbose:
                    print(f"     {name} tcId {case.get('tcId')} ok")
        status = "ok  " if file_failed == 0 else "FAIL"
        print(f"{status} {name:<32} {file_passed:>4} passed {file_failed:>4} failed")
        passed += file_passed
        failed += file_failed
    print(f"crosscheck: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
