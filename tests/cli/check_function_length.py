#!/usr/bin/env python3
"""The programs' sources stay thin: no function (or other top-level block,
lambdas counted in the function that holds them) in train/, eval/ or tools/
reaches 80 lines; their logic belongs in hornet/, where tests reach it.

    check_function_length.py SOURCE_DIR
"""
import os
import re
import sys

LIMIT = 80


def blocks(text):
    """(first line, line count, head) of each brace block outside a namespace."""
    text = re.sub(r'//[^\n]*', '', text)
    text = re.sub(r'/\*.*?\*/', lambda m: '\n' * m.group(0).count('\n'), text, flags=re.S)
    text = re.sub(r'R"(\w*)\((.*?)\)\1"', lambda m: '""' + '\n' * m.group(0).count('\n'), text, flags=re.S)
    text = re.sub(r'"(\\.|[^"\\\n])*"', '""', text)
    text = re.sub(r"'(\\.|[^'\\\n])+'", "''", text)
    stack, found, line, head = [], [], 1, ''
    for ch in text:
        if ch == '\n':
            line += 1
        if ch == '{':
            is_namespace = re.search(r'\bnamespace\b[\w:\s]*$', head) is not None
            outer = all(kind == 'namespace' for kind, _, _ in stack)
            stack.append(('namespace' if is_namespace else 'block', line, head.strip().splitlines()[-1:] if head.strip() else ['']))
            if not is_namespace and outer:
                stack[-1] = ('top', line, stack[-1][2])
            head = ''
        elif ch == '}':
            if stack:
                kind, start, start_head = stack.pop()
                if kind == 'top':
                    found.append((start, line - start + 1, start_head[0]))
            head = ''
        elif ch == ';':
            head = ''
        else:
            head += ch
    return found


def main():
    root = sys.argv[1]
    failures, longest = [], (0, '')
    for folder in ('train', 'eval', 'tools'):
        for dirpath, _, files in os.walk(os.path.join(root, folder)):
            for name in sorted(files):
                if not name.endswith(('.cpp', '.h')):
                    continue
                path = os.path.join(dirpath, name)
                for start, count, head in blocks(open(path).read()):
                    where = f'{os.path.relpath(path, root)}:{start} ({head[:60]})'
                    if count > longest[0]:
                        longest = (count, where)
                    if count >= LIMIT:
                        failures.append(f'{where}: {count} lines')
    if longest[0] == 0:
        sys.exit('check_function_length: no function found under train/, eval/, tools/')
    print(f'longest: {longest[1]}, {longest[0]} lines (limit {LIMIT - 1})')
    if failures:
        print('\n'.join(['too long:'] + failures))
        sys.exit(1)


if __name__ == '__main__':
    main()
