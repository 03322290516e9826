/*
 * xlsx.c - opening a workbook: the zip container and its guards, the
 * package relationships, the workbook part (sheets, defined names, the
 * date system), styles (which cell formats show dates) and shared
 * strings; plus the pure helpers for references, serial dates and date
 * format codes.  Worksheets are streamed by xlsx_sheet.c.
 */
#include <sys/stat.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <expat.h>
#include <zip.h>

#include "buf.h"
#include "era.h"
#include "xlsx.h"
#include "xmalloc.h"

#define REL_NS_SUFFIX	"/relationships"

struct dname {
	char	*name;
	char	*value;
	long	 sheet;		/* localSheetId, or -1 */
};

/* Kinds of cell formats, indexed by cellXfs position. */
enum { KIND_NONE, KIND_DATE, KIND_TIME, KIND_DATETIME };
static const char *const kind_names[] = { NULL, "date", "time", "datetime" };

struct numfmt {
	unsigned	 id;
	unsigned char	 kind;
};

struct xlsx {
	char			*path;
	zip_t			*zip;
	struct xlsx_limits	 lim;
	uint64_t		 inflated;	/* bytes inflated so far */
	char			*wb_part;
	struct xlsx_sheet	*sheets;
	char			**sheet_rids;
	size_t			 nsheets;
	struct dname		*names;
	size_t			 nnames;
	int			 date1904;
	/* shared strings: all texts NUL-separated in one block */
	char			*sst;
	size_t			*sst_off;
	size_t			 nsst;
	/* styles */
	unsigned char		*xf_kind;
	size_t			 nxf;
};

/* --- parts: find, guard, stream through expat ----------------------- */

const char *
xlsx_local_name(const char *name)
{
	const char *p = strrchr(name, '|');

	return p != NULL ? p + 1 : name;
}

const char *
xlsx_attr(const char **atts, const char *local)
{
	for (size_t i = 0; atts[i] != NULL; i += 2)
		if (strcmp(xlsx_local_name(atts[i]), local) == 0)
			return atts[i + 1];
	return NULL;
}

static void XMLCALL
refuse_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal)
{
	struct xlsx_parse *p = ud;

	(void)name, (void)sysid, (void)pubid, (void)has_internal;
	snprintf(p->err, sizeof p->err, "a document type declaration "
	    "(not allowed in a workbook)");
	XML_StopParser(p->parser, XML_FALSE);
}

void
xlsx_parse_stop(struct xlsx_parse *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, sizeof p->err, fmt, ap);
	va_end(ap);
	XML_StopParser(p->parser, XML_FALSE);
}

void
xlsx_parse_done(struct xlsx_parse *p)
{
	p->stopped = 1;
	XML_StopParser(p->parser, XML_FALSE);
}

int
xlsx_part_parse(struct xlsx *x, const char *part, struct xlsx_parse *p,
    char *err, size_t errlen)
{
	zip_stat_t st;
	zip_int64_t idx, n;
	zip_file_t *zf;
	uint64_t got = 0, room;
	char *chunk, what[512];
	int rc = -1;

	p->err[0] = '\0';
	p->stopped = 0;
	if (p->label != NULL)
		snprintf(what, sizeof what, "%s", p->label);
	else
		snprintf(what, sizeof what, "part '%s'", part);
	if ((idx = zip_name_locate(x->zip, part, ZIP_FL_NOCASE)) < 0) {
		snprintf(err, errlen, "'%s': the workbook has no part '%s'",
		    x->path, part);
		return -1;
	}
	if (zip_stat_index(x->zip, (zip_uint64_t)idx, 0, &st) != 0) {
		snprintf(err, errlen, "'%s' %s: %s", x->path, what,
		    zip_strerror(x->zip));
		return -1;
	}
	if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) &&
	    st.encryption_method != ZIP_EM_NONE) {
		snprintf(err, errlen, "'%s' %s is encrypted (a "
		    "password-protected archive)", x->path, what);
		return -1;
	}
	room = x->lim.total - x->inflated;
	if ((st.valid & ZIP_STAT_SIZE) && (st.size > x->lim.part ||
	    st.size > room)) {
		snprintf(err, errlen, "'%s' %s (%s) would inflate to %llu "
		    "bytes, past the limit of %llu%s (a zip bomb?)", x->path,
		    what, part, (unsigned long long)st.size,
		    (unsigned long long)(st.size > x->lim.part ? x->lim.part :
		    x->lim.total), st.size > x->lim.part ? "" :
		    " for the whole workbook");
		return -1;
	}
	if ((zf = zip_fopen_index(x->zip, (zip_uint64_t)idx, 0)) == NULL) {
		snprintf(err, errlen, "'%s' %s: %s", x->path, what,
		    zip_strerror(x->zip));
		return -1;
	}
	p->parser = p->raw ? XML_ParserCreate(NULL) :
	    XML_ParserCreateNS(NULL, '|');
	if (p->parser == NULL) {
		fprintf(stderr, "xlsx: out of memory\n");
		abort();
	}
	XML_SetUserData(p->parser, p);
	if (p->decl != NULL)
		XML_SetXmlDeclHandler(p->parser, p->decl);
	if (p->comment != NULL)
		XML_SetCommentHandler(p->parser, p->comment);
	if (p->pi != NULL)
		XML_SetProcessingInstructionHandler(p->parser, p->pi);
	XML_SetElementHandler(p->parser, p->start, p->end);
	if (p->text != NULL)
		XML_SetCharacterDataHandler(p->parser, p->text);
	XML_SetStartDoctypeDeclHandler(p->parser, refuse_doctype);
	chunk = xmalloc(65536);
	for (;;) {
		n = zip_fread(zf, chunk, 65536);
		if (n < 0) {
			snprintf(err, errlen, "'%s' %s is corrupt: %s",
			    x->path, what, zip_file_strerror(zf));
			goto out;
		}
		got += (uint64_t)n;
		x->inflated += (uint64_t)n;
		if (got > st.size || got > x->lim.part ||
		    x->inflated > x->lim.total) {
			snprintf(err, errlen, "'%s' %s (%s) inflates past its "
			    "declared size or the limit (a zip bomb?)",
			    x->path, what, part);
			goto out;
		}
		if (XML_Parse(p->parser, chunk, (int)n, n == 0) ==
		    XML_STATUS_ERROR) {
			if (p->stopped && p->err[0] == '\0') {
				rc = 0;
				goto out;
			}
			snprintf(err, errlen, "'%s' %s line %lu: %s", x->path,
			    what, (unsigned long)XML_GetCurrentLineNumber(
			    p->parser), p->err[0] != '\0' ? p->err :
			    XML_ErrorString(XML_GetErrorCode(p->parser)));
			goto out;
		}
		if (n == 0)
			break;
	}
	rc = 0;
out:
	free(chunk);
	XML_ParserFree(p->parser);
	p->parser = NULL;
	zip_fclose(zf);
	return rc;
}

int
xlsx_has_part(const struct xlsx *x, const char *part)
{
	return zip_name_locate(x->zip, part, ZIP_FL_NOCASE) >= 0;
}

/* --- relationships ---------------------------------------------------- */

struct rel {
	char	*id;
	char	*type;
	char	*target;	/* resolved to a part name */
};

struct rels {
	struct xlsx_parse	 p;
	const char		*base;	/* the source part */
	struct rel		*v;
	size_t			 n;
};

/* The part a relationship target names, relative to the source part. */
static char *
resolve_target(const char *source, const char *target)
{
	struct buf b;
	const char *slash, *seg;
	size_t len;

	buf_init(&b, 0);
	if (target[0] == '/') {
		target++;
	} else if ((slash = strrchr(source, '/')) != NULL) {
		buf_append(&b, source, (size_t)(slash - source + 1));
	}
	while (*target != '\0') {
		seg = target;
		len = strcspn(seg, "/");
		target += len + (seg[len] == '/');
		if (len == 2 && strncmp(seg, "..", 2) == 0) {
			/* drop the last directory of b */
			if (b.len > 0)
				b.len--;
			while (b.len > 0 && b.data[b.len - 1] != '/')
				b.len--;
			if (b.data != NULL)
				b.data[b.len] = '\0';
			continue;
		}
		if (len == 1 && seg[0] == '.')
			continue;
		buf_append(&b, seg, len);
		if (seg[len] == '/')
			buf_putc(&b, '/');
	}
	return buf_detach(&b, NULL);
}

static void XMLCALL
rels_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct rels *r = ud;
	const char *id, *type, *target, *mode;

	if (strcmp(xlsx_local_name(name), "Relationship") != 0)
		return;
	id = xlsx_attr(atts, "Id");
	type = xlsx_attr(atts, "Type");
	target = xlsx_attr(atts, "Target");
	mode = xlsx_attr(atts, "TargetMode");
	if (id == NULL || type == NULL || target == NULL ||
	    (mode != NULL && strcmp(mode, "External") == 0))
		return;
	r->v = xreallocarray(r->v, r->n + 1, sizeof *r->v);
	r->v[r->n].id = xstrdup(id);
	r->v[r->n].type = xstrdup(type);
	r->v[r->n].target = resolve_target(r->base, target);
	r->n++;
}

static void
rels_free(struct rels *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].id);
		free(r->v[i].type);
		free(r->v[i].target);
	}
	free(r->v);
}

/* The relationships of part (from its _rels/NAME.rels), maybe none. */
static int
rels_read(struct xlsx *x, const char *part, struct rels *r, char *err,
    size_t errlen)
{
	const char *slash = strrchr(part, '/');
	char *relpart;
	int rc;

	memset(r, 0, sizeof *r);
	r->base = part;
	r->p.start = rels_start;
	if (slash == NULL)
		relpart = xasprintf("_rels/%s.rels", part);
	else
		relpart = xasprintf("%.*s/_rels/%s.rels",
		    (int)(slash - part), part, slash + 1);
	rc = xlsx_has_part(x, relpart) ?
	    xlsx_part_parse(x, relpart, &r->p, err, errlen) : 0;
	free(relpart);
	return rc;
}

/* The target of the first relationship whose type ends in suffix. */
static const char *
rels_by_type(const struct rels *r, const char *suffix)
{
	size_t sl = strlen(suffix);

	for (size_t i = 0; i < r->n; i++) {
		size_t tl = strlen(r->v[i].type);

		if (tl >= sl && strcmp(r->v[i].type + tl - sl, suffix) == 0)
			return r->v[i].target;
	}
	return NULL;
}

static const char *
rels_by_id(const struct rels *r, const char *id)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].id, id) == 0)
			return r->v[i].target;
	return NULL;
}

static int	read_styles(struct xlsx *, const char *, char *, size_t);
static int	read_strings(struct xlsx *, const char *, char *, size_t);

/* --- the workbook part ------------------------------------------------ */

struct wbparse {
	struct xlsx_parse	 p;
	struct xlsx		*x;
	struct buf		 text;
	struct dname		*cur;	/* inside <definedName> */
};

static int
truthy(const char *v)
{
	return v != NULL && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
}

static void XMLCALL
wb_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct wbparse *w = ud;
	struct xlsx *x = w->x;
	const char *ln = xlsx_local_name(name), *v, *rid = NULL;

	if (strcmp(ln, "workbookPr") == 0) {
		x->date1904 = truthy(xlsx_attr(atts, "date1904"));
	} else if (strcmp(ln, "sheet") == 0) {
		struct xlsx_sheet *s;

		for (size_t i = 0; atts[i] != NULL; i += 2)
			if (strcmp(xlsx_local_name(atts[i]), "id") == 0 &&
			    strstr(atts[i], REL_NS_SUFFIX "|") != NULL)
				rid = atts[i + 1];
		if ((v = xlsx_attr(atts, "name")) == NULL || rid == NULL)
			return;
		x->sheets = xreallocarray(x->sheets, x->nsheets + 1,
		    sizeof *x->sheets);
		x->sheet_rids = xreallocarray(x->sheet_rids, x->nsheets + 1,
		    sizeof *x->sheet_rids);
		s = &x->sheets[x->nsheets];
		s->name = xstrdup(v);
		s->part = NULL;
		s->visibility = XLSX_VISIBLE;
		if ((v = xlsx_attr(atts, "state")) != NULL) {
			if (strcmp(v, "hidden") == 0)
				s->visibility = XLSX_HIDDEN;
			else if (strcmp(v, "veryHidden") == 0)
				s->visibility = XLSX_VERY_HIDDEN;
		}
		x->sheet_rids[x->nsheets++] = xstrdup(rid);
	} else if (strcmp(ln, "definedName") == 0) {
		if ((v = xlsx_attr(atts, "name")) == NULL)
			return;
		x->names = xreallocarray(x->names, x->nnames + 1,
		    sizeof *x->names);
		w->cur = &x->names[x->nnames++];
		w->cur->name = xstrdup(v);
		w->cur->value = NULL;
		v = xlsx_attr(atts, "localSheetId");
		w->cur->sheet = v != NULL ? strtol(v, NULL, 10) : -1;
		buf_reset(&w->text);
	}
}

static void XMLCALL
wb_end(void *ud, const XML_Char *name)
{
	struct wbparse *w = ud;

	if (w->cur != NULL && strcmp(xlsx_local_name(name),
	    "definedName") == 0) {
		w->cur->value = xstrdup(buf_str(&w->text));
		w->cur = NULL;
	}
}

static void XMLCALL
wb_text(void *ud, const XML_Char *s, int len)
{
	struct wbparse *w = ud;

	if (w->cur != NULL && buf_append(&w->text, s, (size_t)len) != 0)
		xlsx_parse_stop(&w->p, "a defined name longer than %u bytes",
		    (unsigned)w->text.cap);
}

static int
read_workbook(struct xlsx *x, char *err, size_t errlen)
{
	struct wbparse w = { .x = x };
	struct rels root, wbr;
	const char *t;
	int rc = -1;

	memset(&wbr, 0, sizeof wbr);
	if (rels_read(x, "", &root, err, errlen) != 0)
		return -1;
	/* "_rels/.rels" is what rels_read("") asks for. */
	t = rels_by_type(&root, "/officeDocument");
	x->wb_part = xstrdup(t != NULL ? t : "xl/workbook.xml");
	rels_free(&root);
	if (!xlsx_has_part(x, x->wb_part)) {
		snprintf(err, errlen, "'%s' is a zip archive but not a "
		    "workbook (no '%s')", x->path, x->wb_part);
		return -1;
	}
	buf_init(&w.text, 64 * 1024);
	w.p.start = wb_start;
	w.p.end = wb_end;
	w.p.text = wb_text;
	if (xlsx_part_parse(x, x->wb_part, &w.p, err, errlen) != 0)
		goto out;
	for (size_t i = 0; i < x->nnames; i++)
		if (x->names[i].value == NULL)
			x->names[i].value = xstrdup("");
	if (rels_read(x, x->wb_part, &wbr, err, errlen) != 0)
		goto out;
	for (size_t i = 0; i < x->nsheets; i++) {
		t = rels_by_id(&wbr, x->sheet_rids[i]);
		if (t == NULL) {
			snprintf(err, errlen, "'%s': sheet '%s' points to a "
			    "missing relationship '%s'", x->path,
			    x->sheets[i].name, x->sheet_rids[i]);
			goto out;
		}
		x->sheets[i].part = xstrdup(t);
	}
	if ((t = rels_by_type(&wbr, "/styles")) != NULL &&
	    xlsx_has_part(x, t) && read_styles(x, t, err, errlen) != 0)
		goto out;
	if ((t = rels_by_type(&wbr, "/sharedStrings")) != NULL &&
	    xlsx_has_part(x, t) && read_strings(x, t, err, errlen) != 0)
		goto out;
	rc = 0;
out:
	rels_free(&wbr);
	buf_free(&w.text);
	return rc;
}

/* --- styles: which cell formats are dates -------------------------------- */

/* The kind of a built-in number format (ids below 164). */
static unsigned char
builtin_kind(unsigned id)
{
	if ((id >= 14 && id <= 17) || (id >= 27 && id <= 31) ||
	    (id >= 34 && id <= 36) || (id >= 50 && id <= 58))
		return KIND_DATE;	/* 27-36, 50-58: the CJK era and
					   年月日 formats */
	if ((id >= 18 && id <= 21) || id == 32 || id == 33 ||
	    (id >= 45 && id <= 47))
		return KIND_TIME;
	if (id == 22)
		return KIND_DATETIME;
	return KIND_NONE;
}

struct styparse {
	struct xlsx_parse	 p;
	struct xlsx		*x;
	struct numfmt		*fmts;
	size_t			 nfmts;
	int			 in_cellxfs;
};

static unsigned char
kind_of(const char *code)
{
	const char *k = xlsx_format_date_kind(code);

	for (unsigned char i = 1; i < 4; i++)
		if (k != NULL && strcmp(k, kind_names[i]) == 0)
			return i;
	return KIND_NONE;
}

static void XMLCALL
sty_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct styparse *s = ud;
	const char *ln = xlsx_local_name(name), *id, *code;

	if (strcmp(ln, "numFmt") == 0) {
		id = xlsx_attr(atts, "numFmtId");
		code = xlsx_attr(atts, "formatCode");
		if (id == NULL || code == NULL)
			return;
		s->fmts = xreallocarray(s->fmts, s->nfmts + 1,
		    sizeof *s->fmts);
		s->fmts[s->nfmts].id = (unsigned)strtoul(id, NULL, 10);
		s->fmts[s->nfmts++].kind = kind_of(code);
	} else if (strcmp(ln, "cellXfs") == 0) {
		s->in_cellxfs = 1;
	} else if (s->in_cellxfs && strcmp(ln, "xf") == 0) {
		unsigned fid, kind;
		size_t i;

		id = xlsx_attr(atts, "numFmtId");
		fid = id != NULL ? (unsigned)strtoul(id, NULL, 10) : 0;
		kind = builtin_kind(fid);
		for (i = 0; i < s->nfmts; i++)
			if (s->fmts[i].id == fid)
				kind = s->fmts[i].kind;
		s->x->xf_kind = xreallocarray(s->x->xf_kind, s->x->nxf + 1, 1);
		s->x->xf_kind[s->x->nxf++] = (unsigned char)kind;
	}
}

static void XMLCALL
sty_end(void *ud, const XML_Char *name)
{
	struct styparse *s = ud;

	if (strcmp(xlsx_local_name(name), "cellXfs") == 0)
		s->in_cellxfs = 0;
}

static int
read_styles(struct xlsx *x, const char *part, char *err, size_t errlen)
{
	struct styparse s = { .x = x };
	int rc;

	s.p.start = sty_start;
	s.p.end = sty_end;
	rc = xlsx_part_parse(x, part, &s.p, err, errlen);
	free(s.fmts);
	return rc;
}

const char *
xlsx_style_date_kind(const struct xlsx *x, unsigned style)
{
	return style < x->nxf ? kind_names[x->xf_kind[style]] : NULL;
}

/* --- shared strings ------------------------------------------------------ */

struct sstparse {
	struct xlsx_parse	 p;
	struct xlsx		*x;
	struct buf		 all;
	size_t			 cap_offs;
	int			 in_si, in_t, skip;	/* skip: inside <rPh> */
};

static void XMLCALL
sst_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct sstparse *s = ud;
	const char *ln = xlsx_local_name(name);

	(void)atts;
	if (strcmp(ln, "si") == 0) {
		struct xlsx *x = s->x;

		if (x->nsst == s->cap_offs) {
			s->cap_offs = s->cap_offs ? s->cap_offs * 2 : 1024;
			x->sst_off = xreallocarray(x->sst_off, s->cap_offs,
			    sizeof *x->sst_off);
		}
		x->sst_off[x->nsst++] = s->all.len;
		s->in_si = 1;
	} else if (strcmp(ln, "rPh") == 0 || strcmp(ln, "phoneticPr") == 0) {
		s->skip++;	/* furigana: not part of the text */
	} else if (strcmp(ln, "t") == 0 && s->in_si && !s->skip) {
		s->in_t = 1;
	}
}

static void XMLCALL
sst_end(void *ud, const XML_Char *name)
{
	struct sstparse *s = ud;
	const char *ln = xlsx_local_name(name);

	if (strcmp(ln, "si") == 0) {
		if (buf_putc(&s->all, '\0') != 0)
			xlsx_parse_stop(&s->p, "the shared strings pass %u "
			    "bytes", (unsigned)s->all.cap);
		s->in_si = 0;
	} else if (strcmp(ln, "rPh") == 0 || strcmp(ln, "phoneticPr") == 0) {
		s->skip--;
	} else if (strcmp(ln, "t") == 0) {
		s->in_t = 0;
	}
}

static void XMLCALL
sst_text(void *ud, const XML_Char *t, int len)
{
	struct sstparse *s = ud;

	if (s->in_t && buf_append(&s->all, t, (size_t)len) != 0)
		xlsx_parse_stop(&s->p, "the shared strings pass %u bytes",
		    (unsigned)s->all.cap);
}

static int
read_strings(struct xlsx *x, const char *part, char *err,
    size_t errlen)
{
	struct sstparse s = { .x = x };

	buf_init(&s.all, x->lim.part > SIZE_MAX / 2 ? SIZE_MAX / 2 :
	    (size_t)x->lim.part);
	s.p.start = sst_start;
	s.p.end = sst_end;
	s.p.text = sst_text;
	if (xlsx_part_parse(x, part, &s.p, err, errlen) != 0) {
		buf_free(&s.all);
		return -1;
	}
	buf_putc(&s.all, '\0');
	x->sst = buf_detach(&s.all, NULL);
	return 0;
}

const char *
xlsx_shared_string(const struct xlsx *x, size_t i, size_t *len)
{
	const char *s;

	if (i >= x->nsst)
		return NULL;
	s = x->sst + x->sst_off[i];
	*len = strlen(s);
	return s;
}

/* --- opening -------------------------------------------------------------- */

/* The OLE compound file signature: .xls, and encrypted .xlsx. */
static const unsigned char ole_magic[8] = {
	0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1
};

int
xlsx_sniff(const char *path, char *err, size_t errlen)
{
	static const char pkg[] = "E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0k\0a\0"
	    "g\0e\0";
	unsigned char head[8];
	char *chunk;
	ssize_t n;
	size_t keep = 0;
	int fd, kind = XLSX_KIND_OTHER;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "cannot open '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	n = read(fd, head, sizeof head);
	if (n >= 4 && memcmp(head, "PK\3\4", 4) == 0)
		kind = XLSX_KIND_ZIP;
	else if (n == 8 && memcmp(head, ole_magic, 8) == 0)
		kind = XLSX_KIND_OLE;
	if (kind != XLSX_KIND_OLE) {
		close(fd);
		return kind;
	}
	/* An encrypted OOXML package names its stream in the directory. */
	chunk = xmalloc(65536 + sizeof pkg);
	while ((n = read(fd, chunk + keep, 65536)) > 0) {
		size_t have = keep + (size_t)n;

		if (memmem(chunk, have, pkg, sizeof pkg - 1) != NULL) {
			kind = XLSX_KIND_ENCRYPTED;
			break;
		}
		keep = have < sizeof pkg ? have : sizeof pkg;
		memmove(chunk, chunk + have - keep, keep);
	}
	free(chunk);
	close(fd);
	return kind;
}

int
xlsx_open(const char *path, const struct xlsx_limits *limits,
    struct xlsx **out, char *err, size_t errlen)
{
	struct xlsx *x;
	zip_error_t ze;
	int zerr, kind;

	*out = NULL;
	if ((kind = xlsx_sniff(path, err, errlen)) < 0)
		return -1;
	if (kind == XLSX_KIND_ENCRYPTED) {
		snprintf(err, errlen, "'%s' is a password-protected "
		    "workbook: save it without a password to read it", path);
		return -1;
	}
	if (kind == XLSX_KIND_OLE) {
		snprintf(err, errlen, "'%s' is a legacy Excel 97-2003 "
		    "workbook, not .xlsx", path);
		return -1;
	}
	x = xcalloc(1, sizeof *x);
	x->path = xstrdup(path);
	x->lim.part = limits && limits->part ? limits->part : XLSX_PART_LIMIT;
	x->lim.total = limits && limits->total ? limits->total :
	    XLSX_TOTAL_LIMIT;
	if ((x->zip = zip_open(path, ZIP_RDONLY, &zerr)) == NULL) {
		zip_error_init_with_code(&ze, zerr);
		snprintf(err, errlen, "'%s' is not a workbook: %s", path,
		    kind == XLSX_KIND_ZIP ? zip_error_strerror(&ze) :
		    "not a zip archive");
		zip_error_fini(&ze);
		xlsx_close(x);
		return -1;
	}
	if (read_workbook(x, err, errlen) != 0) {
		xlsx_close(x);
		return -1;
	}
	*out = x;
	return 0;
}

void
xlsx_close(struct xlsx *x)
{
	if (x == NULL)
		return;
	if (x->zip != NULL)
		zip_discard(x->zip);
	for (size_t i = 0; i < x->nsheets; i++) {
		free((char *)x->sheets[i].name);
		free((char *)x->sheets[i].part);
		free(x->sheet_rids[i]);
	}
	free(x->sheets);
	free(x->sheet_rids);
	for (size_t i = 0; i < x->nnames; i++) {
		free(x->names[i].name);
		free(x->names[i].value);
	}
	free(x->names);
	free(x->sst);
	free(x->sst_off);
	free(x->xf_kind);
	free(x->wb_part);
	free(x->path);
	free(x);
}

size_t
xlsx_sheet_count(const struct xlsx *x)
{
	return x->nsheets;
}

const struct xlsx_sheet *
xlsx_sheet_at(const struct xlsx *x, size_t i)
{
	return i < x->nsheets ? &x->sheets[i] : NULL;
}

long
xlsx_sheet_find(const struct xlsx *x, const char *name)
{
	for (size_t i = 0; i < x->nsheets; i++)
		if (strcmp(x->sheets[i].name, name) == 0)
			return (long)i;
	/* Excel compares sheet names without regard to ASCII case. */
	for (size_t i = 0; i < x->nsheets; i++)
		if (strcasecmp(x->sheets[i].name, name) == 0)
			return (long)i;
	return -1;
}

int
xlsx_date1904(const struct xlsx *x)
{
	return x->date1904;
}

const char *
xlsx_defined_name(const struct xlsx *x, const char *name, long sheet)
{
	const char *found = NULL;

	for (size_t i = 0; i < x->nnames; i++) {
		if (strcasecmp(x->names[i].name, name) != 0)
			continue;
		if (x->names[i].sheet == sheet && sheet >= 0)
			return x->names[i].value;
		if (x->names[i].sheet < 0)
			found = x->names[i].value;
	}
	return found;
}

int
xlsx_resolve_cell(const struct xlsx *x, const char *ref, size_t dflt,
    size_t *sheet, uint32_t *row, uint32_t *col, char *err, size_t errlen)
{
	struct xlsx_range r;
	const char *def;
	char *sh = NULL;
	long i;

	if (xlsx_qualified_parse(ref, &sh, &r) != 0) {
		def = xlsx_defined_name(x, ref, (long)dflt);
		if (def == NULL || xlsx_qualified_parse(def[0] == '=' ?
		    def + 1 : def, &sh, &r) != 0) {
			snprintf(err, errlen, "'%s' is neither a cell "
			    "reference nor a name defined in the workbook",
			    ref);
			return -1;
		}
	}
	if (r.r1 != r.r2 || r.c1 != r.c2) {
		free(sh);
		snprintf(err, errlen, "'%s' is a range, not one cell", ref);
		return -1;
	}
	*sheet = dflt;
	if (sh != NULL) {
		if ((i = xlsx_sheet_find(x, sh)) < 0) {
			snprintf(err, errlen, "'%s' names sheet '%s', which "
			    "the workbook does not have", ref, sh);
			free(sh);
			return -1;
		}
		*sheet = (size_t)i;
		free(sh);
	}
	*row = r.r1;
	*col = r.c1;
	return 0;
}

const char *
xlsx_path(const struct xlsx *x)
{
	return x->path;
}

struct zip *
xlsx_zip(const struct xlsx *x)
{
	return x->zip;
}

const char *
xlsx_workbook_part(const struct xlsx *x)
{
	return x->wb_part;
}

/* --- references ------------------------------------------------------------ */

size_t
xlsx_ref_parse(const char *s, uint32_t *row, uint32_t *col)
{
	const char *p = s;
	uint64_t c = 0, r = 0;
	int nl = 0, nd = 0;

	if (*p == '$')
		p++;
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) {
		c = c * 26 + (uint64_t)((*p | 0x20) - 'a' + 1);
		if (++nl > 3)
			return 0;
		p++;
	}
	if (*p == '$')
		p++;
	while (*p >= '0' && *p <= '9') {
		r = r * 10 + (uint64_t)(*p - '0');
		if (++nd > 7)
			return 0;
		p++;
	}
	if (nl == 0 || nd == 0 || c > XLSX_MAX_COLS || r == 0 ||
	    r > XLSX_MAX_ROWS)
		return 0;
	*row = (uint32_t)r;
	*col = (uint32_t)c;
	return (size_t)(p - s);
}

int
xlsx_range_parse(const char *s, struct xlsx_range *r)
{
	size_t n = xlsx_ref_parse(s, &r->r1, &r->c1);

	if (n == 0)
		return -1;
	if (s[n] == '\0') {
		r->r2 = r->r1;
		r->c2 = r->c1;
		return 0;
	}
	if (s[n] != ':')
		return -1;
	s += n + 1;
	n = xlsx_ref_parse(s, &r->r2, &r->c2);
	if (n == 0 || s[n] != '\0')
		return -1;
	if (r->r2 < r->r1) {
		uint32_t t = r->r1;
		r->r1 = r->r2;
		r->r2 = t;
	}
	if (r->c2 < r->c1) {
		uint32_t t = r->c1;
		r->c1 = r->c2;
		r->c2 = t;
	}
	return 0;
}

int
xlsx_qualified_parse(const char *s, char **sheet, struct xlsx_range *r)
{
	const char *bang;
	struct buf b;

	*sheet = NULL;
	if (s[0] == '\'') {
		/* 'It''s' quoted, a doubled quote standing for one */
		const char *p = s + 1;

		buf_init(&b, 4096);
		for (;;) {
			if (*p == '\0') {
				buf_free(&b);
				return -1;
			}
			if (*p == '\'' && p[1] == '\'') {
				buf_putc(&b, '\'');
				p += 2;
				continue;
			}
			if (*p == '\'')
				break;
			buf_putc(&b, *p++);
		}
		if (p[1] != '!' || xlsx_range_parse(p + 2, r) != 0) {
			buf_free(&b);
			return -1;
		}
		*sheet = buf_detach(&b, NULL);
		return 0;
	}
	if ((bang = strrchr(s, '!')) != NULL) {
		if (bang == s || xlsx_range_parse(bang + 1, r) != 0)
			return -1;
		*sheet = xstrndup(s, (size_t)(bang - s));
		return 0;
	}
	return xlsx_range_parse(s, r);
}

void
xlsx_col_name(uint32_t col, char out[4])
{
	char tmp[4];
	int n = 0;

	while (col > 0 && n < 3) {
		col--;
		tmp[n++] = (char)('A' + col % 26);
		col /= 26;
	}
	for (int i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
}

void
xlsx_ref_name(uint32_t row, uint32_t col, char *out, size_t outlen)
{
	char c[4];

	xlsx_col_name(col, c);
	snprintf(out, outlen, "%s%u", c, row);
}

/* --- serial dates ----------------------------------------------------------- */

int
xlsx_serial_text(double serial, int date1904, const char *kind, char *out,
    size_t outlen)
{
	long days, secs;
	int y, m, d;

	if (!isfinite(serial) || serial < 0 || serial > 2958466)
		return -1;
	days = (long)floor(serial);
	secs = lround((serial - (double)days) * 86400.0);
	if (secs >= 86400) {
		days++;
		secs -= 86400;
	}
	if (strcmp(kind, "time") == 0) {
		snprintf(out, outlen, "%02ld:%02ld:%02ld", secs / 3600,
		    secs / 60 % 60, secs % 60);
		return 0;
	}
	if (date1904)
		days += date_to_days(1904, 1, 1);
	else if (days >= 61)
		days += date_to_days(1899, 12, 30);
	else if (days >= 1 && days < 60)
		days += date_to_days(1899, 12, 31);
	else
		return -1;	/* 0 and Excel's 1900-02-29, neither a date */
	date_from_days(days, &y, &m, &d);
	if (strcmp(kind, "datetime") == 0)
		snprintf(out, outlen, "%04d-%02d-%02dT%02ld:%02ld:%02ld", y, m,
		    d, secs / 3600, secs / 60 % 60, secs % 60);
	else
		snprintf(out, outlen, "%04d-%02d-%02d", y, m, d);
	return 0;
}

int
xlsx_serial_from_iso(const char *s, double *serial)
{
	int y, m, d, hh = 0, mm = 0, ss = 0, n = 0;
	char date[11];
	long days;

	if (strlen(s) < 10)
		return -1;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (date_parse_iso(date, &y, &m, &d) != 0)
		return -1;
	if (s[10] != '\0') {
		if ((s[10] != 'T' && s[10] != ' ') ||
		    sscanf(s + 11, "%2d:%2d%n", &hh, &mm, &n) != 2)
			return -1;
		if (s[11 + n] == ':' &&
		    sscanf(s + 12 + n, "%2d", &ss) != 1)
			return -1;
		if (hh > 23 || mm > 59 || ss > 59)
			return -1;
	}
	days = date_to_days(y, m, d) - date_to_days(1899, 12, 30);
	if (days < 61)
		days--;		/* before Excel's phantom 1900-02-29 */
	if (days < 1)
		return -1;
	*serial = (double)days + (hh * 3600 + mm * 60 + ss) / 86400.0;
	return 0;
}

const char *
xlsx_format_date_kind(const char *code)
{
	int date = 0, time = 0, month = 0;
	const char *p = code;

	if (strcasecmp(code, "General") == 0 || strcmp(code, "@") == 0)
		return NULL;
	for (; *p != '\0' && *p != ';'; p++) {
		switch (*p) {
		case '"':
			while (p[1] != '\0' && p[1] != '"')
				p++;
			if (p[1] == '"')
				p++;
			continue;
		case '\\': case '_': case '*':
			if (p[1] != '\0')
				p++;
			continue;
		case '[':
			/* [h] [mm] [ss]: elapsed time; the rest are
			   colours, conditions and [$-411] locales */
			if (strchr("hHmMsS", p[1]) != NULL &&
			    strspn(p + 1, "hHmMsS") == strcspn(p + 1, "]"))
				time = 1;
			while (p[1] != '\0' && p[1] != ']')
				p++;
			if (p[1] == ']')
				p++;
			continue;
		}
		if (strncasecmp(p, "AM/PM", 5) == 0) {
			p += 4;
			continue;
		}
		if (strncasecmp(p, "A/P", 3) == 0) {
			p += 2;
			continue;
		}
		if (strncasecmp(p, "General", 7) == 0) {
			p += 6;
			continue;
		}
		switch (*p) {
		case 'y': case 'Y': case 'd': case 'D': case 'g': case 'G':
			date = 1;
			break;
		case 'e': case 'E':
			if (p[1] == '+' || p[1] == '-')
				return NULL;	/* 0.00E+00 */
			date = 1;
			break;
		case 'h': case 'H': case 's': case 'S':
			time = 1;
			break;
		case 'm': case 'M':
			month = 1;
			break;
		}
	}
	if (month && !time)
		date = 1;
	if (date && time)
		return "datetime";
	return date ? "date" : time ? "time" : NULL;
}

/* --- formulas ----------------------------------------------------------------- */

static int
ident_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.' ||
	    (unsigned char)c >= 0x80;
}

/* One reference at p, shifted, appended to b; the bytes used, or 0. */
static size_t
shift_ref(const char *p, long drow, long dcol, struct buf *b)
{
	const char *q = p;
	int cabs = 0, rabs = 0;
	uint32_t row, col;
	long r, c;
	char name[4];
	size_t n;

	if ((n = xlsx_ref_parse(p, &row, &col)) == 0)
		return 0;
	if (ident_char(p[n]) || p[n] == '(')
		return 0;	/* a name or a function such as LOG10( */
	cabs = *q == '$';
	q += cabs;
	while ((*q | 0x20) >= 'a' && (*q | 0x20) <= 'z')
		q++;
	rabs = *q == '$';
	r = rabs ? (long)row : (long)row + drow;
	c = cabs ? (long)col : (long)col + dcol;
	if (r < 1 || c < 1 || r > XLSX_MAX_ROWS || c > XLSX_MAX_COLS) {
		buf_puts(b, "#REF!");
		return n;
	}
	xlsx_col_name((uint32_t)c, name);
	buf_printf(b, "%s%s%s%ld", cabs ? "$" : "", name, rabs ? "$" : "", r);
	return n;
}

char *
xlsx_formula_shift(const char *f, long drow, long dcol)
{
	struct buf b;
	size_t n;
	char q;

	buf_init(&b, 0);
	while (*f != '\0') {
		if (*f == '"' || *f == '\'') {
			/* text and quoted sheet names are copied whole */
			q = *f;
			buf_putc(&b, *f++);
			while (*f != '\0') {
				if (*f == q && f[1] == q) {
					buf_append(&b, f, 2);
					f += 2;
					continue;
				}
				if (*f == q)
					break;
				buf_putc(&b, *f++);
			}
			if (*f == q)
				buf_putc(&b, *f++);
			continue;
		}
		if (!ident_char(b.len > 0 ? b.data[b.len - 1] : ' ') &&
		    (n = shift_ref(f, drow, dcol, &b)) > 0) {
			f += n;
			continue;
		}
		buf_putc(&b, *f++);
	}
	return buf_detach(&b, NULL);
}
