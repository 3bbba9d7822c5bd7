#!/bin/sh
# Regenerates the edge-case fixtures with libjpeg-turbo's cjpeg
# (Debian's libjpeg-turbo-progs) and ImageMagick, from
# ../../../../testdata/photo-sunset.jpg. The tests only read the results.
#
# Names are MODE-SIZE-SAMPLING.jpg. MODE is
#   b    baseline, interleaved (image/jpeg decodes it: the reference)
#   p    progressive
#   r    baseline with a restart marker after every MCU (-restart 1B)
#   pr   progressive with a restart marker after every MCU
#   ni   sequential, one scan per component, a restart after every block
#   cx   progressive with an unusual scan script (cx.txt: DC and AC
#        successive approximation, split bands, one-component DC scans),
#        a restart after every block
# SAMPLING is the luma sampling (chroma 1x1), or L_C for luma L and chroma C,
# or g for greyscale. edges_test.go says which baseline file each one is
# checked against when image/jpeg cannot decode it.
set -eu
cd "$(dirname "$0")"
rm -f ./*.jpg
convert ../../../../testdata/photo-sunset.jpg -crop 45x29+60+40 +repage ppm:odd.ppm
convert ../../../../testdata/photo-sunset.jpg -crop 1x1+100+70 +repage ppm:one.ppm
printf '0;\n1;\n2;\n' >ni.txt
cat >cx.txt <<'SCANS'
0: 0-0, 0, 2;
1: 0-0, 0, 1;
2: 0-0, 0, 1;
0: 1-2, 0, 3;
0: 3-63, 0, 2;
1: 1-63, 0, 1;
2: 1-5, 0, 0;
2: 6-63, 0, 0;
0: 1-2, 3, 2;
0: 1-63, 2, 1;
0: 1-63, 1, 0;
1: 1-63, 1, 0;
0: 0-0, 2, 1;
0: 0-0, 1, 0;
1: 0-0, 1, 0;
2: 0-0, 1, 0;
SCANS
q="-quality 85"
for s in 1x1 2x1 2x2 1x2 4x1 4x2; do
  # 1x1 pixel pictures: one partial block in every plane.
  cjpeg $q -sample $s -outfile b-1x1-$s.jpg one.ppm
  cjpeg $q -sample $s -progressive -outfile p-1x1-$s.jpg one.ppm
  cjpeg $q -sample $s -progressive -restart 1B -outfile pr-1x1-$s.jpg one.ppm
  # 45x29: partial blocks and MCUs in every plane at every sampling.
  cjpeg $q -sample $s -outfile b-45x29-$s.jpg odd.ppm
  cjpeg $q -sample $s -restart 1B -outfile r-45x29-$s.jpg odd.ppm
  cjpeg $q -sample $s -progressive -restart 1B -outfile pr-45x29-$s.jpg odd.ppm
done
# Luma sampling factors over 1 with chroma at the same or half of them: too
# many blocks for an interleaved MCU, so one component a scan. 2x2 under
# 4x2 is 4:2:0 (twin b-45x29-2x2), 2x2 under 2x2 is 4:4:4 (twin b-45x29-1x1).
for s in 4x2,2x1,2x1 2x2,2x2,2x2 4x2,2x2,2x2; do
  t=$(echo $s | tr , _)
  cjpeg $q -sample $s -scans ni.txt -restart 1B -outfile ni-45x29-$t.jpg odd.ppm
  cjpeg $q -sample $s -scans cx.txt -restart 1B -outfile cx-45x29-$t.jpg odd.ppm
done
cjpeg $q -sample 2x2 -scans cx.txt -restart 1B -outfile cx-45x29-2x2.jpg odd.ppm
# Greyscale with restarts, and the progressive pairs that
# TestDRIBetweenScans splices: the same coefficients without and with
# a restart after every MCU.
cjpeg $q -grayscale -outfile b-45x29-g.jpg odd.ppm
cjpeg $q -grayscale -restart 1B -outfile r-45x29-g.jpg odd.ppm
cjpeg $q -grayscale -progressive -outfile p-45x29-g.jpg odd.ppm
cjpeg $q -grayscale -progressive -restart 1B -outfile pr-45x29-g.jpg odd.ppm
cjpeg $q -sample 2x2 -progressive -outfile p-45x29-2x2.jpg odd.ppm
rm odd.ppm one.ppm ni.txt cx.txt
