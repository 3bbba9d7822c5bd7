// Command bench compares the resize step with libvips, vipsthumbnail and
// ImageMagick on real photographs, side by side in one run, and measures
// the peak memory of the step per pixel cap. run.sh prepares the photos and
// the tools and runs it; see README.md.
//
//	bench -photos DIR -vipsjob PATH [-runs 3]   the side-by-side table
//	bench -caps DIR                             peak RSS per input size
//	bench compare ORIGINAL THUMB...             SSIM and colour shift only
//	bench job IN OUTDIR | bench decode IN       a measured child (internal)
//
// CPU time is user+system time from the kernel's rusage of each child
// process (all its threads), and peak RSS its maxrss, so that the busy,
// shared machine's noise shows in wall time rather than in the numbers.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/imagepipe/imagepipe/shared/imaging/internal/similarity"
)

// usage is what one contestant cost on one photo.
type usage struct {
	cpu time.Duration
	rss int64 // bytes
}

// rusageTool is the compiled anchor/rusage.c that every measured command
// runs under.
var rusageTool string

// run runs the commands one after the other, each under rusageTool, and
// returns their summed CPU time and largest peak RSS.
func run(cmds []*exec.Cmd) (usage, error) {
	var u usage
	for _, c := range cmds {
		var stdout, stderr strings.Builder
		c.Args = append([]string{rusageTool}, c.Args...)
		c.Path = rusageTool
		c.Stdout, c.Stderr = &stdout, &stderr
		if err := c.Run(); err != nil {
			return u, fmt.Errorf("%s: %v: %s", strings.Join(c.Args, " "), err, stderr.String())
		}
		var user, sys, rss int64
		if _, err := fmt.Sscan(lastLine(stdout.String()), &user, &sys, &rss); err != nil {
			return u, fmt.Errorf("%s: rusage said %q", strings.Join(c.Args, " "), stdout.String())
		}
		u.cpu += time.Duration(user+sys) * time.Microsecond
		u.rss = max(u.rss, rss*1024) // kilobytes on Linux
	}
	return u, nil
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// contestant makes the commands that do the job on in, writing
// large/medium/thumb.jpg into out.
type contestant struct {
	name string
	cmds func(in, out string) []*exec.Cmd
	// quality says whether it writes a thumbnail to compare.
	quality bool
}

func contestants(self, vipsjob, magickConf string) []contestant {
	magick := func(args ...string) *exec.Cmd {
		c := exec.Command("/usr/bin/convert", args...)
		c.Env = append(os.Environ(), "MAGICK_CONFIGURE_PATH="+magickConf)
		return c
	}
	return []contestant{
		{"imaging.Process (Go)", func(in, out string) []*exec.Cmd {
			return []*exec.Cmd{exec.Command(self, "job", in, out)}
		}, true},
		{"libvips, one process", func(in, out string) []*exec.Cmd {
			return []*exec.Cmd{exec.Command(vipsjob, in, out)}
		}, true},
		{"vipsthumbnail ×3", func(in, out string) []*exec.Cmd {
			var cmds []*exec.Cmd
			for _, v := range []string{"large:1600", "medium:800", "thumb:200"} {
				name, edge, _ := strings.Cut(v, ":")
				cmds = append(cmds, exec.Command("vipsthumbnail", in, "-s", edge,
					"-o", filepath.Join(out, name+".jpg[Q=85,strip]")))
			}
			return cmds
		}, true},
		{"ImageMagick convert", func(in, out string) []*exec.Cmd {
			return []*exec.Cmd{magick(in, "-auto-orient", "-strip",
				"-resize", "1600x1600", "-quality", "85", "-write", filepath.Join(out, "large.jpg"),
				"-resize", "800x800", "-write", filepath.Join(out, "medium.jpg"),
				"-resize", "200x200", filepath.Join(out, "thumb.jpg"))}
		}, true},
		{"image/jpeg decode only", func(in, out string) []*exec.Cmd {
			return []*exec.Cmd{exec.Command(self, "decode", in)}
		}, false},
		{"jpegdec decode only", func(in, out string) []*exec.Cmd {
			return []*exec.Cmd{exec.Command(self, "decode-scaled", in)}
		}, false},
	}
}

// result is a contestant's median usage over the runs on one photo.
type result struct {
	usage
	q    similarity.Result
	qerr error
}

func median(us []usage) usage {
	cpu := make([]time.Duration, len(us))
	rss := make([]int64, len(us))
	for i, u := range us {
		cpu[i], rss[i] = u.cpu, u.rss
	}
	slices.Sort(cpu)
	slices.Sort(rss)
	return usage{cpu: cpu[len(cpu)/2], rss: rss[len(rss)/2]}
}

func sideBySide(photos []string, cs []contestant, runs int, tmp string) error {
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "photo\tcontestant\tCPU ms\t× vips\tpeak RSS MB\t× vips\t"+
		"SSIM 200px\tΔR\tΔG\tΔB\t")
	for _, photo := range photos {
		fmt.Fprintf(os.Stderr, "bench: %s, %d runs of each\n", filepath.Base(photo), runs)
		ref, err := loadReference(photo)
		if err != nil {
			return err
		}
		all := make([][]usage, len(cs))
		res := make([]result, len(cs))
		// Interleaved, so that a burst of load on the shared machine hits
		// every contestant rather than one.
		for r := range runs {
			for i, c := range cs {
				out := filepath.Join(tmp, fmt.Sprint(i))
				if err := os.MkdirAll(out, 0o755); err != nil {
					return err
				}
				u, err := run(c.cmds(photo, out))
				if err != nil {
					return err
				}
				all[i] = append(all[i], u)
				if r == 0 && c.quality {
					res[i].q, res[i].qerr = compare(ref, filepath.Join(out, "thumb.jpg"))
				}
			}
		}
		for i := range cs {
			res[i].usage = median(all[i])
		}
		base := res[1].usage // libvips in one process
		for i, c := range cs {
			r := res[i]
			q := "\t\t\t\t"
			switch {
			case r.qerr != nil:
				q = "error: " + r.qerr.Error() + "\t\t\t\t"
			case c.quality:
				q = fmt.Sprintf("%.4f\t%+.2f\t%+.2f\t%+.2f\t", r.q.SSIM,
					r.q.Shift[0], r.q.Shift[1], r.q.Shift[2])
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.2f\t%.0f\t%.2f\t%s\n", filepath.Base(photo), c.name,
				r.cpu.Milliseconds(), float64(r.cpu)/float64(base.cpu),
				float64(r.rss)/(1<<20), float64(r.rss)/float64(base.rss), q)
		}
	}
	return tw.Flush()
}

// capsTable prints the peak RSS of the Go job on each input of dir, largest
// last, three runs each (the largest of the three).
func capsTable(self, dir, tmp string) error {
	inputs, err := filepath.Glob(filepath.Join(dir, "[0-9]*"))
	if err != nil {
		return err
	}
	sort.Strings(inputs)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "input\tCPU ms\tpeak RSS MB\t")
	for _, in := range inputs {
		var worst usage
		for range 3 {
			u, err := run([]*exec.Cmd{exec.Command(self, "job", in, tmp)})
			if err != nil {
				return err
			}
			worst.cpu = max(worst.cpu, u.cpu)
			worst.rss = max(worst.rss, u.rss)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t\n", filepath.Base(in), worst.cpu.Milliseconds(),
			float64(worst.rss)/(1<<20))
	}
	return tw.Flush()
}

// child runs one of the modes that are not the driver (a measured job, a
// comparison), and reports whether args named one.
func child(args []string) (bool, error) {
	switch {
	case len(args) == 3 && args[0] == "job":
		return true, runJob(args[1], args[2])
	case len(args) == 2 && args[0] == "decode":
		return true, runDecode(args[1])
	case len(args) == 2 && args[0] == "decode-scaled":
		return true, runDecodeScaled(args[1])
	case len(args) >= 3 && args[0] == "compare":
		return true, runCompare(args[1], args[2:])
	}
	return false, nil
}

func main() {
	if ok, err := child(os.Args[1:]); ok {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	photos := flag.String("photos", "", "directory of the photographs to compare on")
	vipsjob := flag.String("vipsjob", "", "the compiled anchor/vipsjob.c")
	flag.StringVar(&rusageTool, "rusage", "", "the compiled anchor/rusage.c")
	magick := flag.String("magick-config", "", "directory of the raised ImageMagick policy.xml")
	caps := flag.String("caps", "", "directory of inputs to measure peak RSS on")
	runs := flag.Int("runs", 3, "runs per contestant and photo; the median is shown")
	flag.Parse()

	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tmp, err := os.MkdirTemp("", "imaging-bench")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer os.RemoveAll(tmp)

	switch {
	case *photos != "":
		list, _ := filepath.Glob(filepath.Join(*photos, "*.jpg"))
		sort.Strings(list)
		err = sideBySide(list, contestants(self, *vipsjob, *magick), *runs, tmp)
	case *caps != "":
		err = capsTable(self, *caps, tmp)
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// runCompare prints the quality of each thumbnail against the original.
func runCompare(original string, thumbs []string) error {
	ref, err := loadReference(original)
	if err != nil {
		return err
	}
	for _, t := range thumbs {
		q, err := compare(ref, t)
		if err != nil {
			return err
		}
		fmt.Printf("%s: SSIM %.4f shift R %+.2f G %+.2f B %+.2f\n", t, q.SSIM,
			q.Shift[0], q.Shift[1], q.Shift[2])
	}
	return nil
}
