# tests/scenario/lib.sh - helpers sourced by every tests/scenario/*/run
#
# A scenario's run script does:
#	. "$(dirname "$0")/../lib.sh"
#	scn_init
#	SIP_PORT=$(free_port)
#	add_domain "$DOMAIN"; add_user alice secret
#	start_impd_default
#	run_sipp uac "$SCN_DIR/uac.xml" -p "$(free_port)" -m 1 ... \
#		"127.0.0.1:$SIP_PORT"
#	sipp_ok uac $?
#	stop_impd
#	pass
#
# It prints exactly one line, "ok NAME" or "FAIL NAME: reason" (followed on
# failure by the tail of impd's log and of every sipp error log), and exits
# 0 or 1. Every process it starts is recorded by PID and stopped by the EXIT
# trap; nothing is ever killed by name, so several suites may run at once.
#
# Environment:
#	IMPD, IMPCTL	binaries (default build/impd, build/impctl of the repo)
#	SIPP, STUNNEL, BARESIP	tools (default from PATH)
#	SIP_TORTURE_DIR	conformance kit (default ../shared/conformance/...)
#	IMPD_LOG_LEVEL	impd --log-level (default debug)
#	IMPD_EXTRA	extra impd arguments of start_impd_default (default
#			empty)
#	SCN_KEEP=1	keep the temporary directory even on success
#	SCN_VERBOSE=1	progress notes on stderr

set -u

SCN_DIR=$(cd "$(dirname "$0")" && pwd)
SCN_NAME=$(basename "$SCN_DIR")
SCN_ROOT=$(cd "$SCN_DIR/.." && pwd)
SCN_COMMON=$SCN_ROOT/common
REPO=$(cd "$SCN_ROOT/../.." && pwd)

# A binary given relative is looked up from the current directory first,
# then from the repository root.
scn_bin() {
	case $1 in
	/*) echo "$1" ;;
	*) if [ -e "$1" ]; then
		echo "$(pwd)/$1"
	   else
		echo "$REPO/$1"
	   fi ;;
	esac
}

IMPD=$(scn_bin "${IMPD:-build/impd}")
IMPCTL=$(scn_bin "${IMPCTL:-build/impctl}")
SIPP=${SIPP:-sipp}
STUNNEL=${STUNNEL:-stunnel4}
BARESIP=${BARESIP:-baresip}
PYTHON=${PYTHON:-python3}
IMPD_LOG_LEVEL=${IMPD_LOG_LEVEL:-debug}
DOMAIN=example.com

SCN_PIDS=""		# every background process we started
SCN_SIPP_LABELS=""	# for the failure report
SCN_DONE=0
IMPD_PID=""
T=""

# --------------------------------------------------------------------------
# set-up, result, cleanup

scn_init() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/impd-scn-$SCN_NAME.XXXXXX") ||
		{ echo "FAIL $SCN_NAME: mktemp failed"; exit 1; }
	: >"$T/notes"
	trap scn_cleanup EXIT
	trap 'fail "$(cat "$T/abort" 2>/dev/null || echo interrupted)"' \
		INT TERM HUP
	[ -x "$IMPD" ] || fail "impd not built ($IMPD)"
	[ -x "$IMPCTL" ] || fail "impctl not built ($IMPCTL)"
	need "$PYTHON" python3
}

# abort REASON: fail() from anywhere, a $(...) subshell included: the
# reason goes to $T/abort and the main shell gets SIGTERM.
abort() {
	echo "$*" >"$T/abort"
	kill -TERM $$
	exit 1
}

# need TOOL PACKAGE: fail unless TOOL is installed.
need() {
	command -v "$1" >/dev/null 2>&1 ||
		fail "$1 not installed (apt-get install $2)"
}

note() {
	echo "$*" >>"$T/notes"
	[ "${SCN_VERBOSE:-0}" = 1 ] && echo "# $SCN_NAME: $*" >&2
	return 0
}

# Track a background process by PID.
track() {
	SCN_PIDS="$SCN_PIDS $1"
}

alive() {
	kill -0 "$1" 2>/dev/null
}

# stop_pid PID [SECONDS]: SIGTERM, wait, SIGKILL. Returns 0 when the
# process ended on SIGTERM in time, 1 when SIGKILL was needed.
stop_pid() {
	local pid=$1 n=$(( ${2:-3} * 20 ))
	alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null
	while [ $n -gt 0 ] && alive "$pid"; do
		sleep 0.05
		n=$((n - 1))
	done
	if alive "$pid"; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 1
	fi
	return 0
}

scn_cleanup() {
	local pid
	trap - EXIT INT TERM HUP
	for pid in $SCN_PIDS; do
		alive "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	for pid in $SCN_PIDS; do
		stop_pid "$pid" 2 >/dev/null
	done
	if [ -n "$T" ] && [ -d "$T" ]; then
		if [ "$SCN_DONE" = 1 ] && [ "${SCN_KEEP:-0}" != 1 ]; then
			rm -rf "$T"
		else
			echo "# $SCN_NAME: files kept in $T"
		fi
	fi
}

pass() {
	SCN_DONE=1
	echo "ok $SCN_NAME"
	exit 0
}

# fail REASON: one FAIL line, then the diagnostics, then exit 1.
fail() {
	local f l
	trap - INT TERM HUP
	echo "FAIL $SCN_NAME: $*"
	if [ -n "$T" ] && [ -s "$T/impd.log" ]; then
		echo "# --- impd log (last 40 lines) ---"
		tail -n 40 "$T/impd.log" | awk '{ print "# " $0 }'
	fi
	for l in $SCN_SIPP_LABELS; do
		f=$T/$l.err
		if [ -s "$f" ]; then
			echo "# --- sipp $l errors (last 40 lines) ---"
			tail -n 40 "$f" | awk '{ print "# " $0 }'
		fi
		f=$T/$l.out
		if [ -s "$f" ] && grep -v 'errors (send' "$f" |
		   grep -qiE 'error|fatal|unable|usage|unknown'; then
			echo "# --- sipp $l output (matching lines) ---"
			grep -v 'errors (send' "$f" |
				grep -iE 'error|fatal|unable|usage|unknown' |
				tail -n 10 | awk '{ print "# " $0 }'
		fi
	done
	if [ -n "$T" ] && [ -s "$T/extra.diag" ]; then
		echo "# --- other diagnostics ---"
		tail -n 40 "$T/extra.diag" | awk '{ print "# " $0 }'
	fi
	exit 1
}

# diag FILE TITLE: append a file's tail to what fail() prints.
diag() {
	[ -n "$T" ] || return 0
	{
		echo "--- $2 ---"
		if [ -f "$1" ]; then tail -n 30 "$1"; else echo "(no $1)"; fi
	} >>"$T/extra.diag"
}

# --------------------------------------------------------------------------
# ports

# free_port: a port on 127.0.0.1 that is free for both UDP and TCP right
# now, outside the kernel's ephemeral range and never handed out before in
# this scenario (the ports handed out are kept in $T/ports, so that this
# works from $(...) too). 5060 and the ports the conformance kit listens on
# are never chosen. free_port pair: a port P with P+1 free as well (both
# are taken).
free_port() {
	"$PYTHON" - "$T/ports" "${1:-}" <<'EOF' || abort "no free port found"
import random, socket, sys
path, pair = sys.argv[1], sys.argv[2] == 'pair'
try:
    with open(path) as f:
        taken = {int(a) for a in f.read().split()}
except OSError:
    taken = set()
lo, hi = 20000, 32000
try:
    with open('/proc/sys/net/ipv4/ip_local_port_range') as f:
        hi = min(hi, int(f.read().split()[0]) - 2)
except (OSError, ValueError, IndexError):
    pass
avoid = {5050, 5060, 5061, 5070, 5080, 6050, 19823}


def free(p):
    if p in taken or p in avoid:
        return False
    socks = []
    try:
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            s = socket.socket(socket.AF_INET, kind)
            socks.append(s)
            s.bind(('127.0.0.1', p))
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()
    return True


rnd = random.SystemRandom()
for _ in range(1000):
    p = rnd.randint(lo, hi)
    if free(p) and (not pair or free(p + 1)):
        with open(path, 'a') as f:
            f.write('%d %d\n' % (p, p + 1) if pair else '%d\n' % p)
        print(p)
        sys.exit(0)
sys.exit(1)
EOF
}

# listening PROTO PORT: true when something has 127.0.0.1:PORT bound (UDP)
# or listens on it (TCP). ss (iproute2) when there, else a bind test.
listening() {
	local opt=-Hltn
	[ "$1" = udp ] && opt=-Hlun
	if command -v ss >/dev/null 2>&1; then
		ss $opt "sport = :$2" 2>/dev/null | grep -q .
		return
	fi
	! "$PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_INET,
                  socket.SOCK_DGRAM if sys.argv[1] == "udp"
                  else socket.SOCK_STREAM)
s.bind(("127.0.0.1", int(sys.argv[2])))
' "$1" "$2" 2>/dev/null
}

# wait_listen PROTO PORT [SECONDS]: wait until something listens on
# 127.0.0.1:PORT (PROTO udp or tcp).
wait_listen() {
	local n=$(( ${3:-5} * 20 ))
	while [ $n -gt 0 ]; do
		listening "$1" "$2" && return 0
		sleep 0.05
		n=$((n - 1))
	done
	return 1
}

# --------------------------------------------------------------------------
# impd and impctl

# impctl ARGS...: impctl on this scenario's store; output on stdout.
impctl() {
	timeout 20 "$IMPCTL" --store "sqlite:$T/impd.db" "$@"
}

add_domain() {
	impctl domain add "$1" >>"$T/impctl.log" 2>&1 ||
		fail "impctl domain add $1 failed: $(tail -n 3 "$T/impctl.log")"
}

# add_user NAME PASSWORD: NAME@example.com.
add_user() {
	impctl user add "$1@$DOMAIN" --password "$2" >>"$T/impctl.log" 2>&1 ||
		fail "impctl user add $1 failed: $(tail -n 3 "$T/impctl.log")"
}

# reg_list AOR: the bindings, one per line.
reg_list() {
	impctl reg list "$1" 2>>"$T/impctl.log"
}

# wait_reg AOR PATTERN [SECONDS]: wait until a binding of AOR matches PATTERN
# (a fixed string). wait_unreg: until none does.
wait_reg() {
	local n=$(( ${3:-5} * 10 ))
	while [ $n -gt 0 ]; do
		reg_list "$1" | grep -qF -- "$2" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

wait_unreg() {
	local n=$(( ${3:-5} * 10 ))
	while [ $n -gt 0 ]; do
		reg_list "$1" | grep -qF -- "$2" || return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# start_impd ARGS...: start impd in the background, stderr and stdout to
# $T/impd.log, and wait up to 10 s for "impd ready".
start_impd() {
	local n=200
	echo "=== impd $*" >>"$T/impd.log"
	"$IMPD" "$@" >>"$T/impd.log" 2>&1 &
	IMPD_PID=$!
	track "$IMPD_PID"
	note "impd pid $IMPD_PID: $*"
	while [ $n -gt 0 ]; do
		# count the ready lines: a restart appends to the same log
		if [ "$(grep -c 'impd ready' "$T/impd.log")" -ge \
		     "$(grep -c '^=== impd ' "$T/impd.log")" ]; then
			return 0
		fi
		if ! alive "$IMPD_PID"; then
			wait "$IMPD_PID"
			fail "impd exited with status $? before it was ready"
		fi
		sleep 0.05
		n=$((n - 1))
	done
	fail "impd not ready after 10 s"
}

# start_impd_default [ARGS...]: UDP and TCP on $SIP_PORT, example.com, the
# scenario's store, plus ARGS. impd as shipped challenges with MD5 first and
# SHA-256 second; sipp 3.6.1 and baresip 1.0 answer only the first
# challenge, with MD5. IMPD_EXTRA may add options (empty by default).
IMPD_EXTRA=${IMPD_EXTRA-}
start_impd_default() {
	# shellcheck disable=SC2086
	start_impd --listen "udp:127.0.0.1:$SIP_PORT" \
		--listen "tcp:127.0.0.1:$SIP_PORT" --domain "$DOMAIN" \
		--store "sqlite:$T/impd.db" --log-level "$IMPD_LOG_LEVEL" \
		$IMPD_EXTRA "$@"
}

# stop_impd: SIGTERM; fails the scenario if impd needs SIGKILL (5 s) or
# exits non-zero (a sanitizer build reports leaks that way).
stop_impd() {
	local st
	[ -n "$IMPD_PID" ] || return 0
	if ! alive "$IMPD_PID"; then
		wait "$IMPD_PID"
		st=$?
		IMPD_PID=""
		fail "impd had died (status $st)"
	fi
	stop_pid "$IMPD_PID" 5 || fail "impd did not stop within 5 s of SIGTERM"
	wait "$IMPD_PID"
	st=$?
	IMPD_PID=""
	[ $st = 0 ] || fail "impd exited with status $st on SIGTERM"
}

kill9_impd() {
	[ -n "$IMPD_PID" ] || return 0
	kill -KILL "$IMPD_PID" 2>/dev/null
	wait "$IMPD_PID" 2>/dev/null
	IMPD_PID=""
}

# impd_alive: fail the scenario if impd died.
impd_alive() {
	if [ -n "$IMPD_PID" ] && ! alive "$IMPD_PID"; then
		wait "$IMPD_PID"
		fail "impd died (status $?)"
	fi
}

# --------------------------------------------------------------------------
# sipp

# sipp_args LABEL: the options every sipp run gets. Traces go to
# $T/LABEL.{msg,err,log}; the screen to $T/LABEL.out.
sipp_args() {
	echo "-i 127.0.0.1 -nostdin -timeout ${SIPP_TIMEOUT:-20}s" \
		"-timeout_error -trace_err -error_file $T/$1.err" \
		"-trace_msg -message_file $T/$1.msg" \
		"-trace_logs -log_file $T/$1.log -max_socket 64"
}

# run_sipp LABEL XML SIPP-ARGS...: sipp in the foreground; returns its exit
# status. SIPP-ARGS hold at least -p PORT, -m N and the remote host:port.
run_sipp() {
	local label=$1 xml=$2
	shift 2
	SCN_SIPP_LABELS="$SCN_SIPP_LABELS $label"
	note "sipp $label: $xml $*"
	# shellcheck disable=SC2046
	"$SIPP" -sf "$xml" $(sipp_args "$label") "$@" \
		>"$T/$label.out" 2>&1 </dev/null
}

# start_sipp LABEL XML SIPP-ARGS...: the same in the background; the PID is
# in SIPP_PID_<LABEL>. Waits until sipp's port (-p) listens.
start_sipp() {
	local label=$1 xml=$2 port="" proto=udp a prev=""
	shift 2
	for a in "$@"; do
		[ "$prev" = -p ] && port=$a
		[ "$prev" = -t ] && case $a in t*) proto=tcp ;; esac
		prev=$a
	done
	SCN_SIPP_LABELS="$SCN_SIPP_LABELS $label"
	note "sipp $label (background): $xml $*"
	# shellcheck disable=SC2046
	"$SIPP" -sf "$xml" $(sipp_args "$label") "$@" \
		>"$T/$label.out" 2>&1 </dev/null &
	eval "SIPP_PID_$label=$!"
	track $!
	if [ -n "$port" ] && ! wait_listen "$proto" "$port" 5; then
		fail "sipp $label not listening on $proto port $port"
	fi
}

# wait_sipp LABEL: wait for a background sipp; returns its exit status.
wait_sipp() {
	local pid
	eval "pid=\$SIPP_PID_$1"
	wait "$pid"
}

# sipp_ok LABEL STATUS: fail with a useful reason unless STATUS is 0.
sipp_ok() {
	[ "$2" = 0 ] && return 0
	case $2 in
	1) fail "sipp $1: a call failed (exit 1)" ;;
	99) fail "sipp $1: no call processed (exit 99)" ;;
	254) fail "sipp $1: could not bind its socket (exit -2)" ;;
	255) fail "sipp $1: fatal error (exit -1)" ;;
	*) fail "sipp $1: exit status $2" ;;
	esac
}

# register USER PORT [Q [SIPP-ARGS...]]: register USER@example.com with
# contact 127.0.0.1:PORT through a throw-away sipp (common/register.xml),
# digest password "secret" unless $REG_PASS is set. The REGISTER is sent
# from PORT itself, as a phone does (the phone's sipp starts on PORT once
# this one is done), unless $REG_SRC_PORT names another port. The contact's
# host:port and parameters can be overridden with $REG_CONTACT, the server
# address with $REG_SERVER, and the Via transport with $REG_VIA. Waits
# until impctl lists the binding.
register() {
	local user=$1 port=$2 q=${3:-1.0} label
	shift 2
	[ $# -gt 0 ] && shift
	label=reg_${user}_$port
	run_sipp "$label" "$SCN_COMMON/register.xml" \
		-p "${REG_SRC_PORT:-$port}" -m 1 \
		-key user "$user" -key domain "$DOMAIN" \
		-key contact "${REG_CONTACT:-127.0.0.1:$port}" -key q "$q" \
		-key expires "${REG_EXPIRES:-600}" -key via_tp "${REG_VIA:-UDP}" \
		-auth_uri "$DOMAIN" -au "$user" -ap "${REG_PASS:-secret}" \
		"$@" \
		"${REG_SERVER:-127.0.0.1:$SIP_PORT}"
	sipp_ok "$label" $?
	wait_reg "$user@$DOMAIN" "${REG_CONTACT:-127.0.0.1:$port}" 5 ||
		fail "impctl reg list $user@$DOMAIN does not show" \
			"${REG_CONTACT:-127.0.0.1:$port} after a 200 OK"
}

# --------------------------------------------------------------------------
# message traces

# sipmsg ARGS...: tests/scenario/sipmsg.py (reads sipp -trace_msg files).
sipmsg() {
	"$PYTHON" "$SCN_ROOT/sipmsg.py" "$@"
}

# via_key VIA-VALUE: "sent-by branch" of a Via value (what RFC 3261 17.1.3
# matches on).
via_key() {
	echo "$1" | sed -n 's/^[^ ]* *\([^;]*\).*;branch=\([^;,]*\).*/\1 \2/p'
}

# --------------------------------------------------------------------------
# TLS (stunnel4 in front of sipp, which has no TLS)

# tls_files: sets TLS_CA, TLS_CERT and TLS_KEY: tests/data/tls when it is
# there, else a CA and a server certificate for 127.0.0.1 made with openssl
# in $T/tls.
tls_files() {
	local d=$REPO/tests/data/tls
	if [ -r "$d/ca.pem" ] && [ -r "$d/server.pem" ] &&
	   [ -r "$d/server.key" ]; then
		TLS_CA=$d/ca.pem
		TLS_CERT=$d/server.pem
		TLS_KEY=$d/server.key
		return 0
	fi
	need openssl openssl
	d=$T/tls
	mkdir -p "$d"
	(
		set -e
		cd "$d"
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
			-subj "/CN=impd scenario CA" -keyout ca.key -out ca.pem \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign"
		openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
			-keyout server.key -out server.csr
		printf '%s\n' "basicConstraints=CA:FALSE" \
			"extendedKeyUsage=serverAuth,clientAuth" \
			"subjectAltName=IP:127.0.0.1,DNS:localhost" >ext.cnf
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
			-CAcreateserial -days 2 -extfile ext.cnf -out server.pem
	) >>"$T/openssl.log" 2>&1 ||
		fail "openssl could not make test certificates" \
			"($(tail -n 1 "$T/openssl.log"))"
	TLS_CA=$d/ca.pem
	TLS_CERT=$d/server.pem
	TLS_KEY=$d/server.key
}

# start_stunnel NAME client|server ACCEPT-PORT CONNECT-PORT: stunnel in the
# foreground (tracked by PID), config and log in $T/stunnel-NAME.*.
# client: plain TCP in on ACCEPT-PORT, TLS out to CONNECT-PORT, whose
# certificate must chain to TLS_CA and name 127.0.0.1. server: TLS in with
# TLS_CERT, plain TCP out.
start_stunnel() {
	local name=$1 mode=$2 acc=$3 con=$4 conf=$T/stunnel-$1.conf
	need "$STUNNEL" stunnel4
	{
		echo "foreground = yes"
		echo "pid = $T/stunnel-$name.pid"
		echo "debug = info"
		echo "[sip-$name]"
		echo "accept = 127.0.0.1:$acc"
		echo "connect = 127.0.0.1:$con"
		if [ "$mode" = client ]; then
			echo "client = yes"
			echo "CAfile = $TLS_CA"
			echo "verifyChain = yes"
			echo "checkIP = 127.0.0.1"
		else
			echo "cert = $TLS_CERT"
			echo "key = $TLS_KEY"
		fi
	} >"$conf"
	"$STUNNEL" "$conf" >"$T/stunnel-$name.log" 2>&1 </dev/null &
	track $!
	note "stunnel $name pid $!: $mode 127.0.0.1:$acc -> 127.0.0.1:$con"
	wait_listen tcp "$acc" 5 || {
		diag "$T/stunnel-$name.log" "stunnel $name log"
		fail "stunnel $name not listening on $acc"
	}
}

# --------------------------------------------------------------------------
# presence helpers (sipp scenarios in presence/; traces read by sipmsg.py)

PRES_XML=$SCN_ROOT/presence

# port_pool N: take N free ports at once (free_port's rules; one Python
# start instead of N, which counts on a loaded machine); pool_port hands
# them out (in the current shell: "p=$(pool_port)" works, the pool file
# is shared) and falls back to free_port when the pool is empty.
port_pool() {
	"$PYTHON" - "$T/ports" "$1" >>"$T/port_pool" <<'PYEOF' ||
import random, socket, sys
path, want = sys.argv[1], int(sys.argv[2])
try:
    with open(path) as f:
        taken = {int(a) for a in f.read().split()}
except OSError:
    taken = set()
lo, hi = 20000, 32000
try:
    with open('/proc/sys/net/ipv4/ip_local_port_range') as f:
        hi = min(hi, int(f.read().split()[0]) - 2)
except (OSError, ValueError, IndexError):
    pass
avoid = {5050, 5060, 5061, 5070, 5080, 6050, 19823}


def free(p):
    if p in taken or p in avoid:
        return False
    socks = []
    try:
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            s = socket.socket(socket.AF_INET, kind)
            socks.append(s)
            s.bind(('127.0.0.1', p))
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()
    return True


rnd = random.SystemRandom()
got = []
for _ in range(1000 * want):
    if len(got) == want:
        break
    p = rnd.randint(lo, hi)
    if free(p):
        taken.add(p)
        got.append(p)
if len(got) < want:
    sys.exit(1)
with open(path, 'a') as f:
    f.write(''.join('%d\n' % p for p in got))
print('\n'.join(str(p) for p in got))
PYEOF
		abort "no free ports found"
}

pool_port() {
	local p
	p=$(head -n 1 "$T/port_pool" 2>/dev/null)
	if [ -z "$p" ]; then
		free_port
		return
	fi
	sed -i 1d "$T/port_pool"
	echo "$p"
}

# watch LABEL USER TO [EVENT [EXPIRES]]: a watcher in the background
# (presence/watch.xml) on a port of its own (WPORT_<LABEL>): USER@example.com
# subscribes to TO@example.com for EVENT (presence; presence.winfo, reg ...)
# with Expires EXPIRES (600), digest password $W_PASS (secret), Accept
# $W_ACCEPT (the package's type); refreshes ask for $W_REXPIRES (EXPIRES).
# It answers every NOTIFY until one is terminated; kick_watcher steers it.
watch() {
	local label=$1 user=$2 to=$3 event=${4:-presence} exp=${5:-600}
	local port accept SIPP_TIMEOUT=${W_TIMEOUT:-60}
	case $event in
	*.winfo) accept=application/watcherinfo+xml ;;
	reg) accept=application/reginfo+xml ;;
	*) accept=application/pidf+xml ;;
	esac
	port=$(pool_port)
	eval "WPORT_$label=$port"
	start_sipp "$label" "$PRES_XML/watch.xml" -p "$port" -m 1 \
		-key user "$user" -key domain "$DOMAIN" -key to "$to" \
		-key event "$event" -key accept "${W_ACCEPT:-$accept}" \
		-key expires "$exp" -key rexpires "${W_REXPIRES:-$exp}" \
		-auth_uri "$to@$DOMAIN" -au "$user" -ap "${W_PASS:-secret}" \
		"127.0.0.1:$SIP_PORT"
}

# kick_watcher LABEL unsub|refresh: make the watcher unsubscribe (an
# OPTIONS with its Call-ID) or refresh (an INFO); it reads both as
# commands, nothing else sees them.
kick_watcher() {
	local label=$1 method=OPTIONS port cid
	[ "$2" = refresh ] && method=INFO
	eval "port=\${WPORT_$label:-}"
	[ -n "$port" ] || fail "kick_watcher: no watcher $label"
	# the first Call-ID in the trace is the SUBSCRIBE's (grep and cat, no
	# Python start-up: refreshes are timed)
	cid=$(grep -m 1 -i '^Call-ID:' "$T/$label.msg" 2>/dev/null |
		sed 's/^[^:]*: *//' | tr -d '\r')
	[ -n "$cid" ] || fail "watcher $label has sent no SUBSCRIBE"
	note "kick $label: $method (Call-ID $cid)"
	printf '%s\r\n' "$method sip:watcher@127.0.0.1:$port SIP/2.0" \
		"Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKkick$RANDOM" \
		"Max-Forwards: 70" "From: <sip:kick@127.0.0.1>;tag=kick" \
		"To: <sip:watcher@127.0.0.1>" "Call-ID: $cid" \
		"CSeq: 1 $method" "Content-Length: 0" "" >"$T/kick.$label"
	# one write, one datagram
	cat "$T/kick.$label" >"/dev/udp/127.0.0.1/$port" ||
		fail "could not send the $method kick to watcher $label"
}

# end_watcher LABEL: wait for the watcher to finish (after a terminated
# NOTIFY) and fail unless its call succeeded.
end_watcher() {
	wait_sipp "$1"
	sipp_ok "$1" $?
}

# notifies LABEL: how many NOTIFYs the watcher LABEL has received so far:
# distinct NOTIFY CSeq numbers in its trace (one dialog; a retransmission
# counts once, as in sipmsg.py; grep: no Python start-up in polling loops).
notifies() {
	if [ -s "$T/$1.msg" ]; then
		grep -a '^CSeq: *[0-9]* *NOTIFY' "$T/$1.msg" | tr -d ' \r' |
			sort -u | wc -l
	else
		echo 0
	fi
}

# wait_notify LABEL N [SECONDS]: wait (5 s) until LABEL got N NOTIFYs; fail
# naming WHAT ($4, "NOTIFY N") otherwise.
wait_notify() {
	local n=$(( ${3:-5} * 20 ))
	while [ $n -gt 0 ]; do
		[ "$(notifies "$1")" -ge "$2" ] && return 0
		impd_alive
		sleep 0.05
		n=$((n - 1))
	done
	fail "watcher $1: ${4:-NOTIFY $2} did not arrive within ${3:-5} s" \
		"($(notifies "$1") NOTIFYs so far)"
}

# no_notify LABEL N SECONDS: fail if LABEL gets more than N NOTIFYs within
# SECONDS.
no_notify() {
	local n=$(( $3 * 20 ))
	while [ $n -gt 0 ]; do
		[ "$(notifies "$1")" -gt "$2" ] &&
			fail "watcher $1: unexpected NOTIFY $(( $2 + 1 ))" \
				"($(notify_hdr "$1" $(( $2 + 1 )) \
					Subscription-State))"
		sleep 0.05
		n=$((n - 1))
	done
}

# notify_doc LABEL N: the summary of NOTIFY N's body (sipmsg.py doc); N -1
# is the last one.
notify_doc() {
	sipmsg doc "$T/$1.msg" recv '^NOTIFY' "$2"
}

# notify_hdr LABEL N NAME: header NAME of NOTIFY N (first value).
notify_hdr() {
	sipmsg nheader "$T/$1.msg" recv '^NOTIFY' "$2" "$3"
}

# notify_time LABEL N: when NOTIFY N arrived (seconds since the epoch).
notify_time() {
	sipmsg ntime "$T/$1.msg" recv '^NOTIFY' "$2"
}

# doc_has LABEL N LINE...: fail unless the summary of NOTIFY N has every
# LINE (grep -E patterns matching whole lines); doc_lacks: none of them.
doc_has() {
	local label=$1 n=$2 doc l
	shift 2
	doc=$(notify_doc "$label" "$n" 2>&1) ||
		fail "watcher $label: NOTIFY $n has no readable body ($doc)"
	for l in "$@"; do
		echo "$doc" | grep -qxE -- "$l" ||
			fail "watcher $label: NOTIFY $n lacks '$l'; it has:" \
				"$(echo "$doc" | tr '\n' '|')"
	done
}

doc_lacks() {
	local label=$1 n=$2 doc l
	shift 2
	doc=$(notify_doc "$label" "$n" 2>&1) ||
		fail "watcher $label: NOTIFY $n has no readable body ($doc)"
	for l in "$@"; do
		echo "$doc" | grep -qxE -- "$l" &&
			fail "watcher $label: NOTIFY $n has '$l':" \
				"$(echo "$doc" | tr '\n' '|')"
	done
	return 0
}

# hdr_is LABEL N NAME REGEX: fail unless header NAME of NOTIFY N matches
# the grep -E REGEX (whole value).
hdr_is() {
	local v
	v=$(notify_hdr "$1" "$2" "$3") ||
		fail "watcher $1: there is no NOTIFY $2"
	echo "$v" | grep -qxE -- "$4" ||
		fail "watcher $1: NOTIFY $2 has $3 '$v', expected '$4'"
}

# notify_dialog_ok LABEL: every NOTIFY of watcher LABEL belongs to the
# dialog its SUBSCRIBE made (Call-ID, our From tag as To tag, impd's To
# tag of the 200 as From tag), carries Event, and the CSeq numbers grow
# (sipmsg.py dialog).
notify_dialog_ok() {
	local r
	r=$(sipmsg dialog "$T/$1.msg") || fail "watcher $1: $r"
}

# make_pidf FILE USER TUPLE-ID open|closed [ACTIVITY [NOTE]]: a PIDF
# document for USER@example.com with one tuple (contact
# sip:USER@example.com) and, with ACTIVITY, a person with that RPID
# activity and NOTE.
make_pidf() {
	local f=$1 user=$2 id=$3 basic=$4 act=${5:-} note=${6:-}
	{
		echo '<?xml version="1.0" encoding="UTF-8"?>'
		echo '<presence xmlns="urn:ietf:params:xml:ns:pidf"'
		echo '    xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"'
		echo '    xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid"'
		echo "    entity=\"pres:$user@$DOMAIN\">"
		echo "  <tuple id=\"$id\">"
		echo "    <status><basic>$basic</basic></status>"
		echo "    <contact>sip:$user@$DOMAIN</contact>"
		echo '  </tuple>'
		if [ -n "$act" ]; then
			echo "  <dm:person id=\"p-$id\">"
			echo "    <rpid:activities><rpid:$act/>" \
				"</rpid:activities>"
			[ -n "$note" ] && echo "    <dm:note>$note</dm:note>"
			echo '  </dm:person>'
		fi
		echo '</presence>'
	} >"$f"
}

# publish LABEL EXPECT USER TO [BODY-FILE [HDRS]]: USER publishes for TO
# through presence/publish.xml (with BODY-FILE) or, without one,
# presence/publish_refresh.xml (SIP-If-Match $ETAG: refresh, or remove
# with PUB_EXPIRES=0); fails unless the final response is EXPECT (a code,
# or a grep -E pattern of codes: "400|200"). HDRS:
# extra header lines, each ending in CRLF ($'SIP-If-Match: x\r\n').
# PUB_EVENT (presence), PUB_EXPIRES (600), PUB_CTYPE (application/pidf+xml)
# and PUB_PASS (secret) override. Afterwards PUB_STATUS holds the status
# line and ETAG the SIP-ETag of the response (empty if none; a 2xx must
# have one). Set ETAG before the call, not as a prefix assignment (that
# one is undone when publish returns).
publish() {
	local label=$1 expect=$2 user=$3 to=$4 body=${5:-} hdrs=${6:-} st
	local code
	if [ -n "$body" ]; then
		run_sipp "$label" "$PRES_XML/publish.xml" -p "$(pool_port)" \
			-m 1 -key user "$user" -key domain "$DOMAIN" \
			-key to "$to" -key event "${PUB_EVENT:-presence}" \
			-key expires "${PUB_EXPIRES:-600}" \
			-key ctype "${PUB_CTYPE:-application/pidf+xml}" \
			-key body "$(cat "$body")" -key hdrs "$hdrs" \
			-auth_uri "$to@$DOMAIN" -au "$user" \
			-ap "${PUB_PASS:-secret}" "127.0.0.1:$SIP_PORT"
	else
		run_sipp "$label" "$PRES_XML/publish_refresh.xml" \
			-p "$(pool_port)" -m 1 -key user "$user" \
			-key domain "$DOMAIN" -key to "$to" \
			-key event "${PUB_EVENT:-presence}" \
			-key expires "${PUB_EXPIRES:-600}" -key etag "$ETAG" \
			-auth_uri "$to@$DOMAIN" -au "$user" \
			-ap "${PUB_PASS:-secret}" "127.0.0.1:$SIP_PORT"
	fi
	st=$?
	# the final response (the last one of 2xx-6xx: the 407 comes first)
	{ IFS= read -r PUB_STATUS; IFS= read -r ETAG; } < <(sipmsg nfields \
		"$T/$label.msg" recv '^SIP/2\.0 [2-6]' -1 SIP-ETag 2>/dev/null)
	code=$(echo "$PUB_STATUS" | awk '{ print $2 }')
	echo "$code" | grep -qxE -- "$expect" ||
		fail "PUBLISH $label ($user for $to): got '${PUB_STATUS:-no" \
			"final response}', expected $expect"
	sipp_ok "$label" $st
	if [ "${code#2}" != "$code" ] && [ -z "$ETAG" ]; then
		fail "PUBLISH $label: $PUB_STATUS without SIP-ETag"
	fi
	return 0
}

# pub_hdr LABEL NAME: header NAME of the final response of PUBLISH LABEL.
pub_hdr() {
	sipmsg nheader "$T/$1.msg" recv '^SIP/2\.0 [2-6]' -1 "$2"
}

# req_time LABEL: when sipp LABEL sent its last request (PUBLISH or
# REGISTER with credentials: the start of the change it makes; impd may
# notify before its answer arrives). pub_time is the same.
req_time() {
	sipmsg ntime "$T/$1.msg" sent '^[A-Z]+ ' -1
}

pub_time() {
	req_time "$1"
}

# notify_within LABEL N SINCE SECONDS: fail unless NOTIFY N of watcher LABEL
# arrived after SINCE (seconds since the epoch, e.g. pub_time) and at most
# SECONDS later.
notify_within() {
	local t d
	t=$(notify_time "$1" "$2") || fail "watcher $1: there is no NOTIFY $2"
	d=$(awk -v a="$t" -v b="$3" 'BEGIN { printf "%.3f", a - b }')
	awk -v d="$d" -v s="$4" 'BEGIN { exit !(d >= -0.01 && d <= s) }' ||
		fail "watcher $1: NOTIFY $2 came $d s after the change" \
			"(allowed: 0 to $4 s)"
}

# silent_port PORT SECONDS WHAT: listen on UDP 127.0.0.1:PORT (a finished
# sipp's) for SECONDS; fail naming WHAT if any message arrives.
silent_port() {
	local got
	got=$("$PYTHON" - "$1" "$2" <<'PYEOF'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', int(sys.argv[1])))
end = time.time() + float(sys.argv[2])
while True:
    left = end - time.time()
    if left <= 0:
        break
    s.settimeout(left)
    try:
        data = s.recv(65536)
    except socket.timeout:
        break
    print(data.split(b'\r\n', 1)[0].decode('latin-1'))
    break
PYEOF
)
	[ -z "$got" ] || fail "$3: got '$got'"
}

# notify_states LABEL: the Subscription-State of every NOTIFY of watcher
# LABEL, one a line, in order of arrival.
notify_states() {
	sipmsg headers "$T/$1.msg" recv '^NOTIFY' Subscription-State
}

# states_are LABEL REGEX...: fail unless watcher LABEL got exactly one
# NOTIFY per REGEX, the Subscription-State of each matching its REGEX
# (grep -E, whole value).
states_are() {
	local label=$1 st i=0 r v
	shift
	st=$(notify_states "$label")
	[ "$(echo "$st" | grep -c .)" = $# ] ||
		fail "watcher $label: $(echo "$st" | grep -c .) NOTIFYs" \
			"($(echo "$st" | tr '\n' '|')), expected $#"
	for r in "$@"; do
		i=$((i + 1))
		v=$(echo "$st" | sed -n "${i}p")
		echo "$v" | grep -qxE -- "$r" ||
			fail "watcher $label: NOTIFY $i has" \
				"Subscription-State '$v', expected '$r'"
	done
}

# subscribe_expect LABEL CODE USER TO [EVENT [EXPIRES]]: a SUBSCRIBE that
# must be refused (presence/subscribe_fail.xml); fails unless its final
# response is CODE. SUB_STATUS: the status line.
subscribe_expect() {
	local label=$1 expect=$2 user=$3 to=$4 event=${5:-presence}
	local exp=${6:-600} st code
	run_sipp "$label" "$PRES_XML/subscribe_fail.xml" -p "$(pool_port)" \
		-m 1 -key user "$user" -key domain "$DOMAIN" -key to "$to" \
		-key event "$event" -key accept "${W_ACCEPT:-*/*}" \
		-key expires "$exp" -auth_uri "$to@$DOMAIN" -au "$user" \
		-ap "${W_PASS:-secret}" "127.0.0.1:$SIP_PORT"
	st=$?
	SUB_STATUS=$(sipmsg nfields "$T/$label.msg" recv '^SIP/2\.0 [2-6]' -1 \
		2>/dev/null)
	code=$(echo "$SUB_STATUS" | awk '{ print $2 }')
	[ "$code" = "$expect" ] ||
		fail "SUBSCRIBE $label ($user to $to, $event, Expires $exp):" \
			"got '${SUB_STATUS:-no final response}'," \
			"expected $expect"
	sipp_ok "$label" $st
}

# sub_hdr LABEL NAME: header NAME of the final response of SUBSCRIBE LABEL.
sub_hdr() {
	sipmsg nheader "$T/$1.msg" recv '^SIP/2\.0 [2-6]' -1 "$2"
}

# unregister USER PORT: remove the binding 127.0.0.1:PORT of USER
# (presence/unregister.xml) and wait until impctl no longer lists it.
unregister() {
	local label=unreg_$1_$2
	run_sipp "$label" "$PRES_XML/unregister.xml" -p "$2" -m 1 \
		-key user "$1" -key domain "$DOMAIN" \
		-key contact "127.0.0.1:$2" \
		-auth_uri "$DOMAIN" -au "$1" -ap "${REG_PASS:-secret}" \
		"127.0.0.1:$SIP_PORT"
	sipp_ok "$label" $?
	wait_unreg "$1@$DOMAIN" "127.0.0.1:$2" 5 ||
		fail "binding 127.0.0.1:$2 of $1 still listed after Expires: 0"
}

# wait_doc LABEL SECONDS LINE...: wait until the last NOTIFY of watcher
# LABEL has a body whose summary (sipmsg.py doc) has every LINE (grep -E,
# whole line); the body is read again each time a NOTIFY arrives. Fails
# with the last summary. WAIT_DOC_N: the number of the NOTIFY that matched.
wait_doc() {
	local label=$1 n=$(( $2 * 20 )) seen=-1 cur doc="" l ok
	shift 2
	while [ $n -gt 0 ]; do
		cur=$(notifies "$label")
		if [ "$cur" != "$seen" ] && [ "$cur" -gt 0 ]; then
			seen=$cur
			doc=$(notify_doc "$label" "$cur" 2>&1)
			ok=1
			for l in "$@"; do
				if ! echo "$doc" | grep -qxE -- "$l"; then
					ok=0
					break
				fi
			done
			if [ $ok = 1 ]; then
				WAIT_DOC_N=$cur
				return 0
			fi
		fi
		impd_alive
		sleep 0.05
		n=$((n - 1))
	done
	fail "watcher $label: no NOTIFY with '$*' (last of $seen:" \
		"$(echo "$doc" | tr '\n' '|'))"
}

# pidf_valid LABEL: fail unless every PIDF body watcher LABEL received has
# only basic values open or closed (RFC 3863 4.1.4; a status without
# basic, "-", is valid too) and an entity.
pidf_valid() {
	local bad
	bad=$(sipmsg docs "$T/$1.msg" recv '^NOTIFY' | awk '
		/^--- / { n = $2 }
		/^tuple / && $3 != "open" && $3 != "closed" && $3 != "-" {
			print "NOTIFY " n ": tuple " $2 " has basic \"" $3 "\""
			exit }
		/^entity -$/ { print "NOTIFY " n ": no entity"; exit }')
	[ -z "$bad" ] || fail "watcher $1: invalid PIDF: $bad"
}

# timed_impctl ARGS...: impctl ARGS (fails the scenario on error), noting
# when it started and ended (CHANGE_T0, CHANGE_T1: the change it makes is
# stored somewhere in between).
timed_impctl() {
	CHANGE_T0=$(date +%s.%N)
	impctl "$@" >>"$T/impctl.log" 2>&1 ||
		fail "impctl $* failed: $(tail -n 2 "$T/impctl.log")"
	CHANGE_T1=$(date +%s.%N)
}

# notify_after_change LABEL N SECONDS: NOTIFY N of watcher LABEL came after
# the last timed_impctl started and at most SECONDS after it ended.
notify_after_change() {
	local t d
	t=$(notify_time "$1" "$2") || fail "watcher $1: there is no NOTIFY $2"
	d=$(awk -v a="$t" -v b="$CHANGE_T1" 'BEGIN { printf "%.3f", a - b }')
	awk -v a="$t" -v b="$CHANGE_T0" -v d="$d" -v s="$3" \
		'BEGIN { exit !(a - b >= -0.01 && d <= s) }' ||
		fail "watcher $1: NOTIFY $2 came $d s after impctl ended" \
			"(allowed: from its start to $3 s after its end)"
}

# --------------------------------------------------------------------------
# IM helpers (sipp scenarios in im/; traces read by sipmsg.py)

IM_XML=$SCN_ROOT/im

# im_reason CODE: a reason phrase for a device's answer.
im_reason() {
	case $1 in
	200) echo OK ;;
	403) echo Forbidden ;;
	408) echo Request Timeout ;;
	415) echo Unsupported Media Type ;;
	480) echo Temporarily Unavailable ;;
	486) echo Busy Here ;;
	488) echo Not Acceptable Here ;;
	500) echo Server Internal Error ;;
	503) echo Service Unavailable ;;
	603) echo Decline ;;
	*) echo Answer ;;
	esac
}

# device LABEL USER [CODE]: a phone of USER@example.com in the background
# (im/device.xml) on a port of its own (DPORT_<LABEL>): it registers
# 127.0.0.1:PORT from that port (digest password $DEV_PASS, secret), then
# answers every MESSAGE with CODE (200) for $DEV_HOLD ms (50000) or until
# stop_device; each answer leaves $DEV_DELAY ms (0) after the MESSAGE
# came. Waits until impctl lists the binding. Messages impd sends right
# after the 200 to the REGISTER reach it: it listens before it registers.
# DEV_EXPIRES: the Expires it asks for (600).
device() {
	local label=$1 user=$2 code=${3:-200} port ooc
	local SIPP_TIMEOUT=${DEV_TIMEOUT:-60}
	port=$(pool_port)
	eval "DPORT_$label=$port"
	ooc=$T/device_ooc_$code.xml
	sed "s/SIP\/2\.0 CODE /SIP\/2.0 $code /" "$IM_XML/device_ooc.xml" \
		>"$ooc"
	start_sipp "$label" "$IM_XML/device.xml" -p "$port" -m 1 \
		-oocsf "$ooc" -key user "$user" -key domain "$DOMAIN" \
		-key expires "${DEV_EXPIRES:-600}" \
		-key hold "${DEV_HOLD:-50000}" -key reason "$(im_reason "$code")" \
		-key delay "${DEV_DELAY:-0}" \
		-auth_uri "$DOMAIN" -au "$user" -ap "${DEV_PASS:-secret}" \
		"127.0.0.1:$SIP_PORT"
	wait_reg "$user@$DOMAIN" "127.0.0.1:$port" 5 ||
		fail "device $label ($user, port $port) did not register"
}

# stop_device LABEL: stop the device's sipp (its binding stays).
stop_device() {
	local pid
	eval "pid=\${SIPP_PID_$1:-}"
	[ -n "$pid" ] && stop_pid "$pid" 2
	return 0
}

# im_send LABEL EXPECT USER TO BODY [CTYPE [HDRS]]: USER@example.com sends
# one MESSAGE to sip:TO@example.com (im/send.xml: 407, then with
# credentials, password $IM_PASS or secret) with BODY (a string) of type
# CTYPE (text/plain;charset=UTF-8) and extra header lines HDRS (each
# ending in CRLF); fails unless the final response's code matches EXPECT
# (a grep -E pattern: "202", "200|202"). IM_STATUS: its status line.
im_send() {
	local label=$1 expect=$2 user=$3 to=$4 body=$5
	local ctype=${6:-text/plain;charset=UTF-8} hdrs=${7:-} st code
	run_sipp "$label" "$IM_XML/send.xml" -p "$(pool_port)" -m 1 \
		-key user "$user" -key domain "$DOMAIN" -key to "$to" \
		-key ctype "$ctype" -key body "$body" -key hdrs "$hdrs" \
		-auth_uri "$to@$DOMAIN" -au "$user" -ap "${IM_PASS:-secret}" \
		"127.0.0.1:$SIP_PORT"
	st=$?
	IM_STATUS=$(sipmsg nfields "$T/$label.msg" recv '^SIP/2\.0 [2-6]' -1 \
		2>/dev/null)
	code=$(echo "$IM_STATUS" | awk '{ print $2 }')
	echo "$code" | grep -qxE -- "$expect" ||
		fail "MESSAGE $label ($user to $to): got" \
			"'${IM_STATUS:-no final response}', expected $expect"
	sipp_ok "$label" $st
}

# im_sent LABEL FILE: the body of the MESSAGE with credentials that
# im_send LABEL sent, byte for byte, into FILE.
im_sent() {
	sipmsg body "$T/$1.msg" sent '^MESSAGE .*\|2 MESSAGE$' >"$2" ||
		fail "sender $1 sent no MESSAGE with credentials"
}

# im_status_is LABEL REGEX: the final response of im_send LABEL (status
# line) matches REGEX (grep -E, whole line).
im_status_is() {
	local s
	s=$(sipmsg nfields "$T/$1.msg" recv '^SIP/2\.0 [2-6]' -1 2>/dev/null)
	echo "$s" | grep -qxE -- "$2" ||
		fail "MESSAGE $1: final response '$s', expected '$2'"
}

# now_ms: the time in milliseconds (wall clock; the polling loops below
# end by the clock, not by a count, as starting Python may take long on
# a busy machine).
now_ms() {
	local t=${EPOCHREALTIME//[.,]/}
	echo $(( t / 1000 ))
}

# msgs LABEL: how many MESSAGE requests device LABEL has received so far
# (distinct Call-ID and CSeq: a retransmission counts once; awk, no
# Python start-up in polling loops).
msgs() {
	if [ -s "$T/$1.msg" ]; then
		awk '
		{ sub(/\r$/, "") }
		/^-+ [0-9][0-9][0-9][0-9]-/ { st = 0; next }
		/^(UDP|TCP|TLS|SCTP) message received/ { st = 1; next }
		/^(UDP|TCP|TLS|SCTP) message sent/ { st = 0; next }
		st == 1 && $0 != "" { st = ($0 ~ /^MESSAGE /) ? 2 : 0
			cid = ""; cs = ""; next }
		st == 2 && $0 == "" { seen[cid "|" cs] = 1; st = 0; next }
		st == 2 && tolower($0) ~ /^(call-id|i)[ \t]*:/ { cid = $0 }
		st == 2 && tolower($0) ~ /^cseq[ \t]*:/ { cs = $0 }
		END { n = 0; for (k in seen) n++; print n }' "$T/$1.msg"
	else
		echo 0
	fi
}

# wait_msgs LABEL N [SECONDS [WHAT]]: wait (5 s) until device LABEL got N
# MESSAGEs; fail naming WHAT otherwise.
wait_msgs() {
	local end=$(( $(now_ms) + ${3:-5} * 1000 ))
	while :; do
		[ "$(msgs "$1")" -ge "$2" ] && return 0
		impd_alive
		[ "$(now_ms)" -ge $end ] && break
		sleep 0.05
	done
	fail "device $1: ${4:-MESSAGE $2} did not arrive within ${3:-5} s" \
		"($(msgs "$1") MESSAGEs so far)"
}

# msgs_exactly LABEL N SECONDS: device LABEL has N MESSAGEs and no more
# arrive within SECONDS.
msgs_exactly() {
	local end=$(( $(now_ms) + $3 * 1000 )) got
	while :; do
		got=$(msgs "$1")
		[ "$got" -gt "$2" ] &&
			fail "device $1: $got MESSAGEs, expected exactly $2" \
				"(the extra: $(msg_fields "$1" $(( $2 + 1 )) \
					Content-Type | tr '\n' '|'))"
		[ "$(now_ms)" -ge $end ] && break
		sleep 0.05
	done
	[ "$got" = "$2" ] ||
		fail "device $1: $got MESSAGEs, expected exactly $2"
}

# msg_hdr LABEL N NAME: header NAME of MESSAGE N device LABEL received.
msg_hdr() {
	sipmsg nheader "$T/$1.msg" recv '^MESSAGE ' "$2" "$3"
}

# msg_fields LABEL N NAME...: its request line and those headers.
msg_fields() {
	local label=$1 n=$2
	shift 2
	sipmsg nfields "$T/$label.msg" recv '^MESSAGE ' "$n" "$@"
}

# msg_body LABEL N FILE: the body of MESSAGE N of device LABEL into FILE.
msg_body() {
	sipmsg nbody "$T/$1.msg" recv '^MESSAGE ' "$2" >"$3" ||
		fail "device $1: there is no MESSAGE $2"
}

# msg_time LABEL N: when MESSAGE N reached device LABEL.
msg_time() {
	sipmsg ntime "$T/$1.msg" recv '^MESSAGE ' "$2"
}

# msg_hdr_is LABEL N NAME REGEX: header NAME of MESSAGE N matches REGEX
# (grep -E, whole value).
msg_hdr_is() {
	local v
	v=$(msg_hdr "$1" "$2" "$3") || fail "device $1: there is no MESSAGE $2"
	echo "$v" | grep -qxE -- "$4" ||
		fail "device $1: MESSAGE $2 has $3 '$v', expected '$4'"
}

# msg_cpim LABEL N: the summary of MESSAGE N's CPIM body (sipmsg.py cpim).
msg_cpim() {
	sipmsg cpim "$T/$1.msg" recv '^MESSAGE ' "$2"
}

# cpim_has LABEL N LINE...: fail unless the CPIM summary of MESSAGE N of
# device LABEL has every LINE (grep -E, whole line).
cpim_has() {
	local label=$1 n=$2 sum l
	shift 2
	sum=$(msg_cpim "$label" "$n" 2>&1) ||
		fail "device $label: MESSAGE $n has no valid CPIM body ($sum)"
	for l in "$@"; do
		echo "$sum" | grep -qxE -- "$l" ||
			fail "device $label: MESSAGE $n: CPIM lacks '$l'; it has:" \
				"$(echo "$sum" | tr '\n' '|')"
	done
}

# cpim_value LABEL N H|C NAME: the value of CPIM message (H) or content
# (C) header NAME (first one) of MESSAGE N.
cpim_value() {
	msg_cpim "$1" "$2" 2>/dev/null |
		sed -n "s/^$3 $4: //p" | head -n 1
}

# deferred_ok LABEL N SENDER TO SENT-LABEL: MESSAGE N of device LABEL is
# the deferred form (message/cpim) of what im_send SENT-LABEL sent, from
# sip:SENDER@example.com to sip:TO@example.com: SIP From and To, CPIM
# From, To and DateTime, the inner Content-Type equal to the original's
# and the inner body equal to the original byte for byte (sipmsg.py
# deferred). DEFERRED_DT: its CPIM DateTime.
deferred_ok() {
	local r
	r=$(sipmsg deferred "$T/$1.msg" "$2" "$T/$5.msg" "sip:$3@$DOMAIN" \
		"sip:$4@$DOMAIN") ||
		fail "device $1: MESSAGE $2 (deferred from $5): $r"
	DEFERRED_DT=${r#ok }
}

# datetimes_sorted VALUE...: fail unless every VALUE is an RFC 3339 date
# and time and they never decrease.
datetimes_sorted() {
	local r
	r=$("$PYTHON" - "$@" <<'PYEOF'
import datetime, re, sys
prev = None
for v in sys.argv[1:]:
    m = re.fullmatch(r'(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?'
                     r'(Z|[-+]\d\d:\d\d)', v)
    if not m:
        print('not an RFC 3339 date-time: %r' % v)
        sys.exit(1)
    t = datetime.datetime.strptime(m.group(1), '%Y-%m-%dT%H:%M:%S')
    frac = float(m.group(2) or 0)
    off = 0
    if m.group(3) != 'Z':
        sign = 1 if m.group(3)[0] == '+' else -1
        off = sign * (int(m.group(3)[1:3]) * 60 + int(m.group(3)[4:6]))
    when = (t - datetime.datetime(1970, 1, 1)).total_seconds() + frac \
        - off * 60
    if prev is not None and when < prev:
        print('%s comes before the one above it' % v)
        sys.exit(1)
    prev = when
PYEOF
) || fail "DateTime values: $r"
}

# mwi_watch LABEL USER [TO]: USER subscribes to TO's (USER's)
# message-summary (RFC 3842) through presence/watch.xml.
mwi_watch() {
	W_ACCEPT=application/simple-message-summary \
		watch "$1" "$2" "${3:-$2}" message-summary
}

# wait_mwi LABEL SECONDS LINE...: wait until the last NOTIFY of watcher
# LABEL has every LINE (grep -E, whole line, CR removed) in its body.
# WAIT_MWI_N: the number of the NOTIFY that matched.
wait_mwi() {
	local label=$1 n=$(( $2 * 20 )) seen=-1 cur body="" l ok
	shift 2
	while [ $n -gt 0 ]; do
		cur=$(notifies "$label")
		if [ "$cur" != "$seen" ] && [ "$cur" -gt 0 ]; then
			seen=$cur
			body=$(sipmsg nbody "$T/$label.msg" recv '^NOTIFY' \
				"$cur" | tr -d '\r')
			ok=1
			for l in "$@"; do
				if ! echo "$body" | grep -qxE -- "$l"; then
					ok=0
					break
				fi
			done
			if [ $ok = 1 ]; then
				WAIT_MWI_N=$cur
				return 0
			fi
		fi
		impd_alive
		sleep 0.05
		n=$((n - 1))
	done
	fail "watcher $label: no NOTIFY with '$*' (last of $seen:" \
		"$(echo "$body" | tr '\n' '|'))"
}

# http_get LABEL USER PASSWORD PATH: GET http://127.0.0.1:$HTTP_PORT/PATH
# with digest credentials (curl --digest); the status code on stdout, the
# body in $T/LABEL.http, the headers of the last response (after the 401
# with the challenge) in $T/LABEL.hdr.
http_get() {
	local st
	need curl curl
	st=$(curl -s -o "$T/$1.http" -D "$T/$1.hdrs" -w '%{http_code}' \
		--max-time 10 --digest -u "$2:$3" \
		"http://127.0.0.1:$HTTP_PORT/$4" 2>>"$T/curl.log")
	awk '/^HTTP\// { b = "" } { b = b $0 "\n" } END { printf "%s", b }' \
		"$T/$1.hdrs" >"$T/$1.hdr" 2>/dev/null
	echo "$st"
}

# --------------------------------------------------------------------------
# --- XCAP and RLS helpers ---
#
# XCAP (RFC 4825) with curl --digest against impd's --http 127.0.0.1:
# $HTTP_PORT (or, with X_HTTPS=1, --https 127.0.0.1:$HTTPS_PORT, the
# certificate checked against $TLS_CA); the XCAP root is /xcap. List
# watchers (RFC 4662) through rls/watch.xml; their RLMI bodies are read by
# sipmsg.py rlmi / rlmiview.

RLS_XML=$SCN_ROOT/rls
RLS_ACCEPT='application/pidf+xml, application/rlmi+xml, multipart/related'
NS_RL=urn:ietf:params:xml:ns:resource-lists
NS_RS=urn:ietf:params:xml:ns:rls-services
NS_CP=urn:ietf:params:xml:ns:common-policy
NS_PR=urn:ietf:params:xml:ns:pres-rules
NS_IP=urn:x-impd:params:xml:ns:list-meta

# xenc TEXT: TEXT as it goes into an URI path: % [ ] " ' < > and space
# percent-encoded (node selectors are written readably in the runs).
xenc() {
	local s=$1
	s=${s//%/%25}
	s=${s//\[/%5b}
	s=${s//\]/%5d}
	s=${s//\"/%22}
	s=${s//\'/%27}
	s=${s//</%3c}
	s=${s//>/%3e}
	s=${s// /%20}
	echo "$s"
}

# xcap_root: the XCAP root URL (http or, with X_HTTPS=1, https).
xcap_root() {
	if [ "${X_HTTPS:-0}" = 1 ]; then
		echo "https://127.0.0.1:$HTTPS_PORT/xcap"
	else
		echo "http://127.0.0.1:$HTTP_PORT/xcap"
	fi
}

# xdoc AUID USER [DOC]: the path of USER@example.com's document DOC
# (index) of AUID below the root: AUID/users/sip:USER@example.com/DOC.
xdoc() {
	echo "$1/users/sip:$2@$DOMAIN/${3:-index}"
}

# xcap LABEL METHOD USER PATH [BODY-FILE [CTYPE [CURL-ARGS...]]]: one
# XCAP request to $(xcap_root)/PATH (PATH as it goes into the URI:
# percent-encode selectors with xenc) with digest credentials USER (the
# user part; "-": none) and password $X_PASS (secret); BODY-FILE ("-":
# none) sent as it is with Content-Type CTYPE; CURL-ARGS added (-H
# 'If-Match: "x"'; without a body: "- - -H ..."). Sets XST (the status code, 000 when curl failed),
# XETAG (the ETag header of the answer, as sent) and CHANGE_T0/CHANGE_T1
# (before and after, for notify_after_change); the answer's body is in
# $T/LABEL.body, the headers of the last response in $T/LABEL.hdr (CR
# removed), "METHOD PATH" in $T/LABEL.req.
xcap() {
	local label=$1 method=$2 user=$3 path=$4 body=${5:--} ctype=${6:-}
	local args
	shift 4
	[ $# -gt 0 ] && shift
	[ $# -gt 0 ] && shift
	need curl curl
	args=(-s -g -o "$T/$label.body" -D "$T/$label.hdrs" -w '%{http_code}'
		--max-time 10 -X "$method")
	[ "$user" != - ] && args+=(--digest -u "$user:${X_PASS:-secret}")
	if [ "$body" != - ]; then
		args+=(--data-binary "@$body" -H "Content-Type: $ctype")
	fi
	[ "${X_HTTPS:-0}" = 1 ] && args+=(--cacert "$TLS_CA")
	echo "$method $path" >"$T/$label.req"
	: >"$T/$label.body"
	CHANGE_T0=$(date +%s.%N)
	XST=$(curl "${args[@]}" "$@" "$(xcap_root)/$path" 2>>"$T/curl.log")
	CHANGE_T1=$(date +%s.%N)
	[ -n "$XST" ] || XST=000
	awk '/^HTTP\// { b = "" } { sub(/\r$/, ""); b = b $0 "\n" }
	     END { printf "%s", b }' "$T/$label.hdrs" >"$T/$label.hdr" \
		2>/dev/null
	XETAG=$(xhdr "$label" ETag)
	note "xcap $label: $method $path ($user) -> $XST $XETAG"
}

# xhdr LABEL NAME: the value of header NAME (first one) of the answer to
# xcap LABEL.
xhdr() {
	awk -v n="$(echo "$2" | tr 'A-Z' 'a-z')" '
		{ i = index($0, ":") }
		i > 0 && tolower(substr($0, 1, i - 1)) == n {
			v = substr($0, i + 1); sub(/^[ \t]+/, "", v)
			sub(/[ \t]+$/, "", v); print v; exit }' \
		"$T/$1.hdr" 2>/dev/null
}

# xwhat LABEL: "METHOD PATH -> STATUS (body...)" for failure messages.
xwhat() {
	echo "$(cat "$T/$1.req" 2>/dev/null) -> $XST" \
		"($(head -c 300 "$T/$1.body" 2>/dev/null | tr '\n' ' '))"
}

# xreq EXPECT LABEL METHOD USER PATH [BODY-FILE [CTYPE [CURL-ARGS...]]]:
# xcap, then fail unless the status matches EXPECT (grep -E, whole).
xreq() {
	local expect=$1
	shift
	xcap "$@"
	echo "$XST" | grep -qxE -- "$expect" ||
		fail "XCAP $(xwhat "$1"): expected $expect"
}

# xetag_ok LABEL: fail unless the answer to xcap LABEL has an ETag that is
# a quoted string (RFC 7232 entity-tag, not weak).
xetag_ok() {
	echo "$XETAG" | grep -qxE '"[^"]+"' ||
		fail "XCAP $(xwhat "$1"): ETag '$XETAG' is not a quoted" \
			"strong entity tag"
}

# xctype_is LABEL REGEX: the Content-Type of the answer matches REGEX
# (grep -E, whole value, case-insensitive).
xctype_is() {
	local v
	v=$(xhdr "$1" Content-Type)
	echo "$v" | grep -qixE -- "$2" ||
		fail "XCAP $(cat "$T/$1.req"): Content-Type '$v', expected '$2'"
}

# xbody_is LABEL FILE: the answer's body equals FILE byte for byte.
xbody_is() {
	cmp -s "$T/$1.body" "$2" ||
		fail "XCAP $(cat "$T/$1.req"): body differs from $(basename \
			"$2"): got '$(head -c 300 "$T/$1.body" | tr '\n' '|')'," \
			"expected '$(head -c 300 "$2" | tr '\n' '|')'"
}

# xbody_str LABEL TEXT: the answer's body is TEXT (white space around it
# ignored).
xbody_str() {
	local got
	got=$(cat "$T/$1.body")
	got=${got#"${got%%[![:space:]]*}"}
	got=${got%"${got##*[![:space:]]}"}
	[ "$got" = "$2" ] ||
		fail "XCAP $(cat "$T/$1.req"): body '$got', expected '$2'"
}

# xsnap NAME USER PATH: GET the document PATH as USER (200 expected) and
# keep its bytes and ETag as NAME. xsame NAME USER PATH WHAT: GET it
# again and fail unless bytes and ETag are what NAME kept (after WHAT).
xsnap() {
	xreq 200 "snap_$1" GET "$2" "$3"
	xetag_ok "snap_$1"
	cp "$T/snap_$1.body" "$T/snap_$1.keep"
	echo "$XETAG" >"$T/snap_$1.etag"
}

xsame() {
	xreq 200 "same_$1" GET "$2" "$3"
	cmp -s "$T/same_$1.body" "$T/snap_$1.keep" ||
		fail "after $4: the document changed" \
			"($(head -c 300 "$T/same_$1.body" | tr '\n' '|'))"
	[ "$XETAG" = "$(cat "$T/snap_$1.etag")" ] ||
		fail "after $4: the ETag changed from $(cat "$T/snap_$1.etag")" \
			"to $XETAG with the same document"
}

# xerr_is LABEL CONDITION [LINE...]: the answer to xcap LABEL is 409 with
# an application/xcap-error+xml body whose condition is CONDITION
# (sipmsg.py xcaperr: "error CONDITION") and that has every LINE (grep
# -E, whole line: "ancestor .*/index/~~/resource-lists", "alt-value .*").
xerr_is() {
	local label=$1 cond=$2 sum l
	shift 2
	[ "$XST" = 409 ] ||
		fail "XCAP $(xwhat "$label"): expected 409 $cond"
	xctype_is "$label" 'application/xcap-error\+xml( *;.*)?'
	sum=$(sipmsg xcaperr "$T/$label.body" 2>&1) ||
		fail "XCAP $(cat "$T/$label.req"): 409 body is no xcap-error" \
			"document: $sum"
	echo "$sum" | grep -qxF "error $cond" ||
		fail "XCAP $(cat "$T/$label.req"): expected <$cond>, got:" \
			"$(echo "$sum" | tr '\n' '|')"
	for l in "$@"; do
		echo "$sum" | grep -qxE -- "$l" ||
			fail "XCAP $(cat "$T/$label.req"): <$cond> lacks '$l':" \
				"$(echo "$sum" | tr '\n' '|')"
	done
}

# xoutline LABEL: the outline of the answer's XML body (sipmsg.py
# outline). xoutline_has LABEL LINE...: it has every LINE (fixed strings,
# whole lines); xoutline_lacks: none of them.
xoutline() {
	sipmsg outline "$T/$1.body"
}

xoutline_has() {
	local label=$1 sum l
	shift
	sum=$(xoutline "$label" 2>&1) ||
		fail "XCAP $(cat "$T/$label.req"): body is not XML: $sum"
	for l in "$@"; do
		echo "$sum" | grep -qxF -- "$l" ||
			fail "XCAP $(cat "$T/$label.req"): document lacks '$l':" \
				"$(echo "$sum" | tr '\n' '|')"
	done
}

xoutline_lacks() {
	local label=$1 sum l
	shift
	sum=$(xoutline "$label" 2>&1) ||
		fail "XCAP $(cat "$T/$label.req"): body is not XML: $sum"
	for l in "$@"; do
		echo "$sum" | grep -qxF -- "$l" &&
			fail "XCAP $(cat "$T/$label.req"): document has '$l'"
	done
	return 0
}

# start_impd_xcap [ARGS...]: start_impd_default with --http on
# HTTP_PORT (picked here unless set) and wait for it.
start_impd_xcap() {
	[ -n "${HTTP_PORT:-}" ] || HTTP_PORT=$(free_port)
	start_impd_default --http "127.0.0.1:$HTTP_PORT" "$@"
	wait_listen tcp "$HTTP_PORT" 5 ||
		fail "impd does not listen for HTTP on 127.0.0.1:$HTTP_PORT"
}

# rls_watch LABEL USER TO [EXPIRES]: a list watcher in the background
# (rls/watch.xml: presence/watch.xml with Supported: eventlist) on a port
# of its own (WPORT_<LABEL>, so kick_watcher works): USER@example.com
# subscribes to TO@example.com for presence with Accept $W_ACCEPT (pidf,
# rlmi and multipart/related), password $W_PASS (secret).
rls_watch() {
	local label=$1 user=$2 to=$3 exp=${4:-600} port
	local SIPP_TIMEOUT=${W_TIMEOUT:-60}
	port=$(pool_port)
	eval "WPORT_$label=$port"
	start_sipp "$label" "$RLS_XML/watch.xml" -p "$port" -m 1 \
		-key user "$user" -key domain "$DOMAIN" -key to "$to" \
		-key event presence -key accept "${W_ACCEPT:-$RLS_ACCEPT}" \
		-key expires "$exp" -key rexpires "${W_REXPIRES:-$exp}" \
		-auth_uri "$to@$DOMAIN" -au "$user" -ap "${W_PASS:-secret}" \
		"127.0.0.1:$SIP_PORT"
}

# rls_expect LABEL CODE USER TO [HDRS]: a list SUBSCRIBE that must be
# refused (rls/subscribe_fail.xml) with CODE; HDRS: extra header lines,
# each ending in CRLF (default $'Supported: eventlist\r\n'; "" for none).
# SUB_STATUS: the status line; sub_hdr LABEL NAME reads its headers.
rls_expect() {
	local label=$1 expect=$2 user=$3 to=$4 st code
	local hdrs=${5-$'Supported: eventlist\r\n'}
	run_sipp "$label" "$RLS_XML/subscribe_fail.xml" -p "$(pool_port)" \
		-m 1 -key user "$user" -key domain "$DOMAIN" -key to "$to" \
		-key event presence -key accept "$RLS_ACCEPT" \
		-key expires 600 -key hdrs "$hdrs" \
		-auth_uri "$to@$DOMAIN" -au "$user" -ap "${W_PASS:-secret}" \
		"127.0.0.1:$SIP_PORT"
	st=$?
	SUB_STATUS=$(sipmsg nfields "$T/$label.msg" recv '^SIP/2\.0 [2-6]' -1 \
		2>/dev/null)
	code=$(echo "$SUB_STATUS" | awk '{ print $2 }')
	[ "$code" = "$expect" ] ||
		fail "list SUBSCRIBE $label ($user to $to): got" \
			"'${SUB_STATUS:-no final response}', expected $expect"
	sipp_ok "$label" $st
}

# rlmi LABEL N: the RLMI summary of NOTIFY N of watcher LABEL (sipmsg.py
# rlmi; -1: the last). rlmi_view LABEL N: the list as known after it.
rlmi() {
	sipmsg rlmi "$T/$1.msg" recv '^NOTIFY' "$2"
}

rlmi_view() {
	sipmsg rlmiview "$T/$1.msg" recv '^NOTIFY' "$2"
}

# rlmi_has LABEL N LINE...: fail unless the RLMI summary of NOTIFY N has
# every LINE (grep -E, whole line); rlmi_lacks: none of them.
rlmi_has() {
	local label=$1 n=$2 sum l
	shift 2
	sum=$(rlmi "$label" "$n" 2>&1) ||
		fail "watcher $label: NOTIFY $n is no RLMI list NOTIFY: $sum"
	for l in "$@"; do
		echo "$sum" | grep -qxE -- "$l" ||
			fail "watcher $label: NOTIFY $n lacks '$l'; it has:" \
				"$(echo "$sum" | tr '\n' '|')"
	done
}

rlmi_lacks() {
	local label=$1 n=$2 sum l
	shift 2
	sum=$(rlmi "$label" "$n" 2>&1) ||
		fail "watcher $label: NOTIFY $n is no RLMI list NOTIFY: $sum"
	for l in "$@"; do
		echo "$sum" | grep -qxE -- "$l" &&
			fail "watcher $label: NOTIFY $n has '$l':" \
				"$(echo "$sum" | tr '\n' '|')"
	done
	return 0
}

# rlmi_res_are LABEL N REGEX...: the "resource" lines of NOTIFY N are
# exactly one per REGEX, in that order (grep -E, whole line).
rlmi_res_are() {
	local label=$1 n=$2 sum res i=0 r v
	shift 2
	sum=$(rlmi "$label" "$n" 2>&1) ||
		fail "watcher $label: NOTIFY $n is no RLMI list NOTIFY: $sum"
	res=$(echo "$sum" | grep '^resource ')
	[ "$(echo "$res" | grep -c .)" = $# ] ||
		fail "watcher $label: NOTIFY $n has" \
			"$(echo "$res" | grep -c .) resource lines" \
			"($(echo "$res" | tr '\n' '|')), expected $#"
	for r in "$@"; do
		i=$((i + 1))
		v=$(echo "$res" | sed -n "${i}p")
		echo "$v" | grep -qxE -- "$r" ||
			fail "watcher $label: NOTIFY $n: resource line $i is" \
				"'$v', expected '$r' (all: $(echo "$res" |
					tr '\n' '|'))"
	done
}

# wait_rlmi LABEL AFTER SECONDS LINE...: wait until one of the NOTIFYs
# after the AFTER-th of watcher LABEL has every LINE (grep -E, whole
# line) in its RLMI summary; each NOTIFY is looked at once, in order.
# WAIT_RLMI_N: the number of the one that matched. wait_rlmi_view: the
# same on the list as known after each NOTIFY (rlmiview).
wait_rlmi() {
	RLMI_CMD=rlmi wait_rlmi_any "$@"
}

wait_rlmi_view() {
	RLMI_CMD=rlmiview wait_rlmi_any "$@"
}

wait_rlmi_any() {
	local label=$1 after=$2 secs=$3 k=$2 end cur sum="" l ok
	end=$(( $(now_ms) + secs * 1000 ))
	shift 3
	while :; do
		cur=$(notifies "$label")
		while [ "$k" -lt "$cur" ]; do
			k=$((k + 1))
			sum=$(sipmsg "$RLMI_CMD" "$T/$label.msg" recv '^NOTIFY' \
				"$k" 2>&1) ||
				fail "watcher $label: NOTIFY $k is no RLMI list" \
					"NOTIFY: $sum"
			ok=1
			for l in "$@"; do
				if ! echo "$sum" | grep -qxE -- "$l"; then
					ok=0
					break
				fi
			done
			if [ $ok = 1 ]; then
				WAIT_RLMI_N=$k
				return 0
			fi
		done
		impd_alive
		[ "$(now_ms)" -ge "$end" ] && break
		sleep 0.05
	done
	fail "watcher $label: no NOTIFY after number $after with '$*'" \
		"within $secs s (last, $k: $(echo "$sum" | tr '\n' '|'))"
}

# rlmi_versions_ok LABEL: the RLMI versions of watcher LABEL's NOTIFYs
# rise by one from NOTIFY to NOTIFY (RFC 4662 5.2), the first is full
# state; only the last (the terminated one) may come without a body.
rlmi_versions_ok() {
	local v
	v=$(sipmsg rlmiversions "$T/$1.msg" recv '^NOTIFY')
	echo "$v" | awk '
		e { print "NOTIFY " NR - 1 " has no body"; bad = 1; exit }
		$1 == "empty" { e = 1; next }
		$1 == "error" { print "NOTIFY " NR ": " $0; bad = 1; exit }
		NR == 1 && $2 != "true" { print "NOTIFY 1 is not full state";
			bad = 1; exit }
		NR > 1 && $1 != p + 1 { print "NOTIFY " NR " has version " $1 \
			" after " p; bad = 1; exit }
		{ p = $1 }
		END { exit bad }' >"$T/versions.$1" ||
		fail "watcher $1: RLMI versions: $(cat "$T/versions.$1")" \
			"(all: $(echo "$v" | tr '\n' ' '))"
}

# notify_gaps_ok LABEL FROM MIN: NOTIFYs FROM, FROM+1 ... of watcher
# LABEL came at least MIN seconds apart (the throttle).
notify_gaps_ok() {
	local r
	r=$(sipmsg ntimes "$T/$1.msg" recv '^NOTIFY' | awk -v f="$2" \
		-v m="$3" 'NR >= f { if (NR > f && $1 - p < m) {
			printf "NOTIFY %d came %.3f s after NOTIFY %d\n", NR,
				$1 - p, NR - 1; exit 1 } p = $1 }') ||
		fail "watcher $1: $r (at least $3 s expected)"
}

# rls_notify_ok LABEL N: NOTIFY N of a list watcher has Event: presence,
# Require: eventlist (RFC 4662 4.5) and a multipart/related Content-Type
# with type application/rlmi+xml.
rls_notify_ok() {
	hdr_is "$1" "$2" Event 'presence(;.*)?'
	hdr_is "$1" "$2" Require '(.*, *)?eventlist( *,.*)?'
	hdr_is "$1" "$2" Content-Type \
		'multipart/related *;.*type="?application/rlmi\+xml"?.*'
}

# xcap_rules_doc FILE WATCHER-USER [HANDLING [ID]]: write a pres-rules
# document (RFC 5025) into FILE with one rule (id ID, default
# "wl-WATCHER-USER") for sip:WATCHER-USER@example.com with sub-handling
# HANDLING (allow) and, for allow, every provide-* permission.
xcap_rules_doc() {
	local f=$1 w=$2 h=${3:-allow} id=${4:-wl-$2}
	{
		echo '<?xml version="1.0" encoding="UTF-8"?>'
		echo "<cp:ruleset xmlns=\"$NS_PR\""
		echo "    xmlns:cp=\"$NS_CP\">"
		echo "  <cp:rule id=\"$id\">"
		echo '    <cp:conditions>'
		echo "      <cp:identity><cp:one id=\"sip:$w@$DOMAIN\"/>" \
			"</cp:identity>"
		echo '    </cp:conditions>'
		echo "    <cp:actions><sub-handling>$h</sub-handling>" \
			"</cp:actions>"
		echo '    <cp:transformations>'
		if [ "$h" = allow ]; then
			echo '      <provide-services><all-services/>' \
				'</provide-services>'
			echo '      <provide-persons><all-persons/>' \
				'</provide-persons>'
			echo '      <provide-devices><all-devices/>' \
				'</provide-devices>'
			echo '      <provide-all-attributes/>'
		fi
		echo '    </cp:transformations>'
		echo '  </cp:rule>'
		echo '</cp:ruleset>'
	} >"$f"
}
