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

Presence additions (every N below is 1-based among the matching messages;
-1 is the last one; exit 1 when there is no N-th message). These skip
retransmitted requests (same start line, Call-ID and CSeq as one before in
the same direction):

    sipmsg.py nbody FILE DIR REGEX N
        the body of the N-th such message, byte for byte
    sipmsg.py nheader FILE DIR REGEX N NAME
        the first value of header NAME in the N-th such message
    sipmsg.py nfields FILE DIR REGEX N NAME...
        the start line of the N-th such message, then the first value of
        each header NAME in it, one a line (empty when missing)
    sipmsg.py ntime FILE DIR REGEX N
        when the N-th such message was sent or received
    sipmsg.py headers FILE DIR REGEX NAME
        the whole value of header NAME (first occurrence) of every such
        message, one line each ("-" when the header is missing)
    sipmsg.py doc FILE DIR REGEX N
        a summary of the XML body of the N-th such message, one fact a
        line (exit 1 when it is missing or not well-formed XML):
          PIDF (RFC 3863, 4479, 4480):
            entity URI
            tuple ID BASIC CONTACT        (BASIC or CONTACT "-" if none)
            person ID ACTIVITY,...        ("-" when no activities)
            note TEXT                     (every note, any level)
          watcherinfo (RFC 3858):
            watcherinfo VERSION STATE
            watcher-list RESOURCE PACKAGE
            watcher URI STATUS EVENT ID
          reginfo (RFC 3680):
            reginfo VERSION STATE
            registration AOR STATE
            contact URI STATE EVENT
    sipmsg.py docs FILE DIR REGEX
        the summaries of every such message, each after a line "--- N"
        (a message without a readable XML body: "--- N" and "error WHY")
    sipmsg.py dialog FILE
        check a watcher's trace: every NOTIFY received belongs to the dialog
        of the first SUBSCRIBE sent (same Call-ID, To tag = that From tag,
        From tag = the To tag of the first 2xx to a SUBSCRIBE), has an
        Event header, and the NOTIFY CSeq numbers grow (a retransmission,
        the same message again, is skipped). Prints the problem and exits 1,
        or prints "ok N" (N NOTIFYs).

IM additions (N as above; the CPIM body must use CRLF line ends, RFC 3862):

    sipmsg.py ucount FILE DIR REGEX
        how many such messages, a retransmitted request counted once
    sipmsg.py cpim FILE DIR REGEX N
        the CPIM (RFC 3862) body of the N-th such message: every message
        header as "H NAME: VALUE", then every content header as
        "C NAME: VALUE", in order (exit 1 with the reason when the body
        is not CPIM)
    sipmsg.py cpimbody FILE DIR REGEX N
        the content inside that CPIM body, byte for byte
    sipmsg.py imdn FILE DIR REGEX N
        a summary of the RFC 5438 document inside that CPIM body:
          message-id ID
          datetime VALUE
          recipient-uri URI / original-recipient-uri URI (when present)
          NOTIFICATION STATUS      (e.g. "processing-notification stored",
                                    "delivery-notification failed")
    sipmsg.py deferred FILE N SENT-FILE FROM-URI TO-URI
        check that the N-th MESSAGE received in FILE is the deferred form
        (issue 4) of the MESSAGE with credentials ("2 MESSAGE") sent in
        SENT-FILE: Content-Type message/cpim; SIP From <FROM-URI> with a
        tag, To <TO-URI>; CPIM From and To with those URIs, an RFC 3339
        DateTime; the inner Content-Type and content equal to what was
        sent. Prints "ok DATETIME", or the problem and exits 1.

XCAP and RLS additions (issue 5; N as above):

    sipmsg.py rlmi FILE DIR REGEX N
        the N-th such message (a list NOTIFY, RFC 4662) read as
        multipart/related (RFC 2387) with an RLMI root part; one fact a
        line:
          list URI version=V fullState=true|false
          listname TEXT                 (each <name> of the list)
          resource URI STATE [REASON] [pidf BASIC,...]
                                        (one line per instance; "pidf"
                                        when the instance's cid names a
                                        part: the basic values of its
                                        tuples, "-" when it has none;
                                        "part CTYPE" for a part that is
                                        not PIDF)
          resource URI none             (a resource without instance)
          rname URI TEXT                (each <name> of a resource)
          entity URI ENTITY             (the entity of each PIDF part)
          parts N                       (body parts besides the root)
          unreferenced CID              (a part no instance names)
        Exit 1 with the problem on stderr when the message is not such a
        NOTIFY: Content-Type not multipart/related, its type parameter
        not application/rlmi+xml, no boundary, a broken multipart body, no
        root part (start), a root that is not RLMI, an instance state
        other than active, pending or terminated, a cid with no part, a
        PIDF part that is not well formed.
    sipmsg.py rlmiview FILE DIR REGEX N
        the list as a subscriber knows it after the N-th such message:
        the last full state at or before it with the partial ones after
        it applied (a resource in a partial NOTIFY replaces its earlier
        lines); the same lines as rlmi (list, resource, rname, entity),
        the list line of the N-th message.
    sipmsg.py rlmiversions FILE DIR REGEX
        "VERSION FULLSTATE" of every such message, one a line ("empty"
        for one without a body, "error WHY" for one that is not RLMI)
    sipmsg.py ntimes FILE DIR REGEX
        the time of every such message, one a line
    sipmsg.py xcaperr FILE
        an RFC 4825 section 11 error body (application/xcap-error+xml)
        in FILE: "error CONDITION", then "phrase TEXT" when it has one,
        "ancestor URI" (no-parent), "exists FIELD" and "alt-value URI"
        (uniqueness-failure); exit 1 when it is not such a document
    sipmsg.py outline FILE
        every element of the XML document in FILE as a path, one a line:
        steps "alias:name[@attr=value]..." joined by "/" (aliases: rl
        resource-lists, rs rls-services, cp common-policy, pr pres-rules,
        ip impd list metadata, xc xcap-caps, xd xcap-diff, other
        namespaces as {URI}; attributes sorted by name),
        then " = TEXT" when the element has text of its own
    sipmsg.py nsbind FILE
        a namespace-bindings answer (application/xcap-ns+xml, RFC 4825
        8.1.3) in FILE: "element QNAME", then "xmlns PREFIX URI" for each
        binding, sorted ("-" for the default namespace)

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


# --- presence additions -------------------------------------------------

NS_PIDF = 'urn:ietf:params:xml:ns:pidf'
NS_DM = 'urn:ietf:params:xml:ns:pidf:data-model'
NS_RPID = 'urn:ietf:params:xml:ns:pidf:rpid'
NS_WINFO = 'urn:ietf:params:xml:ns:watcherinfo'
NS_REGINFO = 'urn:ietf:params:xml:ns:reginfo'


def select_unique(path, direction, regex):
    """select(), without retransmitted requests: a request whose Call-ID,
    CSeq and start line came before in the same direction is skipped (a
    NOTIFY impd sent again because the 200 was late counts once)."""
    seen = set()
    for raw, tag, when in select(path, direction, regex):
        head = split(raw)[0]
        start = head.split(b'\r\n', 1)[0]
        if not start.startswith(b'SIP/'):
            key = (start, header(head, ('call-id', 'i')),
                   header(head, ('cseq',)))
            if key in seen:
                continue
            seen.add(key)
        yield raw, tag, when


def nth(path, direction, regex, n):
    found = list(select_unique(path, direction, regex))
    n = int(n)
    if n > 0 and n <= len(found):
        return found[n - 1]
    if n < 0 and -n <= len(found):
        return found[n]
    return None


def full_header(head, names):
    """The whole value of the first header named in names, or None."""
    text = re.sub(rb'\r\n[ \t]+', b' ', head).decode('latin-1')
    for line in text.split('\r\n')[1:]:
        m = re.match(r'([^:\s]+)\s*:\s*(.*)$', line)
        if m and m.group(1).lower() in names:
            return m.group(2).strip()
    return None


def header_names(name):
    name = name.lower()
    return (name, COMPACT.get(name, name))


def text_of(el):
    return ' '.join(''.join(el.itertext()).split())


def summarize(body):
    import xml.etree.ElementTree as ET
    root = ET.fromstring(body)
    out = []
    tag = root.tag
    if tag == '{%s}presence' % NS_PIDF:
        out.append('entity %s' % root.get('entity', '-'))
        for el in root.iter():
            if el.tag == '{%s}tuple' % NS_PIDF:
                basic = el.find('{%s}status/{%s}basic' % (NS_PIDF, NS_PIDF))
                contact = el.find('{%s}contact' % NS_PIDF)
                out.append('tuple %s %s %s' % (
                    el.get('id', '-'),
                    text_of(basic) if basic is not None else '-',
                    text_of(contact) if contact is not None else '-'))
            elif el.tag == '{%s}person' % NS_DM:
                acts = []
                for a in el.findall('{%s}activities' % NS_RPID):
                    for c in a:
                        name = c.tag.split('}')[-1]
                        if name != 'note':
                            acts.append(name)
                out.append('person %s %s' % (el.get('id', '-'),
                                             ','.join(acts) or '-'))
            elif el.tag.split('}')[-1] == 'note':
                out.append('note %s' % text_of(el))
    elif tag == '{%s}watcherinfo' % NS_WINFO:
        out.append('watcherinfo %s %s' % (root.get('version', '-'),
                                          root.get('state', '-')))
        for wl in root.findall('{%s}watcher-list' % NS_WINFO):
            out.append('watcher-list %s %s' % (wl.get('resource', '-'),
                                               wl.get('package', '-')))
            for w in wl.findall('{%s}watcher' % NS_WINFO):
                out.append('watcher %s %s %s %s' % (
                    text_of(w), w.get('status', '-'), w.get('event', '-'),
                    w.get('id', '-')))
    elif tag == '{%s}reginfo' % NS_REGINFO:
        out.append('reginfo %s %s' % (root.get('version', '-'),
                                      root.get('state', '-')))
        for r in root.findall('{%s}registration' % NS_REGINFO):
            out.append('registration %s %s' % (r.get('aor', '-'),
                                               r.get('state', '-')))
            for c in r.findall('{%s}contact' % NS_REGINFO):
                uri = c.find('{%s}uri' % NS_REGINFO)
                out.append('contact %s %s %s' % (
                    text_of(uri) if uri is not None else '-',
                    c.get('state', '-'), c.get('event', '-')))
    else:
        out.append('root %s' % tag)
    return out


def tag_of(value):
    m = re.search(r';\s*tag\s*=\s*([^;>\s,]+)', value.split('>')[-1])
    return m.group(1) if m else ''


def check_dialog(path):
    """Problems of the NOTIFY dialog in a watcher's trace, or None."""
    sub = resp = None
    notifies = []
    for d, raw, _ in messages(path):
        head = split(raw)[0]
        start = head.split(b'\r\n', 1)[0].decode('latin-1')
        cseq = header(head, ('cseq',))
        if d == 'sent' and sub is None and start.startswith('SUBSCRIBE '):
            sub = head
        elif (d == 'recv' and resp is None and start.startswith('SIP/2.0 2')
              and cseq.upper().endswith('SUBSCRIBE')):
            resp = head
        elif d == 'recv' and start.startswith('NOTIFY '):
            notifies.append(raw)
    if sub is None:
        return 'no SUBSCRIBE was sent'
    if resp is None:
        return 'no 2xx answered the SUBSCRIBE'
    cid = header(sub, ('call-id', 'i'))
    ftag = tag_of(header(sub, ('from', 'f')))
    ttag = tag_of(header(resp, ('to', 't')))
    if not ttag:
        return 'the 2xx to SUBSCRIBE has no To tag'
    prev, prev_raw, n = -1, None, 0
    for raw in notifies:
        if raw == prev_raw:
            continue
        prev_raw = raw
        n += 1
        head = split(raw)[0]
        v = header(head, ('call-id', 'i'))
        if v != cid:
            return 'NOTIFY %d has Call-ID %s, not %s' % (n, v, cid)
        v = tag_of(header(head, ('to', 't')))
        if v != ftag:
            return 'NOTIFY %d has To tag %r, not %r' % (n, v, ftag)
        v = tag_of(header(head, ('from', 'f')))
        if v != ttag:
            return 'NOTIFY %d has From tag %r, the 2xx had %r' % (n, v, ttag)
        if not header(head, ('event', 'o')):
            return 'NOTIFY %d has no Event header' % n
        try:
            cs = int(header(head, ('cseq',)).split()[0])
        except (ValueError, IndexError):
            return 'NOTIFY %d has a bad CSeq' % n
        if cs <= prev:
            return 'NOTIFY %d has CSeq %d after %d' % (n, cs, prev)
        prev = cs
    print('ok %d' % n)
    return None


def presence_main(argv):
    """The presence subcommands; None when argv is none of them."""
    cmd = argv[0] if argv else ''
    if cmd == 'nbody' and len(argv) >= 5:
        m = nth(argv[1], argv[2], argv[3], argv[4])
        if m is None:
            return 1
        sys.stdout.buffer.write(split(m[0])[1])
        return 0
    if cmd == 'nheader' and len(argv) >= 6:
        m = nth(argv[1], argv[2], argv[3], argv[4])
        if m is None:
            return 1
        print(header(split(m[0])[0], header_names(argv[5])))
        return 0
    if cmd == 'nfields' and len(argv) >= 5:
        m = nth(argv[1], argv[2], argv[3], argv[4])
        if m is None:
            return 1
        head = split(m[0])[0]
        print(head.split(b'\r\n', 1)[0].decode('latin-1'))
        for name in argv[5:]:
            print(header(head, header_names(name)))
        return 0
    if cmd == 'ntime' and len(argv) >= 5:
        m = nth(argv[1], argv[2], argv[3], argv[4])
        if m is None:
            return 1
        print('%.6f' % m[2])
        return 0
    if cmd == 'headers' and len(argv) >= 5:
        names = header_names(argv[4])
        for raw, _, _ in select_unique(argv[1], argv[2], argv[3]):
            v = full_header(split(raw)[0], names)
            print('-' if v is None else v)
        return 0
    if cmd == 'dialog' and len(argv) >= 2:
        problem = check_dialog(argv[1])
        if problem:
            print(problem)
            return 1
        return 0
    if cmd == 'docs' and len(argv) >= 4:
        for n, (raw, _, _) in enumerate(select_unique(argv[1], argv[2],
                                                      argv[3])):
            print('--- %d' % (n + 1))
            body = split(raw)[1]
            if not body.strip():
                print('error no body')
                continue
            try:
                lines = summarize(body)
            except Exception as e:  # ParseError, bad attributes
                print('error not well-formed XML: %s' % e)
                continue
            for line in lines:
                print(line)
        return 0
    if cmd == 'doc' and len(argv) >= 5:
        m = nth(argv[1], argv[2], argv[3], argv[4])
        if m is None:
            sys.stderr.write('no such message\n')
            return 1
        body = split(m[0])[1]
        if not body.strip():
            sys.stderr.write('no body\n')
            return 1
        try:
            lines = summarize(body)
        except Exception as e:  # ParseError, bad attributes
            sys.stderr.write('not well-formed XML: %s\n' % e)
            return 1
        for line in lines:
            print(line)
        return 0
    return None


def main(argv):
    st = presence_main(argv)
    if st is not None:
        return st
    st = im_main(argv)
    if st is not None:
        return st
    st = xcap_rls_main(argv)
    if st is not None:
        return st
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


# --- IM additions -------------------------------------------------------

NS_IMDN = 'urn:ietf:params:xml:ns:imdn'
CPIM_HDR = re.compile(rb'^([!-9;-~]+):[ \t]?(.*)$')


def cpim_headers(block, what):
    out = []
    for line in block.split(b'\r\n'):
        if b'\n' in line or b'\r' in line:
            raise ValueError('%s: a line ends in a bare LF or CR' % what)
        m = CPIM_HDR.match(line)
        if not m:
            raise ValueError('%s: not a header line: %r' % (what, line[:60]))
        out.append((m.group(1).decode('latin-1'),
                    m.group(2).decode('utf-8', 'replace').strip()))
    return out


def cpim_parse(body):
    """(message headers, content headers, content) of a CPIM body."""
    i = body.find(b'\r\n\r\n')
    if i <= 0:
        raise ValueError('no message headers ended by an empty line')
    mh = cpim_headers(body[:i], 'message headers')
    rest = body[i + 4:]
    j = rest.find(b'\r\n\r\n')
    if j <= 0:
        raise ValueError('no content headers ended by an empty line')
    ch = cpim_headers(rest[:j], 'content headers')
    return mh, ch, rest[j + 4:]


def imdn_summary(content):
    import xml.etree.ElementTree as ET
    root = ET.fromstring(content)
    if root.tag != '{%s}imdn' % NS_IMDN:
        raise ValueError('root element is %s, not imdn' % root.tag)
    out = []
    for el in root:
        name = el.tag.split('}')[-1]
        if name.endswith('-notification'):
            st = el.find('{%s}status' % NS_IMDN)
            kids = [c.tag.split('}')[-1] for c in st] if st is not None \
                else []
            out.append('%s %s' % (name, ','.join(kids) or '-'))
        else:
            out.append('%s %s' % (name, text_of(el)))
    return out


RFC3339 = re.compile(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?'
                     r'(Z|[-+]\d\d:\d\d)')


def uri_in(value, uri):
    """value is a name-addr whose URI is uri ("Name" <uri>;params)."""
    return re.fullmatch(r'(?:[^<]*)<%s>(?:\s*;.*)?' % re.escape(uri),
                        value.strip()) is not None


def deferred_problem(path, n, sent_path, frm, to):
    m = nth(path, 'recv', '^MESSAGE ', n)
    if m is None:
        return 'there is no MESSAGE %s' % n, None
    head, body = split(m[0])
    ct = header(head, header_names('content-type'))
    if ct.split(';')[0].strip().lower() != 'message/cpim':
        return 'Content-Type is %r, not message/cpim' % ct, None
    v = header(head, header_names('from'))
    if not uri_in(v, frm) or not tag_of(v):
        return 'SIP From is %r, expected <%s> with a tag' % (v, frm), None
    v = header(head, header_names('to'))
    if not uri_in(v, to):
        return 'SIP To is %r, expected <%s>' % (v, to), None
    sent = None
    for raw, _, _ in select(sent_path, 'sent', r'^MESSAGE .*\|2 MESSAGE$'):
        sent = raw
        break
    if sent is None:
        return 'no MESSAGE with credentials in %s' % sent_path, None
    shead, sbody = split(sent)
    sct = header(shead, header_names('content-type'))
    try:
        mh, ch, content = cpim_parse(body)
    except ValueError as e:
        return 'not CPIM: %s' % e, None
    mhd = {}
    for k, v in mh:
        mhd.setdefault(k.lower(), v)
    chd = {}
    for k, v in ch:
        chd.setdefault(k.lower(), v)
    if not uri_in(mhd.get('from', ''), frm):
        return 'CPIM From is %r, expected <%s>' % (mhd.get('from'), frm), \
            None
    if not uri_in(mhd.get('to', ''), to):
        return 'CPIM To is %r, expected <%s>' % (mhd.get('to'), to), None
    dt = mhd.get('datetime', '')
    if not RFC3339.fullmatch(dt):
        return 'CPIM DateTime is %r' % dt, None
    if chd.get('content-type') != sct:
        return 'inner Content-Type is %r, the original %r' % (
            chd.get('content-type'), sct), None
    if content != sbody:
        return 'inner body %r differs from the original %r' % (
            content[:80], sbody[:80]), None
    return None, dt


def im_main(argv):
    """The IM subcommands; None when argv is none of them."""
    cmd = argv[0] if argv else ''
    if cmd == 'deferred' and len(argv) >= 6:
        problem, dt = deferred_problem(argv[1], argv[2], argv[3], argv[4],
                                       argv[5])
        if problem:
            print(problem)
            return 1
        print('ok %s' % dt)
        return 0
    if cmd == 'ucount' and len(argv) >= 4:
        print(len(list(select_unique(argv[1], argv[2], argv[3]))))
        return 0
    if cmd in ('cpim', 'cpimbody', 'imdn') and len(argv) >= 5:
        m = nth(argv[1], argv[2], argv[3], argv[4])
        if m is None:
            sys.stderr.write('no such message\n')
            return 1
        try:
            mh, ch, content = cpim_parse(split(m[0])[1])
            if cmd == 'imdn':
                lines = imdn_summary(content)
        except Exception as e:  # ValueError, ParseError
            sys.stderr.write('%s\n' % e)
            return 1
        if cmd == 'cpimbody':
            sys.stdout.buffer.write(content)
        elif cmd == 'cpim':
            for k, v in mh:
                print('H %s: %s' % (k, v))
            for k, v in ch:
                print('C %s: %s' % (k, v))
        else:
            for line in lines:
                print(line)
        return 0
    return None



# --- XCAP and RLS additions ---------------------------------------------

NS_RLMI = 'urn:ietf:params:xml:ns:rlmi'
NS_XCAP_ERR = 'urn:ietf:params:xml:ns:xcap-error'
ALIASES = {
    'urn:ietf:params:xml:ns:resource-lists': 'rl',
    'urn:ietf:params:xml:ns:rls-services': 'rs',
    'urn:ietf:params:xml:ns:common-policy': 'cp',
    'urn:ietf:params:xml:ns:pres-rules': 'pr',
    'urn:x-impd:params:xml:ns:list-meta': 'ip',
    'urn:ietf:params:xml:ns:xcap-caps': 'xc',
    'urn:ietf:params:xml:ns:xcap-diff': 'xd',
}


def media_type(value):
    """(type/subtype in lower case, {param: value}) of a Content-Type
    value; quoted parameter values are unquoted."""
    items, cur, quoted, i = [], '', False, 0
    while i < len(value):
        c = value[i]
        if c == '"':
            quoted = not quoted
            cur += c
        elif c == '\\' and quoted and i + 1 < len(value):
            cur += value[i:i + 2]
            i += 1
        elif c == ';' and not quoted:
            items.append(cur)
            cur = ''
        else:
            cur += c
        i += 1
    items.append(cur)
    params = {}
    for item in items[1:]:
        if '=' not in item:
            continue
        k, v = item.split('=', 1)
        v = v.strip()
        if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
            v = re.sub(r'\\(.)', r'\1', v[1:-1])
        params[k.strip().lower()] = v
    return items[0].strip().lower(), params


def multipart_split(body, boundary):
    """The parts (raw bytes: headers, empty line, content) of a multipart
    body (RFC 2046 5.1.1). ValueError when it is broken."""
    delim = b'--' + boundary.encode('latin-1')
    if body.startswith(delim):
        pos = 0
    else:
        pos = body.find(b'\r\n' + delim)
        if pos < 0:
            raise ValueError('no boundary line "--%s" in the body' %
                             boundary)
        pos += 2
    parts = []
    while True:
        after = pos + len(delim)
        if body[after:after + 2] == b'--':
            return parts
        eol = body.find(b'\r\n', after)
        if eol < 0 or body[after:eol].strip(b' \t'):
            raise ValueError('boundary line %d is not followed by CRLF' %
                             (len(parts) + 1))
        start = eol + 2
        nxt = body.find(b'\r\n' + delim, start)
        if nxt < 0:
            raise ValueError('part %d has no boundary after it (no close '
                             'delimiter)' % (len(parts) + 1))
        parts.append(body[start:nxt])
        pos = nxt + 2


def body_part(raw):
    """({lower-case header name: value}, content) of one body part."""
    if raw.startswith(b'\r\n'):
        return {}, raw[2:]
    i = raw.find(b'\r\n\r\n')
    if i < 0:
        raise ValueError('a body part has no empty line after its headers')
    hdrs = {}
    text = re.sub(rb'\r\n[ \t]+', b' ', raw[:i]).decode('latin-1')
    for line in text.split('\r\n'):
        m = re.match(r'([^:\s]+)\s*:\s*(.*)$', line)
        if not m:
            raise ValueError('a body part has a bad header line %r' %
                             line[:60])
        hdrs.setdefault(m.group(1).lower(), m.group(2).strip())
    return hdrs, raw[i + 4:]


def strip_cid(v):
    v = v.strip()
    if v.startswith('<') and v.endswith('>'):
        v = v[1:-1]
    return v


def pidf_basics(content):
    import xml.etree.ElementTree as ET
    root = ET.fromstring(content)
    if root.tag != '{%s}presence' % NS_PIDF:
        raise ValueError('root element %s is not a PIDF presence' %
                         root.tag)
    basics = []
    for t in root.findall('{%s}tuple' % NS_PIDF):
        b = t.find('{%s}status/{%s}basic' % (NS_PIDF, NS_PIDF))
        basics.append(text_of(b) if b is not None else '-')
    return ','.join(basics) or '-', root.get('entity', '-')


def rlmi_parse(raw):
    """The RLMI summary of a list NOTIFY: (list line, [lines of the
    rest], [(resource uri, [its lines])]). ValueError when it is not
    one."""
    import xml.etree.ElementTree as ET
    head, body = split(raw)
    ct = full_header(head, header_names('content-type'))
    if ct is None:
        raise ValueError('no Content-Type')
    mtype, params = media_type(ct)
    if mtype != 'multipart/related':
        raise ValueError('Content-Type is %r, not multipart/related' % ct)
    if params.get('type', '').lower() != 'application/rlmi+xml':
        raise ValueError('Content-Type %r: type is not '
                         'application/rlmi+xml' % ct)
    if not params.get('boundary'):
        raise ValueError('Content-Type %r has no boundary' % ct)
    parts = []
    for p in multipart_split(body, params['boundary']):
        hdrs, content = body_part(p)
        parts.append((strip_cid(hdrs.get('content-id', '')),
                      media_type(hdrs.get('content-type',
                                          'text/plain'))[0], content))
    if not parts:
        raise ValueError('the multipart body has no part')
    root = None
    if params.get('start'):
        want = strip_cid(params['start'])
        for p in parts:
            if p[0] == want:
                root = p
                break
        if root is None:
            raise ValueError('no part has the Content-ID <%s> of start' %
                             want)
    else:
        root = parts[0]
    if root[1] != 'application/rlmi+xml':
        raise ValueError('the root part is %s, not application/rlmi+xml' %
                         root[1])
    others = {}
    for p in parts:
        if p is not root:
            if p[0] in others:
                raise ValueError('two parts have Content-ID <%s>' % p[0])
            others[p[0]] = p
    try:
        lst = ET.fromstring(root[2])
    except ET.ParseError as e:
        raise ValueError('RLMI not well formed: %s' % e)
    if lst.tag != '{%s}list' % NS_RLMI:
        raise ValueError('RLMI root is %s, not {%s}list' % (lst.tag,
                                                            NS_RLMI))
    for a in ('uri', 'version', 'fullState'):
        if lst.get(a) is None:
            raise ValueError('RLMI <list> has no %s' % a)
    full = lst.get('fullState')
    if full not in ('true', 'false', '1', '0'):
        raise ValueError('RLMI fullState is %r' % full)
    full = 'true' if full in ('true', '1') else 'false'
    head_line = 'list %s version=%s fullState=%s' % (lst.get('uri'),
                                                    lst.get('version'),
                                                    full)
    extra, resources, used = [], [], set()
    for n in lst.findall('{%s}name' % NS_RLMI):
        extra.append('listname %s' % text_of(n))
    for r in lst.findall('{%s}resource' % NS_RLMI):
        uri = r.get('uri')
        if not uri:
            raise ValueError('a <resource> has no uri')
        res_lines, names, entities = [], [], []
        insts = r.findall('{%s}instance' % NS_RLMI)
        for i in insts:
            st = i.get('state')
            if not i.get('id'):
                raise ValueError('an instance of %s has no id' % uri)
            if st not in ('active', 'pending', 'terminated'):
                raise ValueError('instance %s of %s has state %r' %
                                 (i.get('id'), uri, st))
            words = ['resource', uri, st]
            if i.get('reason'):
                words.append(i.get('reason'))
            cid = i.get('cid')
            if cid is not None:
                cid = strip_cid(cid)
                if cid not in others:
                    raise ValueError('instance %s of %s has cid %s but no '
                                     'part has that Content-ID' %
                                     (i.get('id'), uri, cid))
                used.add(cid)
                _, ptype, content = others[cid]
                if ptype == 'application/pidf+xml':
                    try:
                        basics, entity = pidf_basics(content)
                    except Exception as e:  # ParseError, ValueError
                        raise ValueError('the PIDF part of %s: %s' %
                                         (uri, e))
                    words += ['pidf', basics]
                    entities.append('entity %s %s' % (uri, entity))
                else:
                    words += ['part', ptype]
            res_lines.append(' '.join(words))
        if not insts:
            res_lines.append('resource %s none' % uri)
        for n in r.findall('{%s}name' % NS_RLMI):
            names.append('rname %s %s' % (uri, text_of(n)))
        resources.append((uri, res_lines + names + entities))
    extra.append('parts %d' % len(others))
    for cid in others:
        if cid not in used:
            extra.append('unreferenced %s' % cid)
    return head_line, full == 'true', extra, resources


def rlmi_lines(raw):
    head_line, _, extra, resources = rlmi_parse(raw)
    out = [head_line]
    out += [ln for ln in extra if ln.startswith('listname ')]
    for _, lines in resources:
        out += lines
    out += [ln for ln in extra if not ln.startswith('listname ')]
    return out


def rlmi_view(path, direction, regex, n):
    found = list(select_unique(path, direction, regex))
    n = int(n)
    if n < 0:
        n = len(found) + 1 + n
    if n < 1 or n > len(found):
        raise LookupError('no such message')
    view, order, head_line = {}, [], None
    for raw, _, _ in found[:n]:
        head_line, full, _, resources = rlmi_parse(raw)
        if full:
            view, order = {}, []
        for uri, lines in resources:
            if uri not in view:
                order.append(uri)
            view[uri] = lines
    out = [head_line]
    for uri in order:
        out += view[uri]
    return out


def xcap_error_lines(data):
    import xml.etree.ElementTree as ET
    root = ET.fromstring(data)
    if root.tag != '{%s}xcap-error' % NS_XCAP_ERR:
        raise ValueError('root element is %s, not {%s}xcap-error' %
                         (root.tag, NS_XCAP_ERR))
    kids = list(root)
    if len(kids) != 1:
        raise ValueError('<xcap-error> has %d child elements, not 1' %
                         len(kids))
    el = kids[0]
    if not el.tag.startswith('{%s}' % NS_XCAP_ERR):
        raise ValueError('the condition %s is not in the xcap-error '
                         'namespace' % el.tag)
    out = ['error %s' % el.tag.split('}')[-1]]
    if el.get('phrase') is not None:
        out.append('phrase %s' % el.get('phrase'))
    for a in el.findall('{%s}ancestor' % NS_XCAP_ERR):
        out.append('ancestor %s' % text_of(a))
    for ex in el.findall('{%s}exists' % NS_XCAP_ERR):
        out.append('exists %s' % ex.get('field', '-'))
        for alt in ex.findall('{%s}alt-value' % NS_XCAP_ERR):
            out.append('alt-value %s' % text_of(alt))
    return out


def qname(tag):
    if tag.startswith('{'):
        ns, local = tag[1:].split('}', 1)
        alias = ALIASES.get(ns)
        return '%s:%s' % (alias, local) if alias else '{%s}%s' % (ns, local)
    return tag


def outline_lines(data):
    import xml.etree.ElementTree as ET
    root = ET.fromstring(data)
    out = []

    def walk(el, prefix):
        step = qname(el.tag)
        for k in sorted(el.attrib):
            step += '[@%s=%s]' % (qname(k), el.attrib[k])
        path = prefix + step
        text = ' '.join((el.text or '').split())
        out.append(path + (' = ' + text if text else ''))
        for c in el:
            if isinstance(c.tag, str):
                walk(c, path + '/')

    walk(root, '')
    return out


def nsbind_lines(data):
    import xml.dom.minidom
    doc = xml.dom.minidom.parseString(data)
    el = doc.documentElement
    binds = []
    for i in range(el.attributes.length):
        a = el.attributes.item(i)
        if a.name == 'xmlns':
            binds.append('xmlns - %s' % a.value)
        elif a.name.startswith('xmlns:'):
            binds.append('xmlns %s %s' % (a.name[6:], a.value))
    return ['element %s' % el.tagName] + sorted(binds)


def xcap_rls_main(argv):
    """The XCAP and RLS subcommands; None when argv is none of them."""
    cmd = argv[0] if argv else ''
    if cmd == 'rlmi' and len(argv) >= 5:
        m = nth(argv[1], argv[2], argv[3], argv[4])
        if m is None:
            sys.stderr.write('no such message\n')
            return 1
        try:
            lines = rlmi_lines(m[0])
        except ValueError as e:
            sys.stderr.write('%s\n' % e)
            return 1
        for line in lines:
            print(line)
        return 0
    if cmd == 'rlmiview' and len(argv) >= 5:
        try:
            lines = rlmi_view(argv[1], argv[2], argv[3], argv[4])
        except (ValueError, LookupError) as e:
            sys.stderr.write('%s\n' % e)
            return 1
        for line in lines:
            print(line)
        return 0
    if cmd == 'rlmiversions' and len(argv) >= 4:
        for raw, _, _ in select_unique(argv[1], argv[2], argv[3]):
            if not split(raw)[1].strip():
                print('empty')
                continue
            try:
                head_line, full, _, _ = rlmi_parse(raw)
            except ValueError as e:
                print('error %s' % e)
                continue
            print('%s %s' % (head_line.split()[2].split('=', 1)[1],
                             'true' if full else 'false'))
        return 0
    if cmd == 'ntimes' and len(argv) >= 4:
        for _, _, when in select_unique(argv[1], argv[2], argv[3]):
            print('%.6f' % when)
        return 0
    if cmd in ('xcaperr', 'outline', 'nsbind') and len(argv) >= 2:
        try:
            with open(argv[1], 'rb') as f:
                data = f.read()
            fn = {'xcaperr': xcap_error_lines, 'outline': outline_lines,
                  'nsbind': nsbind_lines}[cmd]
            lines = fn(data)
        except Exception as e:  # OSError, ParseError, ValueError
            sys.stderr.write('%s\n' % e)
            return 1
        for line in lines:
            print(line)
        return 0
    return None


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
