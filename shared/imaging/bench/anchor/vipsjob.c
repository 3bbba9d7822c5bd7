/*
 * vipsjob does the resize step's job with libvips in one process, as the
 * benchmark's anchor: the original to 1600 px on the long edge with
 * shrink-on-load, then 800 and 200 from that, each saved as a JPEG at Q85
 * without metadata. It is built by run.sh in the benchmark's cache
 * directory and is never part of the project's build.
 *
 * usage: vipsjob INPUT OUTDIR
 */
#include <stdio.h>
#include <vips/vips.h>

static const struct {
	const char *name;
	int edge;
} variants[] = {{"large", 1600}, {"medium", 800}, {"thumb", 200}};

int main(int argc, char **argv)
{
	VipsImage *from = NULL;
	char path[4096];

	if (VIPS_INIT(argv[0]))
		vips_error_exit(NULL);
	if (argc != 3)
		vips_error_exit("usage: vipsjob INPUT OUTDIR");

	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		VipsImage *t, *m;
		int err;

		/* The first from the file (shrink-on-load, auto-rotate), the
		 * others from the one before it, held in memory. */
		if (from == NULL)
			err = vips_thumbnail(argv[1], &t, variants[i].edge, NULL);
		else
			err = vips_thumbnail_image(from, &t, variants[i].edge, NULL);
		if (err)
			vips_error_exit(NULL);
		if (!(m = vips_image_copy_memory(t)))
			vips_error_exit(NULL);
		g_object_unref(t);

		snprintf(path, sizeof(path), "%s/%s.jpg", argv[2], variants[i].name);
		if (vips_jpegsave(m, path, "Q", 85, "strip", TRUE, NULL))
			vips_error_exit(NULL);
		if (from)
			g_object_unref(from);
		from = m;
	}
	g_object_unref(from);
	vips_shutdown();
	return 0;
}
