#!/bin/sh
# web_static.sh - the dashboard's files as a browser keeps them: an ETag of
# their content and Cache-Control: no-cache (asked again each time, 304
# when unchanged, a new version at once), gzipped for a browser that takes
# it (the same bytes once inflated, Vary: Accept-Encoding), plain for one
# that does not; and the scheduler's messages in the reader's language
# (Accept-Language: ja).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"

cp -R "$KOBITO_TOP/dashboard" "$T/dashboard"
start_scheduler --dashboard "$T/dashboard"
OP=$(make_token operator oscar)

hdrs() {	# hdrs PATH [CURL-ARGS...]: the reply's headers, lower case
	_p=$1
	shift
	rm -f "$T/body"
	curl -s -D - -o "$T/body" "$@" "$SCHED_URL$_p" | tr -d '\r' |
		tr 'A-Z' 'a-z'
}
h=$(hdrs /app.js -H 'Accept-Encoding: gzip, deflate')
echo "$h" | grep -q '^content-encoding: gzip$' || fail "not gzipped: $h"
echo "$h" | grep -q '^vary: accept-encoding$' || fail "no Vary: $h"
echo "$h" | grep -q '^cache-control: no-cache$' || fail "Cache-Control: $h"
etag=$(echo "$h" | sed -n 's/^etag: //p')
[ -n "$etag" ] || fail "no ETag: $h"
gzip -dc < "$T/body" | cmp -s - "$T/dashboard/app.js" || fail "the gzipped file differs"
n=$(wc -c < "$T/body")
[ "$n" -lt $(( $(wc -c < "$T/dashboard/app.js") / 2 )) ] || fail "gzip saved little: $n bytes"
echo "ok: app.js gzipped to $n bytes"
h=$(hdrs /app.js)
echo "$h" | grep -q 'content-encoding' && fail "gzipped for a client that does not take it"
cmp -s "$T/body" "$T/dashboard/app.js" || fail "the plain file differs"
plain=$(echo "$h" | sed -n 's/^etag: //p')
[ "$plain" != "$etag" ] || fail "one ETag for both encodings"
h=$(hdrs /app.js -H 'Accept-Encoding: gzip' -H "If-None-Match: $etag")
echo "$h" | grep -q '^http/1.1 304' || fail "not 304 when unchanged: $h"
[ ! -s "$T/body" ] || fail "a 304 with a body"
echo "ok: 304 Not Modified for the same ETag"
echo "// a new version" >> "$T/dashboard/app.js"
h=$(hdrs /app.js -H 'Accept-Encoding: gzip' -H "If-None-Match: $etag")
echo "$h" | grep -q '^http/1.1 200' || fail "a changed file answered: $h"
echo "ok: a changed file is sent again"
h=$(hdrs /api/jobs)
echo "$h" | grep -q '^cache-control: no-store$' || fail "the API's answers are kept: $h"

# Messages in the reader's language.
j=$(curl -s -H "Authorization: Bearer $OP" -H 'Accept-Language: ja,en;q=0.5' \
	"$SCHED_URL/api/jobs/424242")
check "a message in Japanese" '{"error":"ジョブ '"'"'424242'"'"' はありません"}' "$j"
j=$(curl -s -H "Authorization: Bearer $OP" "$SCHED_URL/api/jobs/424242")
check "and in English" '{"error":"no job '"'"'424242'"'"'"}' "$j"
j=$(curl -s -H 'Accept-Language: ja' "$SCHED_URL/api/jobs")
check "a refusal in Japanese" '{"error":"ログインしていません(トークンがありません)"}' "$j"
stop_scheduler
