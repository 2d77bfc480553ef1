#!/usr/bin/env python3
"""bench/rls_ua.py - the SIP clients of bench/run's rls workload.

Two roles, each one process, driven by bench/run through stdin (one
command a line) and answering on stdout (one JSON object a line):

  rls_ua.py watchers SERVER USERS LOG
      USERS: lines "user;password". For each user, one subscription to
      its buddy list sip:USER-buddies@DOMAIN (Event: presence, Supported:
      eventlist, Accept: application/pidf+xml, application/rlmi+xml,
      multipart/related), authenticated with digest when challenged;
      every NOTIFY is answered 200 and logged to LOG, one JSON object a
      line: t (epoch s), w (watcher index), len (octets of the datagram),
      full (RLMI fullState), ver (RLMI version), parts (PIDF parts),
      rx (a retransmission: same Call-ID and CSeq again, not counted).
      Commands: "subscribe RATE" (start the SUBSCRIBEs, RATE per second),
      "status" (counts so far), "dump PATH" (every subscription's state
      and its view of its members: the newest note of each, by RLMI
      version), "quit". With RLS_UA_SAMPLES=DIR in the environment, the
      first full-state and the first partial NOTIFY (with documents) are
      kept there as they came.
  rls_ua.py publisher SERVER USERS
      USERS: the members, "user;password". Commands: "prepublish RATE"
      (one PUBLISH per member, note "initial", RATE per second: the
      members are online before the lists are subscribed), "publish
      RATE SECONDS" (RATE*SECONDS modifications of the members' state in
      turn, in a random order, each with SIP-If-Match and a new note, on
      a fixed schedule; a member's PUBLISHes wait for the previous 200),
      "finals PATH" (the last note answered 200 per member), "quit".

Why not sipp: sipp's [authentication] puts one URI in the digest (its
-auth_uri, by default sip:REMOTE_IP:PORT) for every request, and impd,
as RFC 3261 22.4 wants, checks it against the Request-URI. Here every
SUBSCRIBE and PUBLISH has its own Request-URI (the watcher's list, the
member), so no single -auth_uri fits; this client computes the digest for
each request. It does what the sipp scenarios of the other workloads do:
UDP, RFC 3261 retransmissions (T1 500 ms, T2 4 s, 32 s timeout) for its
own requests, a 200 for every NOTIFY (again for a retransmission).
"""

import asyncio
import hashlib
import json
import os
import random
import re
import sys
import time

T1, T2, TIMER_F = 0.5, 4.0, 32.0
DOMAIN = os.environ.get("RLS_DOMAIN", "example.com")
# a directory to keep one full-state and one partial NOTIFY in
SAMPLES = os.environ.get("RLS_UA_SAMPLES")


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def rand_hex(n=16):
    return os.urandom(n // 2).hex()


# ---- SIP messages ----

def parse(data):
    """(first line, {lower-case name: [values]}, body bytes) or None."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = data[:end].decode("utf-8", "replace").split("\r\n")
    hdrs = {}
    for line in head[1:]:
        if line[:1] in (" ", "\t") and hdrs:
            continue    # no folding in what the servers send
        name, _, value = line.partition(":")
        name = name.strip().lower()
        name = {"v": "via", "f": "from", "t": "to", "i": "call-id",
                "m": "contact", "l": "content-length",
                "c": "content-type", "o": "event"}.get(name, name)
        hdrs.setdefault(name, []).append(value.strip())
    return head[0], hdrs, data[end + 4:]


def h1(hdrs, name, default=""):
    v = hdrs.get(name)
    return v[0] if v else default


def challenge_params(value):
    """Digest realm="x", nonce="y", qop="auth", algorithm=MD5 -> dict"""
    if not value.lower().startswith("digest"):
        return None
    return {k.lower(): v1 if v1 else v2 for k, v1, v2 in
            re.findall(r'(\w+)\s*=\s*(?:"([^"]*)"|([^,\s]+))', value[6:])}


class Cred:
    """One digest challenge answered again and again (nc counts up),
    as a UA does until the server says stale."""

    def __init__(self, user, password, ch, header):
        self.user, self.password = user, password
        self.realm = ch.get("realm", "")
        self.nonce = ch.get("nonce", "")
        self.opaque = ch.get("opaque")
        self.qop = "auth" if "auth" in ch.get("qop", "").split(",") else None
        self.header = header      # Authorization or Proxy-Authorization
        self.nc = 0

    def line(self, method, uri):
        ha1 = hashlib.md5(f"{self.user}:{self.realm}:{self.password}"
                          .encode()).hexdigest()
        ha2 = hashlib.md5(f"{method}:{uri}".encode()).hexdigest()
        v = (f'{self.header}: Digest username="{self.user}", '
             f'realm="{self.realm}", nonce="{self.nonce}", uri="{uri}", '
             'algorithm=MD5')
        if self.qop:
            self.nc += 1
            nc = f"{self.nc:08x}"
            cnonce = rand_hex(8)
            resp = hashlib.md5(f"{ha1}:{self.nonce}:{nc}:{cnonce}:auth:{ha2}"
                               .encode()).hexdigest()
            v += f', qop=auth, nc={nc}, cnonce="{cnonce}"'
        else:
            resp = hashlib.md5(f"{ha1}:{self.nonce}:{ha2}".encode()
                               ).hexdigest()
        v += f', response="{resp}"'
        if self.opaque is not None:
            v += f', opaque="{self.opaque}"'
        return v + "\r\n"


def pick_challenge(hdrs):
    for name, header in (("proxy-authenticate", "Proxy-Authorization"),
                         ("www-authenticate", "Authorization")):
        for v in hdrs.get(name, []):
            ch = challenge_params(v)
            if ch and ch.get("algorithm", "MD5").upper() == "MD5":
                return ch, header
    return None, None


class Endpoint(asyncio.DatagramProtocol):
    """One UDP socket: client transactions (retransmitted until a final
    response) and incoming requests handed to on_request."""

    def __init__(self, server, on_request):
        self.server = server
        self.on_request = on_request
        self.tsx = {}       # branch -> [future, data, timer handle, t0]
        self.retrans = 0
        self.transport = None
        self.port = 0

    def connection_made(self, transport):
        self.transport = transport
        self.port = transport.get_extra_info("sockname")[1]

    def datagram_received(self, data, addr):
        m = parse(data)
        if not m:
            return
        first, hdrs, body = m
        if first.startswith("SIP/2.0 "):
            code = int(first[8:11])
            br = re.search(r"branch=([^;,\s]+)", h1(hdrs, "via"))
            t = self.tsx.get(br.group(1)) if br else None
            if t and code >= 200 and not t[0].done():
                t[0].set_result((code, hdrs, body))
            return
        self.on_request(first, hdrs, body, data, addr)

    def send(self, data, addr=None):
        self.transport.sendto(data, addr or self.server)

    def request(self, build):
        """build(branch) -> bytes; a future for (code, hdrs, body), or
        (408, {}, b"") after Timer F."""
        branch = "z9hG4bK" + rand_hex(16)
        data = build(branch)
        fut = asyncio.get_running_loop().create_future()
        t = [fut, data, None, time.time()]
        self.tsx[branch] = t

        def again(interval):
            if fut.done():
                return
            if time.time() - t[3] >= TIMER_F:
                fut.set_result((408, {}, b""))
                return
            self.retrans += 1
            self.send(data)
            t[2] = asyncio.get_running_loop().call_later(
                interval, again, min(2 * interval, T2))

        self.send(data)
        t[2] = asyncio.get_running_loop().call_later(T1, again, 2 * T1)

        def done(_):
            if t[2]:
                t[2].cancel()
            self.tsx.pop(branch, None)
        fut.add_done_callback(done)
        return fut

    def reply(self, hdrs, addr, code=200, reason="OK"):
        to = h1(hdrs, "to")
        if ";tag=" not in to:
            to += ";tag=" + rand_hex(8)
        vias = "".join(f"Via: {v}\r\n" for v in hdrs.get("via", []))
        self.send((f"SIP/2.0 {code} {reason}\r\n{vias}"
                   f"From: {h1(hdrs, 'from')}\r\nTo: {to}\r\n"
                   f"Call-ID: {h1(hdrs, 'call-id')}\r\n"
                   f"CSeq: {h1(hdrs, 'cseq')}\r\n"
                   "Content-Length: 0\r\n\r\n").encode(), addr)


async def open_endpoint(server, on_request):
    loop = asyncio.get_running_loop()
    _, ep = await loop.create_datagram_endpoint(
        lambda: Endpoint(server, on_request), local_addr=("127.0.0.1", 0))
    try:
        ep.transport.get_extra_info("socket").setsockopt(
            __import__("socket").SOL_SOCKET, __import__("socket").SO_RCVBUF,
            4 << 20)
    except OSError:
        pass
    return ep


async def commands(handler):
    """stdin lines -> handler(words); 'quit' or EOF ends."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader),
                                 sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            return
        words = line.decode().split()
        if not words:
            continue
        if words[0] == "quit":
            return
        await handler(words)


def read_users(path):
    with open(path) as f:
        return [tuple(line.strip().split(";")[:2]) for line in f
                if line.strip()]


# ---- watchers ----

RLMI_LIST = re.compile(rb"<(?:\w+:)?list\b[^>]*>")
ATTR = re.compile(rb'(\w+)\s*=\s*"([^"]*)"')
RESOURCE = re.compile(rb"<(?:\w+:)?resource(?=[\s>/])")
INSTANCE = re.compile(rb"<(?:\w+:)?instance\b([^>]*)>")
NOTE = re.compile(rb"<(?:\w+:)?note\b[^>]*>([^<]*)</")
BASIC = re.compile(rb"<(?:\w+:)?basic\b[^>]*>\s*(\w+)\s*</")


def split_multipart(ctype, body):
    """[(part headers {lower: value}, part body)] of a multipart body."""
    m = re.search(r'boundary\s*=\s*"?([^";]+)"?', ctype, re.I)
    if not m:
        return []
    delim = b"--" + m.group(1).encode()
    parts = []
    for chunk in body.split(delim)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk
        end = chunk.find(b"\r\n\r\n")
        if end < 0:
            continue
        hdrs = {}
        for line in chunk[:end].decode("utf-8", "replace").split("\r\n"):
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        pbody = chunk[end + 4:]
        if pbody.endswith(b"\r\n"):
            pbody = pbody[:-2]
        parts.append((hdrs, pbody))
    return parts


def read_rlmi(ctype, body):
    """-> (fullState, version, {uri: (state, cid)}, {cid: pidf body})"""
    rlmi, docs = None, {}
    if ctype.lower().startswith("multipart/"):
        for ph, pb in split_multipart(ctype, body):
            pt = ph.get("content-type", "").lower()
            if pt.startswith("application/rlmi+xml"):
                rlmi = pb
            else:
                cid = ph.get("content-id", "").strip("<>")
                docs[cid] = pb
    elif ctype.lower().startswith("application/rlmi+xml"):
        rlmi = body
    if rlmi is None:
        return None
    m = RLMI_LIST.search(rlmi)
    a = dict(ATTR.findall(m.group(0))) if m else {}
    full = a.get(b"fullState", b"").lower() in (b"true", b"1")
    try:
        ver = int(a.get(b"version", b"-1"))
    except ValueError:
        ver = -1
    res = {}
    chunks = RESOURCE.split(rlmi)[1:]
    for chunk in chunks:
        end = chunk.find(b">")
        attrs, inner = chunk[:end], chunk[end + 1:]
        uri = dict(ATTR.findall(attrs)).get(b"uri", b"").decode()
        state, cid = "", None
        im = INSTANCE.search(inner)
        if im:
            ia = dict(ATTR.findall(im.group(1)))
            state = ia.get(b"state", b"").decode()
            cid = ia.get(b"cid", b"").decode() or None
        res[uri] = (state, cid)
    return full, ver, res, docs


def norm_uri(u):
    u = u.strip()
    if u.startswith("sip:") or u.startswith("pres:"):
        u = u.split(":", 1)[1]
    return u.split(";")[0].lower()


class Watch:
    def __init__(self, idx, user, password):
        self.idx, self.user, self.password = idx, user, password
        self.callid = f"rls{idx}-{rand_hex(12)}@127.0.0.1"
        self.ftag = rand_hex(10)
        self.status = "new"     # new, subscribed, failed, terminated
        self.code = None
        self.t_sub = None       # the SUBSCRIBE the server acted on
        self.t_first = None     # first NOTIFY with fullState=true
        self.t_complete = None  # every member has had a document
        self.first_resources = None
        self.view = {}          # member -> (version, note or "")
        self.known = set()      # members a document came for
        self.states = {}        # member -> instance state (newest)
        self.seen = set()       # (cseq) of NOTIFYs
        self.top_ver = -1
        self.notifies = 0


class Watchers:
    def __init__(self, server, users, logpath):
        self.server = server
        self.w = [Watch(i, u, p) for i, (u, p) in enumerate(users)]
        self.by_callid = {w.callid: w for w in self.w}
        self.log = open(logpath, "w", buffering=1 << 16)
        self.ep = None
        self.counts = {"notify": 0, "rx": 0, "bytes": 0, "parts": 0,
                       "bad": 0, "unknown": 0}

    def on_request(self, first, hdrs, body, data, addr):
        if not first.startswith("NOTIFY "):
            self.ep.reply(hdrs, addr, 405, "Method Not Allowed")
            return
        w = self.by_callid.get(h1(hdrs, "call-id"))
        if not w:
            self.counts["unknown"] += 1
            self.ep.reply(hdrs, addr, 481, "Subscription Does Not Exist")
            return
        self.ep.reply(hdrs, addr)
        now = time.time()
        try:
            cseq = int(h1(hdrs, "cseq").split()[0])
        except (ValueError, IndexError):
            cseq = -1
        rx = cseq in w.seen
        rec = {"t": round(now, 4), "w": w.idx, "len": len(data), "rx": rx}
        if rx:
            self.counts["rx"] += 1
            self.log.write(json.dumps(rec) + "\n")
            return
        w.seen.add(cseq)
        w.notifies += 1
        self.counts["notify"] += 1
        self.counts["bytes"] += len(data)
        if h1(hdrs, "subscription-state").lower().startswith("terminated"):
            w.status = "terminated"
        r = read_rlmi(h1(hdrs, "content-type"), body)
        if r is None:
            rec["full"] = None
            if body:
                self.counts["bad"] += 1
            self.log.write(json.dumps(rec) + "\n")
            return
        full, ver, res, docs = r
        self.counts["parts"] += len(docs)
        if SAMPLES and len(docs):
            # one NOTIFY of each kind kept as it came (bench/run --keep)
            name = os.path.join(SAMPLES, "notify-full.txt" if full
                                else "notify-partial.txt")
            if not os.path.exists(name):
                with open(name, "wb") as f:
                    f.write(data)
        rec.update(full=full, ver=ver, parts=len(docs), res=len(res))
        self.log.write(json.dumps(rec) + "\n")
        if full and w.t_first is None:
            w.t_first = now
            w.first_resources = sorted(norm_uri(u) for u in res)
        for uri, (state, cid) in res.items():
            m = norm_uri(uri)
            if ver >= w.states.get(m, (-2, ""))[0]:
                w.states[m] = (ver, state)
            doc = docs.get(cid) if cid else None
            if doc is None:
                continue
            w.known.add(m)
            nm = NOTE.search(doc)
            note = nm.group(1).decode("utf-8", "replace").strip() if nm \
                else ""
            bm = BASIC.search(doc)
            if bm and bm.group(1).lower() != b"open":
                note = "(" + bm.group(1).decode() + ")" + note
            if ver >= w.view.get(m, (-2, ""))[0]:
                w.view[m] = (ver, note)
        w.top_ver = max(w.top_ver, ver)
        if w.t_complete is None and w.first_resources is not None and \
                all(m in w.known for m in w.first_resources):
            w.t_complete = now

    async def subscribe_one(self, w):
        uri = f"sip:{w.user}-buddies@{DOMAIN}"
        port = self.ep.port
        cseq = 0
        cred = None
        for attempt in range(3):
            cseq += 1

            def build(branch, cseq=cseq, cred=cred):
                return (f"SUBSCRIBE {uri} SIP/2.0\r\n"
                        f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch={branch};"
                        "rport\r\n"
                        f"From: <sip:{w.user}@{DOMAIN}>;tag={w.ftag}\r\n"
                        f"To: <{uri}>\r\n"
                        f"Call-ID: {w.callid}\r\nCSeq: {cseq} SUBSCRIBE\r\n"
                        f"Contact: <sip:{w.user}@127.0.0.1:{port}>\r\n"
                        "Event: presence\r\nSupported: eventlist\r\n"
                        "Accept: application/pidf+xml, application/rlmi+xml,"
                        " multipart/related\r\n"
                        "Expires: 3600\r\nMax-Forwards: 70\r\n"
                        + (cred.line("SUBSCRIBE", uri) if cred else "")
                        + "Content-Length: 0\r\n\r\n").encode()
            t = time.time()
            code, hdrs, _ = await self.ep.request(build)
            if code in (401, 407):
                ch, header = pick_challenge(hdrs)
                if not ch:
                    break
                cred = Cred(w.user, w.password, ch, header)
                continue
            w.code = code
            if 200 <= code < 300:
                w.t_sub = t
                w.status = "subscribed" if w.status == "new" else w.status
            else:
                w.status = "failed"
            return
        w.code = code
        w.status = "failed"

    async def subscribe(self, rate):
        tasks = []
        t0 = time.time()
        for i, w in enumerate(self.w):
            delay = t0 + i / rate - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.ensure_future(self.subscribe_one(w)))
        await asyncio.gather(*tasks)

    def status(self):
        st = {"watchers": len(self.w), "t": time.time(),
              "retrans": self.ep.retrans}
        for k in ("new", "subscribed", "failed", "terminated"):
            st[k] = sum(1 for w in self.w if w.status == k)
        st["first"] = sum(1 for w in self.w if w.t_first)
        st["complete"] = sum(1 for w in self.w if w.t_complete)
        st.update(self.counts)
        st["t_last_notify"] = max((w.t_complete or 0 for w in self.w),
                                  default=0)
        return st

    def dump(self, path):
        rows = []
        for w in self.w:
            rows.append({"user": w.user, "status": w.status, "code": w.code,
                         "t_sub": w.t_sub, "t_first": w.t_first,
                         "t_complete": w.t_complete,
                         "resources": w.first_resources,
                         "notifies": w.notifies,
                         "view": {m: v[1] for m, v in w.view.items()},
                         "states": {m: v[1] for m, v in w.states.items()}})
        with open(path, "w") as f:
            json.dump(rows, f)

    async def run(self):
        self.ep = await open_endpoint(self.server, self.on_request)
        sub_task = None

        async def handle(words):
            nonlocal sub_task
            if words[0] == "subscribe":
                sub_task = asyncio.ensure_future(
                    self.subscribe(float(words[1])))
                out({"ok": True})
            elif words[0] == "status":
                self.log.flush()
                out(self.status())
            elif words[0] == "dump":
                self.log.flush()
                self.dump(words[1])
                out({"ok": True})
            else:
                out({"error": f"unknown command {words[0]}"})
        await commands(handle)
        self.log.close()


# ---- publisher ----

PIDF = ('<?xml version="1.0" encoding="UTF-8"?>\r\n'
        '<presence xmlns="urn:ietf:params:xml:ns:pidf" '
        'entity="sip:{u}@{d}">\r\n'
        '  <tuple id="t-{u}">\r\n'
        '    <status><basic>open</basic></status>\r\n'
        '    <contact>sip:{u}@127.0.0.1</contact>\r\n'
        '    <note>{n}</note>\r\n'
        '  </tuple>\r\n'
        '</presence>\r\n')


class Member:
    def __init__(self, user, password):
        self.user, self.password = user, password
        self.callid = f"pub-{user}-{rand_hex(10)}@127.0.0.1"
        self.ftag = rand_hex(10)
        self.cseq = 0
        self.etag = None
        self.cred = None
        self.note = None        # last note answered 200
        self.lock = asyncio.Lock()


class Publisher:
    def __init__(self, server, users):
        self.server = server
        self.m = [Member(u, p) for u, p in users]
        self.ep = None

    async def publish_one(self, mb, note):
        """One state change, answered 200 (True) or not."""
        uri = f"sip:{mb.user}@{DOMAIN}"
        port = self.ep.port
        body = PIDF.format(u=mb.user, d=DOMAIN, n=note).encode()
        for attempt in range(3):
            mb.cseq += 1

            def build(branch, cseq=mb.cseq, cred=mb.cred, etag=mb.etag):
                return (f"PUBLISH {uri} SIP/2.0\r\n"
                        f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch={branch};"
                        "rport\r\n"
                        f"From: <{uri}>;tag={mb.ftag}\r\nTo: <{uri}>\r\n"
                        f"Call-ID: {mb.callid}\r\nCSeq: {cseq} PUBLISH\r\n"
                        "Event: presence\r\nExpires: 3600\r\n"
                        "Max-Forwards: 70\r\n"
                        + (f"SIP-If-Match: {etag}\r\n" if etag else "")
                        + (cred.line("PUBLISH", uri) if cred else "")
                        + "Content-Type: application/pidf+xml\r\n"
                        f"Content-Length: {len(body)}\r\n\r\n"
                        ).encode() + body
            code, hdrs, _ = await self.ep.request(build)
            if code in (401, 407):
                ch, header = pick_challenge(hdrs)
                if not ch:
                    return code
                mb.cred = Cred(mb.user, mb.password, ch, header)
                continue
            if 200 <= code < 300:
                mb.etag = h1(hdrs, "sip-etag") or mb.etag
                mb.note = note
            return code
        return code

    async def paced(self, jobs, rate):
        """jobs: [(member, note)], started at `rate` per second on a
        fixed schedule; a member's next change waits for its previous
        one. -> summary"""
        res = {"offered": len(jobs), "ok": 0, "failed": 0, "codes": {}}
        r0 = self.ep.retrans
        t0 = time.time()
        ends = []

        async def one(mb, note):
            async with mb.lock:
                code = await self.publish_one(mb, note)
            ends.append(time.time())
            if 200 <= code < 300:
                res["ok"] += 1
            else:
                res["failed"] += 1
                res["codes"][str(code)] = res["codes"].get(str(code), 0) + 1

        tasks = []
        for k, (mb, note) in enumerate(jobs):
            delay = t0 + k / rate - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.ensure_future(one(mb, note)))
        await asyncio.gather(*tasks)
        res.update(t0=t0, t_last=max(ends, default=t0),
                   retrans=self.ep.retrans - r0)
        res["seconds"] = round(res["t_last"] - t0, 3)
        res["rate"] = round(res["ok"] / res["seconds"], 1) \
            if res["seconds"] > 0 else 0
        return res

    async def run(self):
        self.ep = await open_endpoint(self.server,
                                      lambda f, h, b, d, a:
                                      self.ep.reply(h, a, 405,
                                                    "Method Not Allowed"))

        async def handle(words):
            if words[0] == "prepublish":
                out(await self.paced([(mb, "initial") for mb in self.m],
                                     float(words[1])))
            elif words[0] == "publish":
                rate, seconds = float(words[1]), float(words[2])
                n = max(1, int(round(rate * seconds)))
                order = []
                k = 0
                while len(order) < n:
                    perm = list(self.m)
                    random.shuffle(perm)
                    for mb in perm[:n - len(order)]:
                        k += 1
                        order.append((mb, f"c{k}"))
                out(await self.paced(order, rate))
            elif words[0] == "finals":
                with open(words[1], "w") as f:
                    json.dump({mb.user: mb.note for mb in self.m}, f)
                out({"ok": True})
            else:
                out({"error": f"unknown command {words[0]}"})
        await commands(handle)


def main():
    if len(sys.argv) < 4 or sys.argv[1] not in ("watchers", "publisher"):
        sys.exit(__doc__)
    host, _, port = sys.argv[2].rpartition(":")
    server = (host, int(port))
    users = read_users(sys.argv[3])
    if sys.argv[1] == "watchers":
        asyncio.run(Watchers(server, users, sys.argv[4]).run())
    else:
        asyncio.run(Publisher(server, users).run())


if __name__ == "__main__":
    main()
