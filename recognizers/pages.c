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
	return p;
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

/* Run Ghostscript; its messages go to err on failure. */
static int
run_gs(const char *pdf, const char *pattern, char *err, size_t errlen)
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
		fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
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
		snprintf(err, errlen, "%s: Ghostscript could not render the "
		    "PDF", pdf);
		return -1;
	}
	return 0;
}

static int
add_pdf(struct page_list *l, const char *path, char *err, size_t errlen)
{
	static const char suffix[] = "kobito-ocr-XXXXXX";
	const char *tmp = getenv("TMPDIR");
	char *pattern, *file;
	size_t base = l->n;
	int i, n = 0;
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
	if (run_gs(path, pattern, err, errlen) != 0) {
		free(pattern);
		return -1;
	}
	free(pattern);
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
		snprintf(err, errlen, "%s: the PDF has no pages", path);
		return -1;
	}
	for (i = 0; i < n; i++)
		l->v[base + i].count = n;
	return 0;
}

static int
add_file(struct page_list *l, const char *path, char *err, size_t errlen)
{
	l_int32 format = IFF_UNKNOWN, n = 1, i;
	FILE *f;

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
	int rc = 0;

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
		if (rc == 0)
			rc = add_file(l, names[i], err, errlen);
		free(names[i]);
	}
	free(names);
	return rc;
}

int
pages_add(struct page_list *l, const char *path, const char *pattern,
    char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return add_dir(l, path, pattern, err, errlen);
	return add_file(l, path, err, errlen);
}

PIX *
pages_load(const struct page_src *p, char *err, size_t errlen)
{
	PIX *pix;

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
	}
	if (l->tmpdir != NULL)
		rmdir(l->tmpdir);
	free(l->v);
	free(l->tmpdir);
	memset(l, 0, sizeof *l);
}
