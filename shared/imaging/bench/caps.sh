#!/usr/bin/env bash
# Makes the inputs of the memory-per-cap measurement in CACHE/caps: the
# benchmark's 20 MP photograph scaled by libvips to 12, 24 and 50 MP and
# stored the ways that cost image/jpeg and image/png different memory
# (4:2:0 or 4:4:4 chroma, baseline or progressive, PNG).
set -euo pipefail
cache=$(cd "$1" && pwd)
caps=$cache/caps
[ -f "$caps/.done" ] && exit 0
mkdir -p "$caps"
src=$cache/root/usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg
for mp in 12 24 50; do
	scale=$(awk -v mp="$mp" 'BEGIN { printf "%.6f", sqrt(mp * 1e6 / (6028 * 3391)) }')
	v=$cache/caps-$mp.v
	vips resize "$src" "$v" "$scale"
	vips jpegsave "$v" "$caps/${mp}mp-jpeg-420-baseline.jpg" --Q 90 --subsample-mode on --strip
	vips jpegsave "$v" "$caps/${mp}mp-jpeg-420-progressive.jpg" --Q 90 --subsample-mode on \
		--interlace --strip
	vips jpegsave "$v" "$caps/${mp}mp-jpeg-444-progressive.jpg" --Q 90 --subsample-mode off \
		--interlace --strip
	vips pngsave "$v" "$caps/${mp}mp-png-rgb8.png" --compression 1
	rm -f "$v"
done
touch "$caps/.done"
