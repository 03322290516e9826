#!/bin/sh
# mkdeb.sh - build kobito's Debian packages into deb/ and check them with
# lintian.
#
# The tree (committed and not-ignored files, as they are now) is copied to
# deb/src/kobito-VERSION and built there with dpkg-buildpackage, so that
# the working tree's build directories are left alone.  Fails when lintian
# reports an error or a warning.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
VERSION=$(dpkg-parsechangelog -S Version)
OUT=$TOP/deb
SRC=$OUT/src/kobito-$VERSION

rm -rf "$OUT"
mkdir -p "$SRC"
git ls-files -z --cached --others --exclude-standard |
	tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -C "$SRC" -xf -

(cd "$SRC" && dpkg-buildpackage -us -uc -b -j"$(nproc)") >"$OUT/build.log" 2>&1 || {
	tail -n 40 "$OUT/build.log" >&2
	echo "mkdeb: dpkg-buildpackage failed (deb/build.log)" >&2
	exit 1
}
mv "$OUT"/src/*.deb "$OUT"/src/*.changes "$OUT"/src/*.buildinfo "$OUT"/
rm -rf "$OUT/src"
ls "$OUT"/*.deb
lintian --fail-on error,warning --info "$OUT"/*.changes
echo "mkdeb: lintian-clean: $(cd "$OUT" && ls ./*.deb | tr '\n' ' ')"
