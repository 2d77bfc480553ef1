#!/usr/bin/env python3
"""Read a sipp message trace (-trace_msg -message_file FILE).

    sipmsg.py list FILE
        one line per message: TIME<TAB>DIR<TAB>START-LINE<TAB>CSEQ<TAB>TO-TAG
        (TIME in seconds since the epoch, DIR "sent" or "recv")
    sipmsg.py count FILE DIR REGEX [--distinct-to-tag]
        how many messages in direction DIR (sent, recv, any) have a start
        line and CSeq, joined as "START-LINE|CSEQ", matching REGEX; with
        --distinct-to-tag, how many distinct To tags those messages carry
    sipmsg.py body FILE DIR REGEX
        the body of the first such message, byte for byte, on stdout
        (exit 1 if none)
    sipmsg.py header FILE DIR REGEX NAME
        the first value of header NAME (long name, compact form accepted)
        in the first such message (exit 1 if no such message)
    sipmsg.py time FILE DIR REGEX
        when the first such message was sent or received (seconds since the
        epoch, local clock; exit 1 if none)

The trace holds every message as sipp sent or received it, with its length,
so bodies come back exactly.  Standard library only.
"""

import datetime
import re
import sys

ENTRY = re.compile(rb'^-+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\n'
                   rb'(UDP|TCP|TLS|SCTP) message (sent|received) '
                   rb'(?:\((\d+) bytes\)|\[(\d+)\] bytes ?):\n\n', re.M)


def messages(path):
    with open(path, 'rb') as f:
        data = f.read()
    out = []
    for m in ENTRY.finditer(data):
        n = int(m.group(4) or m.group(5))
        raw = data[m.end():m.end() + n]
        when = datetime.datetime.strptime(m.group(1).decode(),
                                          '%Y-%m-%d %H:%M:%S.%f')
        out.append(('sent' if m.group(3) == b'sent' else 'recv', raw,
                    when.timestamp()))
    return out


def split(raw):
    i = raw.find(b'\r\n\r\n')
    if i < 0:
        return raw, b''
    return raw[:i], raw[i + 4:]


COMPACT = {'via': 'v', 'to': 't', 'from': 'f', 'call-id': 'i',
           'contact': 'm', 'content-type': 'c', 'content-length': 'l',
           'subject': 's', 'supported': 'k', 'event': 'o'}


def header(head, names):
    """First value of the first header named in names (a comma-separated
    list is cut at the first comma outside <> and quotes)."""
    text = re.sub(rb'\r\n[ \t]+', b' ', head).decode('latin-1')
    for line in text.split('\r\n')[1:]:
        m = re.match(r'([^:\s]+)\s*:\s*(.*)$', line)
        if m and m.group(1).lower() in names:
            return first_value(m.group(2).strip())
    return ''


def first_value(v):
    depth, quoted = 0, False
    for i, c in enumerate(v):
        if c == '"':
            quoted = not quoted
        elif not quoted and c == '<':
            depth += 1
        elif not quoted and c == '>':
            depth -= 1
        elif not quoted and depth == 0 and c == ',':
            return v[:i].strip()
    return v


def describe(raw):
    head, _ = split(raw)
    start = head.split(b'\r\n', 1)[0].decode('latin-1')
    cseq = header(head, ('cseq',))
    to = header(head, ('to', 't'))
    m = re.search(r';\s*tag\s*=\s*([^;>\s,]+)', to.split('>')[-1])
    return start, cseq, m.group(1) if m else ''


def select(path, direction, regex):
    rx = re.compile(regex)
    for d, raw, when in messages(path):
        if direction not in ('any', d):
            continue
        start, cseq, tag = describe(raw)
        if rx.search(start + '|' + cseq):
            yield raw, tag, when


def main(argv):
    if len(argv) >= 2 and argv[0] == 'list':
        for d, raw, when in messages(argv[1]):
            print('\t'.join(('%.6f' % when, d) + describe(raw)))
        return 0
    if len(argv) >= 4 and argv[0] == 'count':
        found = list(select(argv[1], argv[2], argv[3]))
        if '--distinct-to-tag' in argv[4:]:
            print(len({tag for _, tag, _ in found}))
        else:
            print(len(found))
        return 0
    if len(argv) >= 4 and argv[0] == 'body':
        for raw, _, _ in select(argv[1], argv[2], argv[3]):
            sys.stdout.buffer.write(split(raw)[1])
            return 0
        return 1
    if len(argv) >= 5 and argv[0] == 'header':
        name = argv[4].lower()
        names = (name, COMPACT.get(name, name))
        for raw, _, _ in select(argv[1], argv[2], argv[3]):
            print(header(split(raw)[0], names))
            return 0
        return 1
    if len(argv) >= 4 and argv[0] == 'time':
        for _, _, when in select(argv[1], argv[2], argv[3]):
            print('%.6f' % when)
            return 0
        return 1
    sys.stderr.write(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
