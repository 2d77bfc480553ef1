#!/usr/bin/env python3
"""Read what a baresip prints on its TCP console (cons module).

    cons.py PORT FILE
        connect to 127.0.0.1:PORT and append everything baresip writes
        (received messages appear as 'PEER: "TEXT"') to FILE, flushed as it
        comes, until baresip closes the connection or this is stopped.

Standard library only.
"""

import socket
import sys


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    sock = socket.create_connection(('127.0.0.1', int(argv[0])), timeout=5)
    sock.settimeout(None)
    with open(argv[1], 'ab') as out:
        while True:
            data = sock.recv(65536)
            if not data:
                return 0
            out.write(data)
            out.flush()


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
