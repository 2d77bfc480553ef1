#!/usr/bin/env python3
"""Check impd's message history output (issue 4, LOG-03/LOG-04).

    check.py lines FILE SPEC
        FILE: `impctl history` output, one JSON object a line
    check.py api FILE SPEC USER
        FILE: the body of GET /api/v1/users/USER/history:
        {"user": USER, "messages": [...]}
    check.py ndjson FILE SPEC
        FILE: the same with format=jsonl (one object a line)
    check.py same FILE-A FILE-B
        the messages of two outputs (either form) are the same objects
    check.py deferred FILE USER FROM CTYPE SIZE
        FILE: the body of GET /api/v1/users/USER/deferred: exactly one
        waiting message, from FROM, of type CTYPE and SIZE octets

SPEC has one line per expected message, oldest first, fields separated by
tabs: direction, peer, from, to (comma-separated), content_type, a file
holding the body, outcome. Every message must have id (rising), time (RFC
3339 UTC, never decreasing), the fields of its SPEC line, and body equal
to the file's content (or body_base64 of it). Prints the problem and exits
1, or exits 0. Standard library only.
"""

import base64
import datetime
import json
import re
import sys

KEYS = ('id', 'time', 'direction', 'peer', 'from', 'to', 'content_type',
        'outcome')
TIME = re.compile(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z')


def die(why):
    print(why)
    sys.exit(1)


def load_lines(path):
    out = []
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except ValueError as e:
                die('line %d is not JSON (%s): %r' % (n, e, line[:80]))
    return out


def load_any(path):
    with open(path, encoding='utf-8') as f:
        text = f.read()
    try:
        doc = json.loads(text)
    except ValueError:
        return load_lines(path)
    if isinstance(doc, dict) and 'messages' in doc:
        return doc['messages']
    return [doc]


def when(t):
    base = datetime.datetime.strptime(t[:19], '%Y-%m-%dT%H:%M:%S')
    frac = float('0' + t[19:-1]) if len(t) > 20 else 0.0
    return base.timestamp() + frac


def check(msgs, spec_path):
    with open(spec_path, encoding='utf-8') as f:
        spec = [line.rstrip('\n').split('\t') for line in f if line.strip()]
    if len(msgs) != len(spec):
        die('%d messages, expected %d: %s' % (
            len(msgs), len(spec),
            ' | '.join('%s %s %s' % (m.get('direction'), m.get('outcome'),
                                     str(m.get('body'))[:30])
                       for m in msgs)))
    prev_id = prev_t = None
    for n, (m, s) in enumerate(zip(msgs, spec), 1):
        for k in KEYS:
            if k not in m:
                die('message %d has no "%s": %s' % (n, k, m))
        if not isinstance(m['id'], int):
            die('message %d: id %r is not a number' % (n, m['id']))
        if prev_id is not None and m['id'] <= prev_id:
            die('message %d: id %d after %d' % (n, m['id'], prev_id))
        prev_id = m['id']
        if not TIME.fullmatch(str(m['time'])):
            die('message %d: time %r is not RFC 3339 UTC' % (n, m['time']))
        t = when(m['time'])
        if prev_t is not None and t < prev_t:
            die('message %d: time %s before the one above' % (n, m['time']))
        prev_t = t
        direction, peer, frm, to, ctype, bodyfile, outcome = s
        want = {'direction': direction, 'peer': peer, 'from': frm,
                'to': to.split(','), 'content_type': ctype,
                'outcome': outcome}
        for k, v in want.items():
            if m[k] != v:
                die('message %d: %s is %r, expected %r (%s)' % (
                    n, k, m[k], v, json.dumps(m)[:200]))
        with open(bodyfile, 'rb') as f:
            body = f.read()
        if 'body' in m:
            got = m['body'].encode('utf-8')
        elif 'body_base64' in m:
            got = base64.b64decode(m['body_base64'])
        else:
            die('message %d has neither body nor body_base64' % n)
        if got != body:
            die('message %d: body %r, expected %r' % (n, got, body))


def main(argv):
    if len(argv) == 3 and argv[0] == 'lines':
        check(load_lines(argv[1]), argv[2])
        return 0
    if len(argv) == 3 and argv[0] == 'ndjson':
        check(load_lines(argv[1]), argv[2])
        return 0
    if len(argv) == 4 and argv[0] == 'api':
        with open(argv[1], encoding='utf-8') as f:
            try:
                doc = json.load(f)
            except ValueError as e:
                die('not JSON: %s' % e)
        if not isinstance(doc, dict) or doc.get('user') != argv[3]:
            die('"user" is %r, expected %r' % (
                doc.get('user') if isinstance(doc, dict) else doc, argv[3]))
        if not isinstance(doc.get('messages'), list):
            die('no "messages" list')
        check(doc['messages'], argv[2])
        return 0
    if len(argv) == 3 and argv[0] == 'same':
        a, b = load_any(argv[1]), load_any(argv[2])
        if a != b:
            die('they differ: %s ... versus %s ...' % (
                json.dumps(a)[:200], json.dumps(b)[:200]))
        return 0
    if len(argv) == 6 and argv[0] == 'deferred':
        with open(argv[1], encoding='utf-8') as f:
            try:
                doc = json.load(f)
            except ValueError as e:
                die('not JSON: %s' % e)
        if doc.get('user') != argv[2]:
            die('"user" is %r, expected %r' % (doc.get('user'), argv[2]))
        msgs = doc.get('messages')
        if not isinstance(msgs, list) or len(msgs) != 1:
            die('expected one waiting message: %s' % json.dumps(doc)[:200])
        m = msgs[0]
        for k in ('id', 'from', 'time', 'content_type', 'size'):
            if k not in m:
                die('the waiting message has no "%s": %s' % (k, m))
        if m['from'] != argv[3] or m['content_type'] != argv[4] or \
           m['size'] != int(argv[5]):
            die('waiting message %s, expected from %s, %s, %s octets' % (
                json.dumps(m), argv[3], argv[4], argv[5]))
        if not TIME.fullmatch(str(m['time'])):
            die('time %r is not RFC 3339 UTC' % m['time'])
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
