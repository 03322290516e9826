/*
 * pages.c - listing and loading page images: files, multi-page TIFFs,
 * PDFs of scans (through Ghostscript) and directories.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <leptonica/allheaders.h>

#include "pages.h"
#include "preprocess.h"
#include "xmalloc.h"

/* Pages beyond this in one PDF or TIFF are refused, not read. */
#define PAGES_MAX	2000

static const char *const image_exts[] = {
	".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".pnm", ".pgm",
	".ppm", ".pbm", ".webp", ".gif", ".jp2", ".pdf",
};

static int
has_image_ext(const char *name)
{
	const char *dot = strrchr(name, '.');
	size_t i;

	if (dot == NULL)
		return 0;
	for (i = 0; i < sizeof image_exts / sizeof image_exts[0]; i++)
		if (strcasecmp(dot, image_exts[i]) == 0)
			return 1;
	return 0;
}

static struct page_src *
add_page(struct page_list *l, const char *path, int index, int count,
    const char *image)
{
	struct page_src *p;

	l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
	p = &l->v[l->n++];
	p->path = xstrdup(path);
	p->index = index;
	p->count = count;
	p->image = image != NULL ? xstrdup(image) : NULL;
	p->error = NULL;
	return p;
}

/* A file that cannot be read: one page carrying the reason. */
static void
add_error(struct page_list *l, const char *path, const char *why)
{
	add_page(l, path, 0, 1, NULL)->error = xstrdup(why);
}

static int
is_pdf(const char *path)
{
	char magic[5] = { 0 };
	FILE *f = fopen(path, "rb");
	int yes;

	if (f == NULL)
		return 0;
	yes = fread(magic, 1, 5, f) == 5 && memcmp(magic, "%PDF-", 5) == 0;
	fclose(f);
	return yes;
}

/*
 * Ghostscript's first complaint in the file log ("Couldn't initialise
 * file."), or "" when it made none: what a user is told about a damaged
 * PDF.
 */
static void
gs_complaint(const char *log, char *out, size_t outlen)
{
	char line[512];
	FILE *f = fopen(log, "r");

	*out = '\0';
	if (f == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		char *p = strstr(line, "Error:"), *e;

		if (p == NULL)
			continue;
		p += strlen("Error:");
		while (*p == ' ')
			p++;
		for (e = p + strlen(p); e > p && strchr(" \r\n", e[-1]); e--)
			;
		*e = '\0';
		snprintf(out, outlen, "%s", p);
		break;
	}
	fclose(f);
}

/* Run Ghostscript; its messages go to the file log. */
static int
run_gs(const char *pdf, const char *pattern, const char *log, char *err,
    size_t errlen)
{
	char *out = xasprintf("-sOutputFile=%s", pattern);
	char *argv[] = {
		"gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE",
		"-sDEVICE=png16m", "-r300", out, "--", (char *)pdf, NULL,
	};
	int status, fd;
	pid_t pid;

	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "%s: cannot fork: %s", pdf,
		    strerror(errno));
		free(out);
		return -1;
	}
	if (pid == 0) {
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0)
			dup2(fd, 0);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp("gs", argv);
		_exit(127);
	}
	free(out);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(err, errlen, "%s: %s", pdf, strerror(errno));
			return -1;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		snprintf(err, errlen, "%s: reading PDFs needs Ghostscript "
		    "(gs), which is not installed", pdf);
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char why[300];

		gs_complaint(log, why, sizeof why);
		snprintf(err, errlen, "%s: the PDF is damaged or not a PDF: "
		    "Ghostscript could not render it%s%s", pdf,
		    *why != '\0' ? ": " : "", why);
		return -1;
	}
	return 0;
}

static int
add_pdf(struct page_list *l, const char *path, char *err, size_t errlen)
{
	static const char suffix[] = "kobito-ocr-XXXXXX";
	const char *tmp = getenv("TMPDIR");
	char *pattern, *file, *log;
	size_t base = l->n;
	int i, n = 0, rc;
	struct stat st;

	if (l->tmpdir == NULL) {
		char *dir = xasprintf("%s/%s", tmp != NULL && *tmp != '\0' ?
		    tmp : "/tmp", suffix);

		if (mkdtemp(dir) == NULL) {
			snprintf(err, errlen, "%s: cannot make a temporary "
			    "directory: %s", path, strerror(errno));
			free(dir);
			return -1;
		}
		l->tmpdir = dir;
	}
	/* One prefix per PDF: the number of pages listed before it. */
	pattern = xasprintf("%s/%05zu-%%04d.png", l->tmpdir, base);
	log = xasprintf("%s/%05zu.log", l->tmpdir, base);
	rc = run_gs(path, pattern, log, err, errlen);
	free(pattern);
	if (rc != 0) {
		unlink(log);
		free(log);
		return -1;
	}
	for (i = 1; i <= PAGES_MAX; i++) {
		file = xasprintf("%s/%05zu-%04d.png", l->tmpdir, base, i);
		if (stat(file, &st) != 0) {
			free(file);
			break;
		}
		add_page(l, path, i - 1, 0, file);
		n++;
		free(file);
	}
	if (n == 0) {
		char why[300];

		/* Ghostscript says "no pages will be processed" and succeeds
		 * on a file it cannot parse at all. */
		gs_complaint(log, why, sizeof why);
		if (*why != '\0')
			snprintf(err, errlen, "%s: the PDF is damaged or not "
			    "a PDF: Ghostscript: %s", path, why);
		else
			snprintf(err, errlen, "%s: the PDF has no pages",
			    path);
	}
	unlink(log);
	free(log);
	if (n == 0)
		return -1;
	for (i = 0; i < n; i++)
		l->v[base + i].count = n;
	return 0;
}

/* List the pages of one file; -1 with a message in err when it has none
 * that can be read. */
static int
list_file(struct page_list *l, const char *path, char *err, size_t errlen)
{
	l_int32 format = IFF_UNKNOWN, n = 1, i;
	struct stat st;
	FILE *f;

	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (st.st_size == 0) {
		snprintf(err, errlen, "%s: the file is empty", path);
		return -1;
	}
	if (is_pdf(path))
		return add_pdf(l, path, err, errlen);
	if (findFileFormat(path, &format) != 0 || format == IFF_UNKNOWN) {
		snprintf(err, errlen, "%s: not an image or PDF kobito can "
		    "read", path);
		return -1;
	}
	if (format == IFF_TIFF || format == IFF_TIFF_G3 ||
	    format == IFF_TIFF_G4 || format == IFF_TIFF_RLE ||
	    format == IFF_TIFF_PACKBITS || format == IFF_TIFF_LZW ||
	    format == IFF_TIFF_ZIP || format == IFF_TIFF_JPEG) {
		f = fopen(path, "rb");
		if (f == NULL || tiffGetCount(f, &n) != 0 || n < 1) {
			if (f != NULL)
				fclose(f);
			snprintf(err, errlen, "%s: cannot read the TIFF",
			    path);
			return -1;
		}
		fclose(f);
		if (n > PAGES_MAX) {
			snprintf(err, errlen, "%s: %d pages is more than the "
			    "%d kobito reads from one file", path, n,
			    PAGES_MAX);
			return -1;
		}
	}
	for (i = 0; i < n; i++)
		add_page(l, path, i, n, NULL);
	return 0;
}

/* A file's pages, or one page with the reason it cannot be read. */
static void
add_file(struct page_list *l, const char *path)
{
	char why[1024];

	if (list_file(l, path, why, sizeof why) != 0)
		add_error(l, path, why);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
add_dir(struct page_list *l, const char *path, const char *pattern,
    char *err, size_t errlen)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;

	if (d == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !has_image_ext(de->d_name))
			continue;
		if (pattern != NULL && fnmatch(pattern, de->d_name, 0) != 0)
			continue;
		names = xreallocarray(names, n + 1, sizeof *names);
		names[n++] = xasprintf("%s/%s", path, de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_names);
	for (i = 0; i < n; i++) {
		add_file(l, names[i]);
		free(names[i]);
	}
	free(names);
	return 0;
}

int
pages_add(struct page_list *l, const char *path, const char *pattern,
    char *err, size_t errlen)
{
	struct stat st;

	prep_quiet();
	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return add_dir(l, path, pattern, err, errlen);
	add_file(l, path);
	return 0;
}

/* The page's size from its file's header, before anything is decoded. */
static int
page_size(const struct page_src *p, l_int32 *w, l_int32 *h)
{
	l_int32 bps, spp, cmap, format, res;

	if (p->image == NULL && p->count > 1)
		return readHeaderTiff(p->path, p->index, w, h, &bps, &spp,
		    &res, &cmap, &format) == 0 ? 0 : -1;
	return pixReadHeader(p->image != NULL ? p->image : p->path, &format,
	    w, h, &bps, &spp, &cmap) == 0 ? 0 : -1;
}

PIX *
pages_load(const struct page_src *p, long max_pixels, char *err,
    size_t errlen)
{
	l_int32 w = 0, h = 0;
	PIX *pix;

	if (p->error != NULL) {
		snprintf(err, errlen, "%s", p->error);
		return NULL;
	}
	if (max_pixels <= 0)
		max_pixels = PAGES_MAX_PIXELS_DEFAULT;
	if (page_size(p, &w, &h) != 0) {
		snprintf(err, errlen, "%s: page %d: cannot read the image's "
		    "header: damaged or not an image", p->path, p->index + 1);
		return NULL;
	}
	if ((double)w * h > (double)max_pixels) {
		snprintf(err, errlen, "%s: page %d is %dx%d pixels (%.1f "
		    "million), more than the limit of %.1f million", p->path,
		    p->index + 1, w, h, (double)w * h / 1e6,
		    max_pixels / 1e6);
		return NULL;
	}
	if (p->image != NULL)
		pix = pixRead(p->image);
	else if (p->count > 1)
		pix = pixReadTiff(p->path, p->index);
	else
		pix = pixRead(p->path);
	if (pix == NULL)
		snprintf(err, errlen, "%s: cannot decode page %d", p->path,
		    p->index + 1);
	return pix;
}

void
pages_free(struct page_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (l->v[i].image != NULL)
			unlink(l->v[i].image);
		free(l->v[i].path);
		free(l->v[i].image);
		free(l->v[i].error);
	}
	if (l->tmpdir != NULL)
		rmdir(l->tmpdir);
	free(l->v);
	free(l->tmpdir);
	memset(l, 0, sizeof *l);
}

int
pages_parse_pixels(const char *text, long *out)
{
	char *end;
	double v = strtod(text, &end);

	if (end == text)
		return -1;
	if (*end == 'M' || *end == 'm') {
		v *= 1e6;
		end++;
	} else if (*end == 'G' || *end == 'g') {
		v *= 1e9;
		end++;
	}
	if (*end != '\0' || !(v >= 1) || v > 1e15)
		return -1;
	*out = (long)v;
	return 0;
}
