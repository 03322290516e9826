#!/bin/sh
# mailserver.sh - a private mail system for the tests, the demo and the
# benchmark: Dovecot (IMAP) and Exim (SMTP), both unprivileged, on free
# loopback ports, with a CA and a server certificate of their own.
#
#   sh tools/mailserver.sh start DIR ADDRESS:PASSWORD...
#   sh tools/mailserver.sh stop DIR
#
# start makes DIR (which must not exist or be empty) and writes DIR/env,
# shell assignments to source:
#
#   MAIL_IMAP_PORT    IMAP, STARTTLS offered (and required before login)
#   MAIL_IMAPS_PORT   IMAP over TLS
#   MAIL_SMTP_PORT    SMTP as a domain's MX: takes mail for its users from
#                     anyone, STARTTLS offered
#   MAIL_SUBMIT_PORT  submission: STARTTLS, then AUTH, required
#   MAIL_SMTPS_PORT   submission over TLS, AUTH required
#   MAIL_LMTP_SOCKET  Dovecot's LMTP socket (delivers without the MTA)
#   MAIL_CA           the CA certificate (PEM) that signed the server's
#   MAIL_HOME         the users' Maildirs: MAIL_HOME/ADDRESS/Maildir
#   MAIL_PIDS         the two daemons' process ids
#
# Every ADDRESS gets a mailbox, and its domain is one of those the MTA
# delivers for (through Dovecot's LMTP: the way Exim hands mail to
# Dovecot in production), so one server can stand for the city's and a
# business's mail at once.  Passwords are Dovecot's (passwd-file); Exim
# asks Dovecot's auth service, as a real submission server does.
#
# Why Exim: the MTA has to run without root, as the tests and the demo do
# everything else.  Postfix's master refuses to ("the master command is
# reserved for the superuser") and OpenSMTPD needs root to drop its
# privileges; Exim, given its own configuration, gives up root and runs
# as the caller.  Run as root (CI), both daemons run as nobody instead.
set -eu

usage() {
	echo "usage: mailserver.sh start DIR ADDRESS:PASSWORD... | stop DIR" >&2
	exit 2
}
[ $# -ge 2 ] || usage
CMD=$1 DIR=$2
shift 2

stop() {
	[ -f "$DIR/env" ] || return 0
	pids=$(sed -n 's/^MAIL_PIDS="\(.*\)"$/\1/p' "$DIR/env")
	for p in $pids; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in $pids; do
		n=50
		while kill -0 "$p" 2>/dev/null && [ $n -gt 0 ]; do
			sleep 0.1
			n=$((n - 1))
		done
		kill -KILL "$p" 2>/dev/null || true
	done
}

case $CMD in
stop) stop; exit 0 ;;
start) [ $# -ge 1 ] || usage ;;
*) usage ;;
esac

for prog in /usr/sbin/dovecot /usr/sbin/exim4 openssl python3; do
	command -v "$prog" >/dev/null ||
		{ echo "mailserver: $prog is missing (make deps)" >&2; exit 1; }
done

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd -P)
[ -z "$(ls -A "$DIR")" ] || { echo "mailserver: $DIR is not empty" >&2; exit 1; }

# Who the daemons run as: the caller, or nobody when that is root.
RUNAS=""
if [ "$(id -u)" -eq 0 ]; then
	RUNAS="setpriv --reuid=65534 --regid=65534 --clear-groups"
	U=65534 G=65534
	# nobody must be able to reach DIR: a private temporary directory
	# on the way (mktemp -d makes them 0700) is opened for passing
	# through; anything else is left as it is, and refused.
	tmp=$(cd "${TMPDIR:-/tmp}" && pwd -P)
	d=$DIR
	while [ "$d" != / ]; do
		if ! $RUNAS test -x "$d"; then
			case $d in
			"$tmp"/*) chmod o+x "$d" ;;
			*) echo "mailserver: the servers run as nobody, who cannot" \
			    "pass $d; put DIR where others may (e.g. under $tmp)" >&2
			   exit 1 ;;
			esac
		fi
		d=$(dirname "$d")
	done
else
	U=$(id -u) G=$(id -g)
fi
UNAME=$(getent passwd "$U" | cut -d: -f1)
GNAME=$(getent group "$G" | cut -d: -f1)

mkdir -p "$DIR/tls" "$DIR/dovecot/run" "$DIR/dovecot/state" "$DIR/home" \
    "$DIR/exim/spool" "$DIR/exim/log"

# --- TLS: a CA of our own and a certificate for localhost and 127.0.0.1 -----
ossl() { openssl "$@" 2>>"$DIR/tls/openssl.log"; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$DIR/tls/ca.key" -out "$DIR/tls/ca.crt" -days 30 \
    -subj "/O=kobito test/CN=kobito test CA"
ossl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$DIR/tls/server.key" -out "$DIR/tls/server.csr" \
    -subj "/O=kobito test/CN=localhost"
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' \
    >"$DIR/tls/ext"
ossl x509 -req -in "$DIR/tls/server.csr" -CA "$DIR/tls/ca.crt" \
    -CAkey "$DIR/tls/ca.key" -CAcreateserial -days 30 \
    -extfile "$DIR/tls/ext" -out "$DIR/tls/server.crt"

# --- users ----------------------------------------------------------------
domains=""
: >"$DIR/dovecot/passwd"
: >"$DIR/exim/users"
for spec in "$@"; do
	addr=${spec%%:*}
	pass=${spec#*:}
	case $addr in
	*@*.*) ;;
	*) echo "mailserver: '$addr' is not an address" >&2; exit 2 ;;
	esac
	[ "$pass" != "$spec" ] && [ -n "$pass" ] ||
		{ echo "mailserver: no password for $addr" >&2; exit 2; }
	printf '%s:{PLAIN}%s:%s:%s::%s/home/%s\n' "$addr" "$pass" "$U" "$G" \
	    "$DIR" "$addr" >>"$DIR/dovecot/passwd"
	printf '%s:\n' "$addr" >>"$DIR/exim/users"
	d=${addr#*@}
	case " $domains " in
	*" $d "*) ;;
	*) domains="${domains:+$domains }$d" ;;
	esac
done
chmod 600 "$DIR/dovecot/passwd"

# Five free ports, chosen by the kernel (a daemon that still loses one to
# another program fails to start, and we try again).
free_ports() {
	python3 -c '
import socket
ss = [socket.socket() for _ in range(5)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))'
}

write_dovecot() {
	cat >"$DIR/dovecot/dovecot.conf" <<EOF
# Written by tools/mailserver.sh.
base_dir = $DIR/dovecot/run
state_dir = $DIR/dovecot/state
log_path = $DIR/dovecot/log
protocols = imap lmtp
listen = 127.0.0.1
ssl = yes
ssl_cert = <$DIR/tls/server.crt
ssl_key = <$DIR/tls/server.key
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
# A wrong password is answered at once (the default waits 2 s).
auth_failure_delay = 0
default_login_user = $UNAME
default_internal_user = $UNAME
default_internal_group = $GNAME
first_valid_uid = $U
last_valid_uid = $U
first_valid_gid = $G
mail_location = maildir:~/Maildir
mail_fsync = never
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DIR/dovecot/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u $DIR/dovecot/passwd
}
namespace inbox {
  inbox = yes
  separator = /
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS
    ssl = yes
  }
}
service anvil {
  chroot =
}
service lmtp {
  unix_listener lmtp {
    mode = 0600
  }
}
service auth {
  unix_listener auth-client {
    mode = 0600
  }
}
protocol lmtp {
  auth_username_format = %u
}
EOF
}

write_exim() {
	cat >"$DIR/exim/exim.conf" <<EOF
# Written by tools/mailserver.sh.
primary_hostname = mail.${domains%% *}
qualify_domain = ${domains%% *}
spool_directory = $DIR/exim/spool
log_file_path = $DIR/exim/log/%slog
pid_file_path = $DIR/exim/exim.pid
exim_user = $UNAME
exim_group = $GNAME
never_users =
keep_environment =
local_interfaces = 127.0.0.1
daemon_smtp_ports = $SMTP : $SUBMIT : $SMTPS
tls_on_connect_ports = $SMTPS
daemon_startup_retries = 0
tls_advertise_hosts = *
tls_certificate = $DIR/tls/server.crt
tls_privatekey = $DIR/tls/server.key
auth_advertise_hosts = \${if eq{\$tls_in_cipher}{}{}{*}}
host_lookup =
rfc1413_hosts =
message_size_limit = 50M
domainlist local_domains = $(echo "$domains" | sed 's/ / : /g')
acl_smtp_mail = check_mail
acl_smtp_rcpt = check_rcpt

begin acl
check_mail:
  deny    condition = \${if !eq{\$received_port}{$SMTP}}
          !authenticated = *
          message = authentication required
  accept
check_rcpt:
  deny    !domains = +local_domains
          message = relaying is not permitted
  require verify = recipient
  accept

begin routers
mailbox:
  driver = accept
  domains = +local_domains
  condition = \${lookup{\$local_part@\$domain}lsearch{$DIR/exim/users}{yes}{no}}
  transport = dovecot_lmtp

begin transports
dovecot_lmtp:
  driver = lmtp
  socket = $DIR/dovecot/run/lmtp
  batch_max = 100

begin retry
* * F,10m,2s

begin authenticators
plain:
  driver = dovecot
  public_name = PLAIN
  server_socket = $DIR/dovecot/run/auth-client
  server_set_id = \$auth1
login:
  driver = dovecot
  public_name = LOGIN
  server_socket = $DIR/dovecot/run/auth-client
  server_set_id = \$auth1
EOF
}

# Wait until every port takes connections (5 s at most).
wait_ports() {
	python3 - "$@" <<'EOF'
import socket, sys, time
end = time.time() + 5
for p in sys.argv[1:]:
    while True:
        try:
            socket.create_connection(("127.0.0.1", int(p)), 0.2).close()
            break
        except OSError:
            if time.time() > end:
                sys.exit(1)
            time.sleep(0.02)
EOF
}

alive() { kill -0 "$1" 2>/dev/null; }

try=0
while :; do
	try=$((try + 1))
	set -- $(free_ports)
	IMAP=$1 IMAPS=$2 SMTP=$3 SUBMIT=$4 SMTPS=$5
	write_dovecot
	write_exim
	chown -R "$U:$G" "$DIR/dovecot" "$DIR/home" "$DIR/exim" "$DIR/tls"
	$RUNAS /usr/sbin/dovecot -F -c "$DIR/dovecot/dovecot.conf" \
	    >>"$DIR/dovecot/stdout" 2>&1 &
	dpid=$!
	$RUNAS /usr/sbin/exim4 -C "$DIR/exim/exim.conf" -bdf -q2s \
	    >>"$DIR/exim/stdout" 2>&1 &
	epid=$!
	if wait_ports "$IMAP" "$IMAPS" "$SMTP" "$SUBMIT" "$SMTPS" &&
	    alive "$dpid" && alive "$epid"; then
		break
	fi
	kill -TERM "$dpid" "$epid" 2>/dev/null || true
	wait "$dpid" "$epid" 2>/dev/null || true
	if [ $try -ge 3 ]; then
		echo "mailserver: the servers did not start:" >&2
		tail -n 5 "$DIR/dovecot/stdout" "$DIR/dovecot/log" \
		    "$DIR/exim/stdout" >&2 2>/dev/null || true
		exit 1
	fi
done

cat >"$DIR/env" <<EOF
MAIL_IMAP_PORT=$IMAP
MAIL_IMAPS_PORT=$IMAPS
MAIL_SMTP_PORT=$SMTP
MAIL_SUBMIT_PORT=$SUBMIT
MAIL_SMTPS_PORT=$SMTPS
MAIL_LMTP_SOCKET=$DIR/dovecot/run/lmtp
MAIL_CA=$DIR/tls/ca.crt
MAIL_HOME=$DIR/home
MAIL_PIDS="$dpid $epid"
EOF
