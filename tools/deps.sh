#!/bin/sh
# deps.sh - install the Debian packages kobito needs, only those missing.
#
# Idempotent: when everything is present it changes nothing and needs no
# network.  Runs apt-get as root, or through sudo when available.
set -eu

PKGS="build-essential pkg-config
libyaml-dev libxdo-dev libtesseract-dev libleptonica-dev libcurl4-openssl-dev
libsqlite3-dev sqlite3 libmicrohttpd-dev libjansson-dev libcmocka-dev
libsodium-dev libgtk-3-dev libx11-dev libxtst-dev libpng-dev
tesseract-ocr tesseract-ocr-eng tesseract-ocr-jpn tesseract-ocr-jpn-vert
tesseract-ocr-script-jpan ghostscript
xvfb xauth x11-utils xdotool fonts-noto-cjk time jq tzdata curl
chromium libjs-chart.js
libzip-dev libexpat1-dev libxlsxwriter-dev libfreexl-dev libpoppler-glib-dev
libcairo2-dev libpango1.0-dev libqpdf-dev poppler-utils python3-openpyxl
python3-xlwt chromium-driver python3-selenium openssl
libgmime-3.0-dev libxml2-dev dovecot-imapd dovecot-lmtpd exim4-daemon-heavy
python3 clang libclang-rt-14-dev
tesseract-ocr-script-latn tesseract-ocr-script-jpan-vert
fonts-klee fonts-ipafont-gothic fonts-ipafont-mincho fonts-humor-sans
fonts-liberation2 fonts-urw-base35 python3-yaml python3-jsonschema
libsystemd-dev man-db
debhelper lintian mmdebstrap systemd-container
libldap-dev slapd ldap-utils libgnutls28-dev
fonts-freefont-ttf fonts-crosextra-carlito fonts-comic-neue fonts-vlgothic
fonts-ipaexfont-gothic fonts-ipaexfont-mincho
fonts-dejavu-core
libatspi2.0-dev at-spi2-core dbus
openjdk-17-jdk-headless openjdk-17-jre libatk-wrapper-java libatk-wrapper-java-jni"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
# Node.js and npm run the browser tests; a machine may have them from
# elsewhere than Debian, so they are asked for only when missing.
command -v npm >/dev/null || missing="$missing nodejs npm"

if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $missing
fi

# The browser tests drive Debian's chromium with playwright-core from npm
# and check the pages with axe-core (the npm registry; the lock file pins
# the versions).  Installed here so that the tests run offline.
BT="$(dirname "$0")/../tests/browser"
if { [ ! -f "$BT/node_modules/playwright-core/package.json" ] ||
    [ ! -f "$BT/node_modules/axe-core/axe.min.js" ]; } && command -v npm >/dev/null; then
	(cd "$BT" && npm ci --no-audit --no-fund --loglevel=error) ||
		echo "deps: npm ci in tests/browser failed; the browser tests cannot run" >&2
fi
exit 0
