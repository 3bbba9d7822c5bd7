#!/usr/bin/env bash
# Runs the resize benchmark on real photographs, side by side with libvips,
# vipsthumbnail and ImageMagick (make bench-resize). Photos and tools are
# prepared on the first run and cached in .cache/ beside this script, which
# is ignored by git. With CAPS=1 it also measures peak RSS per pixel cap.
#
# It needs Debian's libvips-tools, libvips-dev, imagemagick and a C compiler,
# and the wallpaper packages; libjpeg-turbo-progs is used when present. When
# they are missing and cannot be installed, it says so and exits 0: it is a
# report, not a test.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=$here/.cache
mkdir -p "$cache"

skip() { echo "bench-resize: skipped: $*" >&2; exit 0; }

missing() {
	local m=()
	command -v vips >/dev/null || m+=(libvips-tools)
	command -v vipsthumbnail >/dev/null || m+=(libvips-tools)
	pkg-config --exists vips 2>/dev/null || m+=(libvips-dev)
	[ -x /usr/bin/convert ] || m+=(imagemagick)
	command -v cc >/dev/null || m+=(gcc)
	command -v jpegtran >/dev/null || m+=(libjpeg-turbo-progs)
	echo "${m[@]+"${m[@]}"}"
}

need=$(missing)
if [ -n "$need" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "bench-resize: installing $need" >&2
	{ apt-get update && apt-get install -y $need; } >"$cache/apt.log" 2>&1 ||
		echo "bench-resize: apt-get failed, see $cache/apt.log" >&2
	need=$(missing)
fi
for p in $need; do
	# jpegtran only makes lossless baseline/progressive twins; ImageMagick
	# re-encodes instead when it is missing.
	[ "$p" = libjpeg-turbo-progs ] || skip "missing Debian packages: $need"
done

"$here/photos.sh" "$cache" || skip "the wallpaper packages could not be fetched (see above)"

# The anchor is built here, never by the project's build.
cc -O2 -o "$cache/vipsjob" "$here/anchor/vipsjob.c" $(pkg-config --cflags --libs vips)
cc -O2 -o "$cache/rusage" "$here/anchor/rusage.c"

# ImageMagick's Debian policy caps memory at 256 MiB, which would send a
# 24 MP picture to a disk cache; the benchmark raises it for its own runs.
mkdir -p "$cache/magick"
cat >"$cache/magick/policy.xml" <<'XML'
<policymap>
  <policy domain="resource" name="memory" value="4GiB"/>
  <policy domain="resource" name="map" value="4GiB"/>
  <policy domain="resource" name="area" value="1GP"/>
  <policy domain="resource" name="width" value="64KP"/>
  <policy domain="resource" name="height" value="64KP"/>
</policymap>
XML

cd "$here"
go build -o "$cache/bench" .
"$cache/bench" -rusage "$cache/rusage" -photos "$cache/photos" -vipsjob "$cache/vipsjob" \
	-magick-config "$cache/magick" -runs "${RUNS:-3}"
if [ "${CAPS:-0}" = 1 ]; then
	"$here/caps.sh" "$cache"
	"$cache/bench" -rusage "$cache/rusage" -caps "$cache/caps"
fi
