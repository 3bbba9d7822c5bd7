#!/usr/bin/env bash
# Prepares the benchmark's photographs in CACHE/photos from Debian's
# wallpaper packages: real camera pictures of about 12 and 20 MP, each as a
# baseline and as a progressive JPEG with the same pixels, and a 24 MP one.
set -euo pipefail
mkdir -p "$1"
cache=$(cd "$1" && pwd)
photos=$cache/photos
[ -f "$photos/.done" ] && exit 0
mkdir -p "$cache/debs" "$cache/root" "$photos"

if ! ls "$cache"/debs/lomiri-wallpapers-20.04_*.deb >/dev/null 2>&1; then
	(cd "$cache/debs" && apt-get download lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 \
		>"$cache/download.log" 2>&1) || { cat "$cache/download.log" >&2; exit 1; }
fi
for d in "$cache"/debs/*.deb; do dpkg-deb -x "$d" "$cache/root"; done
bg=$cache/root/usr/share/backgrounds

# twin IN BASELINE PROGRESSIVE writes both forms of IN. jpegtran changes
# only the entropy coding, so both hold the same pixels; without it,
# ImageMagick re-encodes at quality 92.
twin() {
	if command -v jpegtran >/dev/null; then
		jpegtran -copy none -optimize -outfile "$2" "$1"
		jpegtran -copy none -progressive -outfile "$3" "$1"
	else
		/usr/bin/convert "$1" -strip -quality 92 -interlace none "$2"
		/usr/bin/convert "$1" -strip -quality 92 -interlace JPEG "$3"
	fi
}

# 4272×2848 (12.2 MP), shipped progressive, 4:2:2.
twin "$bg/sunset_by_Aitzol_Berasategi.jpg" "$photos/sunset-12mp-baseline.jpg" \
	"$photos/sunset-12mp-progressive.jpg"
# 6028×3391 (20.4 MP), shipped baseline, 4:2:2: the largest real photograph
# in these packages.
twin "$bg/Kleiber_by_Lukas_Baubkus.jpg" "$photos/kleiber-20mp-baseline.jpg" \
	"$photos/kleiber-20mp-progressive.jpg"
# 24 MP (6533×3675): the same photograph enlarged by libvips (Lanczos3) and
# saved baseline 4:2:0 at Q92 as a phone would, since no package ships a
# real 24 MP one. It is smoother than a camera's 24 MP, so it decodes a
# little faster.
vips resize "$bg/Kleiber_by_Lukas_Baubkus.jpg" \
	"$photos/kleiber-24mp-baseline.jpg[Q=92,strip,subsample-mode=on]" 1.0837
for f in "$photos"/*.jpg; do
	identify -format '%f %wx%h %[interlace] %[jpeg:sampling-factor]\n' "$f"
done
touch "$photos/.done"
