#!/usr/bin/env python3
"""Drive two baresip instances over their ctrl_tcp sockets (netstring JSON).

    drive.py CALLER_CTRL_PORT CALLEE_CTRL_PORT TARGET_URI [--timeout S]

Makes the caller dial TARGET_URI (both accounts must be registered by
then: the run script checks that with impctl, since REGISTER_OK goes out
before this script can connect), waits until both ends report
CALL_ESTABLISHED (the callee
answers by itself: answermode=auto), keeps the call up for a moment, hangs
up at the caller and waits until both ends report CALL_CLOSED.  Every event
is printed, one JSON object a line, prefixed with the side ("caller"
or "callee").  Exit 0 on success, 1 with a reason on stderr otherwise.
Standard library only.
"""

import json
import select
import socket
import sys
import time


class Ctrl:
    """One ctrl_tcp connection: netstrings "LEN:JSON," both ways."""

    def __init__(self, name, port):
        self.name = name
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=5)
        self.sock.setblocking(False)
        self.buf = b''
        self.events = []
        self.responses = []

    def send(self, command, params='', token='1'):
        body = json.dumps({'command': command, 'params': params,
                           'token': token}).encode()
        self.sock.sendall(b'%d:%s,' % (len(body), body))

    def pump(self):
        """Read what is there; return False when the peer closed."""
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return True
        if not data:
            return False
        self.buf += data
        while True:
            colon = self.buf.find(b':')
            if colon < 0:
                break
            try:
                n = int(self.buf[:colon])
            except ValueError:
                raise SystemExit('%s: bad netstring %r' % (self.name,
                                                           self.buf[:40]))
            if len(self.buf) < colon + 1 + n + 1:
                break
            msg = json.loads(self.buf[colon + 1:colon + 1 + n])
            self.buf = self.buf[colon + 1 + n + 1:]
            print(self.name, json.dumps(msg, sort_keys=True), flush=True)
            if msg.get('event'):
                self.events.append(msg)
            elif msg.get('response'):
                self.responses.append(msg)
        return True


def wait_for(ctrls, want, deadline, what):
    """want(ctrl) -> bool for every ctrl; pump until all true."""
    while True:
        if all(want(c) for c in ctrls):
            return
        left = deadline - time.time()
        if left <= 0:
            raise SystemExit('timeout waiting for %s' % what)
        r, _, _ = select.select([c.sock for c in ctrls], [], [],
                                min(left, 0.2))
        for c in ctrls:
            if c.sock in r and not c.pump():
                raise SystemExit('%s: baresip closed the control '
                                 'connection' % c.name)


def has(etype, klass=None):
    def check(c):
        return any(e.get('type') == etype and
                   (klass is None or e.get('class') == klass)
                   for e in c.events)
    return check


def fail_on(ctrls, types):
    for c in ctrls:
        for e in c.events:
            if e.get('type') in types:
                raise SystemExit('%s: %s %s' % (c.name, e.get('type'),
                                                e.get('param', '')))


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    timeout = 20.0
    if '--timeout' in argv:
        timeout = float(argv[argv.index('--timeout') + 1])
    deadline = time.time() + timeout
    caller = Ctrl('caller', int(argv[0]))
    callee = Ctrl('callee', int(argv[1]))
    both = (caller, callee)
    try:
        caller.send('dial', argv[2], 'dial')
        wait_for(both, lambda c: has('CALL_ESTABLISHED')(c) or
                 has('CALL_CLOSED')(c), deadline, 'call established')
        fail_on(both, ('CALL_CLOSED',))
        time.sleep(0.5)
        caller.send('hangup', '', 'hangup')
        wait_for(both, has('CALL_CLOSED'), deadline, 'call closed')
    except SystemExit as e:
        sys.stderr.write('%s\n' % e)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
