#!/bin/sh
# sched_artifacts.sh - artifacts come from scripts, so from anyone who
# can write one: an HTML artifact is served as a download that cannot
# run (it used to be served as a page of the dashboard's origin, and ran
# with the session of whoever opened it); only raster images are shown
# inline; every artifact and every reply of the API is an inert document
# (nosniff, a sandboxing Content-Security-Policy), and the dashboard's
# page has a strict policy of its own.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"

cat >"$T/scripts/report.yaml" <<'EOF'
name: report
requires: [stand-in]
steps:
  - log: report
EOF
start_scheduler --dashboard "$KOBITO_TOP/dashboard"
VIEWER=$(make_token viewer vera)
cat >"$T/evil.html" <<'EOF'
<script>fetch('/api/jobs', {method: 'POST', body: '{"script": "report"}'})</script>
EOF
cp "$T/evil.html" "$T/evil.svg"
printf 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==' |
	base64 -d >"$T/shot.png"
run=$(stand_in_run report evil.html:text/html evil.svg:image/svg+xml \
	shot.png:image/png "bad.txt:text/plain$(printf '\001')x")

# headers PATH -> the reply's headers, lower-cased names, in $T/h
headers() {
	curl -s -o /dev/null -D "$T/h" -H "Authorization: Bearer $VIEWER" \
		"$SCHED_URL$1"
	tr -d '\r' <"$T/h" | sed 's/^\([^:]*\):/\L\1:/' >"$T/h2"
	mv "$T/h2" "$T/h"
}
header() { sed -n "s/^$1: //p" "$T/h"; }

headers "/api/runs/$run/artifacts/evil.html"
check "HTML is a download" 'attachment; filename="evil.html"' "$(header content-disposition)"
check "never sniffed" nosniff "$(header x-content-type-options)"
case $(header content-security-policy) in
*sandbox*"default-src 'none'"*|*"default-src 'none'"*sandbox*) echo "ok: and sandboxed" ;;
*) fail "content-security-policy: $(header content-security-policy)" ;;
esac
headers "/api/runs/$run/artifacts/evil.svg"
check "SVG (it can hold scripts) is a download" 'attachment; filename="evil.svg"' \
	"$(header content-disposition)"
headers "/api/runs/$run/artifacts/shot.png"
check "a PNG is shown" 'inline; filename="shot.png"' "$(header content-disposition)"
check "as a PNG" image/png "$(header content-type)"
headers "/api/runs/$run/artifacts/bad.txt"
check "a content type with control characters is not kept" \
	application/octet-stream "$(header content-type)"

# Every reply of the API is inert too; the page has its own policy.
headers /api/jobs
check "a JSON reply is not sniffed" nosniff "$(header x-content-type-options)"
check "nor rendered" "default-src 'none'; frame-ancestors 'none'; sandbox" \
	"$(header content-security-policy)"
headers /
csp=$(header content-security-policy)
case $csp in
"default-src 'self'; script-src 'self'; "*"object-src 'none'; base-uri 'none'"*"frame-ancestors 'none'"*)
	echo "ok: the dashboard's page has a strict policy" ;;
*) fail "the page's policy: $csp" ;;
esac
[ "$(grep -ci '^content-security-policy:' "$T/h")" = 1 ] || fail "two policies on the page"
stop_scheduler
