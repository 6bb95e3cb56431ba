#!/usr/bin/env python3
"""Checks that CTest ran every Catch2 case it was asked to.

    check_cases_ran.py BUILD_DIR [the ctest arguments of the run]

Two things can make a Catch2 case silently absent from a CTest run:
  - discovery: a case name that CTest splits or mangles (a `;` in it) becomes
    entries that select nothing, so the case has no entry of its own;
  - execution: an entry that runs but selects no case, or is never started.
So this compares three sets: the cases hornet-tests lists, the CTest entries
that run hornet-tests, and the names the cases themselves logged when they
ended (tests/main.cpp writes tests/catch_cases_run.log). It exits non-zero,
naming the cases, unless every case has an entry and every selected entry ran.
"""
import json
import os
import subprocess
import sys


def ctest_entries(build_dir, args):
    """CTest entries that run hornet-tests, as selected by `args`."""
    out = subprocess.run(['ctest', '--show-only=json-v1', *args], cwd=build_dir, capture_output=True,
                         text=True, check=True).stdout
    names = []
    for test in json.loads(out)['tests']:
        command = test.get('command') or []
        if command and os.path.basename(command[0]) == 'hornet-tests':
            names.append(test['name'])
    return names


def main():
    build_dir, args = sys.argv[1], sys.argv[2:]
    # Options that only change how tests run, not which: drop them from the selection query.
    selection, skip = [], False
    for a in args:
        if skip:
            skip = False
            continue
        if a in ('-j', '--parallel', '--repeat', '--timeout'):
            skip = True
            continue
        if a.startswith('-j') or a in ('--output-on-failure', '-V', '-VV', '--verbose', '--extra-verbose'):
            continue
        selection.append(a)
    binary = os.path.join(build_dir, 'bin', 'hornet-tests')
    listed = [line.strip() for line in subprocess.run([binary, '--list-test-names-only'], capture_output=True,
                                                      text=True).stdout.splitlines() if line.strip()]
    entries = ctest_entries(build_dir, [])
    selected = ctest_entries(build_dir, selection)
    log = os.path.join(build_dir, 'tests', 'catch_cases_run.log')
    ran = set()
    if os.path.exists(log):
        with open(log) as f:
            ran = {line.rstrip('\n') for line in f}

    problems = []
    no_entry = sorted(set(listed) - set(entries))
    if no_entry:
        problems.append(f'{len(no_entry)} Catch2 case(s) have no CTest entry of their own:\n  ' + '\n  '.join(no_entry))
    no_case = sorted(set(entries) - set(listed))
    if no_case:
        problems.append(f'{len(no_case)} CTest entr(ies) match no Catch2 case:\n  ' + '\n  '.join(no_case))
    not_run = sorted(set(selected) - ran)
    if not_run:
        problems.append(f'{len(not_run)} selected CTest entr(ies) did not execute their case:\n  ' + '\n  '.join(not_run))
    print(f'Catch2 cases: {len(listed)} listed, {len(entries)} CTest entries, '
          f'{len(set(selected) & ran)} of {len(selected)} selected executed')
    if problems:
        print('\n'.join(problems), file=sys.stderr)
        raise SystemExit(1)


if __name__ == '__main__':
    main()
