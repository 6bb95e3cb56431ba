#!/usr/bin/env python3
"""docs/training.md's config reference is what `hornet-train --config-reference`
prints from the key table, between its two marker lines; --write puts it there.

    check_config_reference.py HORNET_TRAIN DOCS_TRAINING_MD [--write]
"""
import subprocess
import sys

BEGIN = '<!-- config reference: begin (hornet-train --config-reference writes it) -->'
END = '<!-- config reference: end -->'


def main():
    train, doc = sys.argv[1], sys.argv[2]
    proc = subprocess.run([train, '--config-reference'], capture_output=True, text=True)
    if proc.returncode != 0 or '| key |' not in proc.stdout:
        sys.exit(f'check_config_reference: {train} --config-reference failed ({proc.returncode}): {proc.stderr}')
    text = open(doc).read()
    if text.count(BEGIN) != 1 or text.count(END) != 1:
        sys.exit(f'check_config_reference: {doc} needs one "{BEGIN}" line and one "{END}" line')
    head, rest = text.split(BEGIN)
    current, tail = rest.split(END)
    wanted = '\n' + proc.stdout
    if current == wanted:
        print(f'{doc}: the config reference matches the key table ({proc.stdout.count(chr(10))} lines)')
        return
    if '--write' in sys.argv[3:]:
        with open(doc, 'w') as f:
            f.write(head + BEGIN + wanted + END + tail)
        print(f'{doc}: config reference rewritten')
        return
    sys.exit(f'{doc}: the config reference differs from the key table; run '
             f'tests/cli/check_config_reference.py {train} {doc} --write')


if __name__ == '__main__':
    main()
