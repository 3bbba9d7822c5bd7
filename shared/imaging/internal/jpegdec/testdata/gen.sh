#!/bin/sh
# Regenerates the fixtures from ../../../testdata/photo-sunset.jpg with
# libjpeg-turbo's cjpeg (Debian's libjpeg-turbo-progs) and ImageMagick:
# an odd-sized crop, so that every plane has partial blocks and MCUs, in each
# subsampling, baseline and progressive, with and without restart markers.
set -eu
cd "$(dirname "$0")"
convert ../../../testdata/photo-sunset.jpg -crop 203x141+7+5 +repage ppm:src.ppm
for s in 1x1 2x1 2x2 1x2 4x1 4x2; do
  cjpeg -quality 90 -sample "$s" -outfile "base-$s.jpg" src.ppm
  cjpeg -quality 90 -sample "$s" -progressive -outfile "prog-$s.jpg" src.ppm
done
cjpeg -quality 90 -sample 2x2 -restart 3B -outfile restart-2x2.jpg src.ppm
cjpeg -quality 90 -sample 2x2 -progressive -restart 2 -outfile prog-restart-2x2.jpg src.ppm
cjpeg -quality 75 -grayscale -outfile gray.jpg src.ppm
cjpeg -quality 75 -grayscale -progressive -outfile prog-gray.jpg src.ppm
rm src.ppm
