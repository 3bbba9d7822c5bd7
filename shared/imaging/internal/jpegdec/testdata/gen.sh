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
# Chroma half as wide as luma but luma four wide, which image/jpeg
# miscounts in non-interleaved and progressive scans; and sequential scans
# of one component each (cjpeg -scans), with and without restarts.
cjpeg -quality 90 -sample 4x1,2x1,2x1 -outfile base-4x1-2x1.jpg src.ppm
cjpeg -quality 90 -sample 4x1,2x1,2x1 -progressive -outfile prog-4x1-2x1.jpg src.ppm
printf '0;\n1;\n2;\n' >scans.txt
cjpeg -quality 90 -sample 4x1,2x1,2x1 -scans scans.txt -outfile seqni-4x1-2x1.jpg src.ppm
cjpeg -quality 90 -sample 2x2 -scans scans.txt -restart 1B -outfile seqni-restart-2x2.jpg src.ppm
rm scans.txt
cjpeg -quality 75 -grayscale -outfile gray.jpg src.ppm
cjpeg -quality 75 -grayscale -progressive -outfile prog-gray.jpg src.ppm
rm src.ppm
