#!/usr/bin/env python3
"""Talk to a baresip over its ctrl_tcp socket (netstring JSON).

    ctl.py PORT cmd COMMAND [PARAMS]
        send one command, print the response's data; exit 0 when baresip
        says ok
    ctl.py PORT wait-contact URI STATUS SECONDS
        ask "contacts" every 0.3 s until the contact URI shows STATUS
        (Online, Offline, Busy, Unknown: baresip's words, case ignored);
        prints the seconds it took; exit 1 with the last status seen

Events baresip pushes on the same socket are ignored. Standard library
only.
"""

import json
import re
import socket
import sys
import time


class Ctrl:
    def __init__(self, port):
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=5)
        self.buf = b''
        self.n = 0

    def command(self, command, params='', timeout=5.0):
        self.n += 1
        token = 't%d' % self.n
        body = json.dumps({'command': command, 'params': params,
                           'token': token}).encode()
        self.sock.sendall(b'%d:%s,' % (len(body), body))
        end = time.time() + timeout
        while True:
            msg = self.next_msg(end)
            if msg is None:
                raise SystemExit('no answer to %s' % command)
            if msg.get('response') and msg.get('token') == token:
                return msg

    def next_msg(self, end):
        while True:
            colon = self.buf.find(b':')
            if colon > 0:
                n = int(self.buf[:colon])
                if len(self.buf) >= colon + 1 + n + 1:
                    msg = json.loads(self.buf[colon + 1:colon + 1 + n])
                    self.buf = self.buf[colon + 1 + n + 1:]
                    return msg
            left = end - time.time()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not data:
                raise SystemExit('baresip closed the control connection')
            self.buf += data


ANSI = re.compile(r'\x1b\[[0-9;]*m')


def contact_status(data, uri):
    for line in ANSI.sub('', data).splitlines():
        if '<%s>' % uri in line:
            words = line.replace('>', ' ', 1).split()
            return words[0] if words else ''
    return None


def main(argv):
    if len(argv) >= 3 and argv[1] == 'cmd':
        msg = Ctrl(int(argv[0])).command(argv[2],
                                         argv[3] if len(argv) > 3 else '')
        sys.stdout.write(msg.get('data', ''))
        return 0 if msg.get('ok') else 1
    if len(argv) >= 5 and argv[1] == 'wait-contact':
        c = Ctrl(int(argv[0]))
        uri, want, secs = argv[2], argv[3].lower(), float(argv[4])
        start = time.time()
        seen = None
        while True:
            seen = contact_status(c.command('contacts').get('data', ''),
                                  uri)
            if seen is not None and seen.lower() == want:
                print('%.1f' % (time.time() - start))
                return 0
            if time.time() - start > secs:
                print('%s still %s after %.0f s' % (uri, seen or 'unlisted',
                                                    secs))
                return 1
            time.sleep(0.3)
    sys.stderr.write(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
