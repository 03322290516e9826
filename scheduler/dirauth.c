/*
 * dirauth.c - logging in with the directory (see dirauth.h): the
 * configuration, and one login as one connection to the directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ldap.h>
#include <sodium.h>

#include "dirauth.h"
#include "fsutil.h"
#include "xmalloc.h"

/* A group and what it gives. */
struct dirmap {
	char		*group;		/* its DN */
	char		 dept[PERM_DEPT_MAX];
	enum role	 role;		/* ROLE_NONE for a global role */
	int		 manager, admin;
};

struct dirauth {
	char		*uri;
	int		 starttls;
	char		*ca_file;
	char		*bind_dn;	/* NULL: anonymous search */
	char		*bind_pw;
	char		*base;
	char		*user_filter;
	char		*groups_base;
	char		*group_filter;
	long		 timeout_ms;
	struct dirmap	*maps;
	size_t		 nmaps;
};

/* --- the configuration ----------------------------------------------------- */

struct loadctx {
	char		*err;
	size_t		 errlen;
	int		 failed;
};

static void
report(void *arg, const char *msg)
{
	struct loadctx *l = arg;

	if (!l->failed)
		snprintf(l->err, l->errlen, "%s", msg);
	l->failed = 1;
}

void
dirauth_free(struct dirauth *d)
{
	size_t i;

	if (d == NULL)
		return;
	free(d->uri);
	free(d->ca_file);
	free(d->bind_dn);
	if (d->bind_pw != NULL)
		sodium_memzero(d->bind_pw, strlen(d->bind_pw));
	free(d->bind_pw);
	free(d->base);
	free(d->user_filter);
	free(d->groups_base);
	free(d->group_filter);
	for (i = 0; i < d->nmaps; i++)
		free(d->maps[i].group);
	free(d->maps);
	free(d);
}

/* An optional text member: a copy, dflt's copy, or NULL after a report. */
static char *
text_of(const struct ynode *sec, const char *key, const char *dflt,
    const struct ysink *sink)
{
	const struct ynode *v = ynode_get(sec, key);
	char what[64];

	if (v == NULL)
		return dflt ? xstrdup(dflt) : NULL;
	snprintf(what, sizeof what, "directory.%s", key);
	return ynode_text_dup(v, what, sink);
}

/* A filter with exactly one %s and no other %. */
static int
filter_ok(const char *f)
{
	const char *p = strstr(f, "%s");

	return p != NULL && strchr(p + 2, '%') == NULL &&
	    strchr(f, '%') == p;
}

static int
load_map(struct dirmap *m, const struct ynode *n, size_t i,
    const struct kpi_config *kpi, const struct ysink *sink)
{
	static const char *const keys[] = { "group", "department", "role",
	    "global", NULL };
	const struct ynode *dept = ynode_get(n, "department");
	const struct ynode *role = ynode_get(n, "role");
	const struct ynode *global = ynode_get(n, "global");
	const char *t;
	char what[64];

	snprintf(what, sizeof what, "directory.groups[%zu]", i);
	if (ynode_want(n, YNODE_MAP, what, sink) != 0 ||
	    ynode_check_keys(n, what, keys, sink) != 0)
		return -1;
	if (ynode_get(n, "group") == NULL) {
		ysink_report(sink, n, "%s: a group (its DN) is needed", what);
		return -1;
	}
	if ((m->group = ynode_text_dup(ynode_get(n, "group"), what,
	    sink)) == NULL)
		return -1;
	if (global != NULL) {
		if ((t = ynode_text(global, what, sink)) == NULL)
			return -1;
		if (strcmp(t, "manager") == 0)
			m->manager = 1;
		else if (strcmp(t, "admin") == 0)
			m->admin = 1;
		else {
			ysink_report(sink, global, "%s.global: expected manager "
			    "or admin, not '%s'", what, t);
			return -1;
		}
		if (dept == NULL && role == NULL)
			return 0;
	}
	if (dept == NULL || role == NULL) {
		ysink_report(sink, n, "%s: a department and a role (or a "
		    "global role) are needed", what);
		return -1;
	}
	if ((t = ynode_text(role, what, sink)) == NULL)
		return -1;
	if (role_parse(t, &m->role) != 0 || m->role < ROLE_VIEWER ||
	    m->role > ROLE_ENGINEER) {
		ysink_report(sink, role, "%s.role: expected viewer, operator "
		    "or engineer, not '%s'", what, t);
		return -1;
	}
	if ((t = ynode_text(dept, what, sink)) == NULL)
		return -1;
	if (kpi != NULL && kpi->ndepts > 0 && *t != '\0' &&
	    kpi_dept_find(kpi, t) < 0) {
		ysink_report(sink, dept, "%s.department: unknown department "
		    "'%s'", what, t);
		return -1;
	}
	perm_dept_code(kpi, t, m->dept, sizeof m->dept);
	return 0;
}

struct dirauth *
dirauth_load(const struct ynode *sec, const struct kpi_config *kpi,
    char *err, size_t errlen)
{
	static const char *const keys[] = { "uri", "starttls", "ca_file",
	    "bind_dn", "bind_password_file", "base", "user_filter",
	    "groups_base", "group_filter", "timeout_ms", "groups", NULL };
	struct loadctx l = { err, errlen, 0 };
	struct ysink sink = { report, &l };
	struct dirauth *d = xcalloc(1, sizeof *d);
	const struct ynode *v, *groups;
	char *pwfile, *nl;
	long long ms = 5000;
	size_t i, len;

	if (ynode_want(sec, YNODE_MAP, "directory", &sink) != 0 ||
	    ynode_check_keys(sec, "directory", keys, &sink) != 0)
		goto fail;
	if ((v = ynode_get(sec, "uri")) == NULL ||
	    ynode_get(sec, "base") == NULL) {
		ysink_report(&sink, sec, "directory: uri and base are needed");
		goto fail;
	}
	d->uri = text_of(sec, "uri", NULL, &sink);
	d->base = text_of(sec, "base", NULL, &sink);
	d->ca_file = text_of(sec, "ca_file", NULL, &sink);
	d->bind_dn = text_of(sec, "bind_dn", NULL, &sink);
	d->user_filter = text_of(sec, "user_filter", "(uid=%s)", &sink);
	d->groups_base = text_of(sec, "groups_base", d->base, &sink);
	d->group_filter = text_of(sec, "group_filter", "(member=%s)", &sink);
	if ((v = ynode_get(sec, "starttls")) != NULL &&
	    ynode_bool(v, "directory.starttls", &d->starttls, &sink) != 0)
		goto fail;
	if ((v = ynode_get(sec, "timeout_ms")) != NULL &&
	    ynode_int(v, "directory.timeout_ms", 100, 60000, &ms, &sink) != 0)
		goto fail;
	d->timeout_ms = (long)ms;
	if (l.failed)
		goto fail;
	/* A password goes to the directory encrypted, or not at all. */
	if (strncasecmp(d->uri, "ldaps://", 8) != 0 && !d->starttls) {
		ysink_report(&sink, ynode_get(sec, "uri"), "directory.uri: "
		    "'%s' is not ldaps://; set starttls: true (passwords are "
		    "never sent in clear)", d->uri);
		goto fail;
	}
	if (!filter_ok(d->user_filter) || !filter_ok(d->group_filter)) {
		ysink_report(&sink, sec, "directory: user_filter and "
		    "group_filter need one %%s (the name, the user's DN) and "
		    "no other %%");
		goto fail;
	}
	if ((d->bind_dn != NULL) != (ynode_get(sec, "bind_password_file") !=
	    NULL)) {
		ysink_report(&sink, sec, "directory: bind_dn and "
		    "bind_password_file go together");
		goto fail;
	}
	if (d->bind_dn != NULL) {
		pwfile = text_of(sec, "bind_password_file", NULL, &sink);
		if (pwfile == NULL)
			goto fail;
		if (fsutil_read(pwfile, 4096, &d->bind_pw, &len, err,
		    errlen) != 0) {
			free(pwfile);
			dirauth_free(d);
			return NULL;
		}
		free(pwfile);
		if ((nl = strpbrk(d->bind_pw, "\r\n")) != NULL)
			*nl = '\0';
	}
	groups = ynode_get(sec, "groups");
	if (groups == NULL || ynode_want(groups, YNODE_SEQ,
	    "directory.groups", &sink) != 0 || groups->n == 0) {
		if (!l.failed)
			ysink_report(&sink, sec, "directory: groups (which "
			    "groups give which roles) are needed");
		goto fail;
	}
	d->maps = xcalloc(groups->n, sizeof *d->maps);
	for (i = 0; i < groups->n; i++, d->nmaps++)
		if (load_map(&d->maps[i], groups->items[i], i, kpi,
		    &sink) != 0) {
			d->nmaps++;
			goto fail;
		}
	return d;
fail:
	dirauth_free(d);
	return NULL;
}

/* --- one login ----------------------------------------------------------- */

/* A filter with %s replaced by value, escaped for filters. */
static char *
make_filter(const char *filter, const char *value)
{
	struct berval in, out = { 0, NULL };
	const char *p = strstr(filter, "%s");
	char *f;

	in.bv_val = (char *)(uintptr_t)value;
	in.bv_len = strlen(value);
	if (ldap_bv2escaped_filter_value(&in, &out) != 0)
		return NULL;
	f = xasprintf("%.*s%s%s", (int)(p - filter), filter, out.bv_val, p + 2);
	ber_memfree(out.bv_val);
	return f;
}

static LDAP *
open_dir(const struct dirauth *d, char *err, size_t errlen)
{
	struct timeval tv = { d->timeout_ms / 1000,
	    (d->timeout_ms % 1000) * 1000 };
	int v3 = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, zero = 0, rc;
	LDAP *ld = NULL;

	if ((rc = ldap_initialize(&ld, d->uri)) != LDAP_SUCCESS) {
		snprintf(err, errlen, "directory '%s': %s", d->uri,
		    ldap_err2string(rc));
		return NULL;
	}
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
	ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
	if (d->ca_file != NULL)
		ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, d->ca_file);
	ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
	if (d->starttls && (rc = ldap_start_tls_s(ld, NULL, NULL)) !=
	    LDAP_SUCCESS) {
		snprintf(err, errlen, "directory '%s': StartTLS: %s", d->uri,
		    ldap_err2string(rc));
		ldap_unbind_ext_s(ld, NULL, NULL);
		return NULL;
	}
	return ld;
}

static int
bind_as(LDAP *ld, const char *dn, const char *pw)
{
	struct berval cred;

	cred.bv_val = (char *)(uintptr_t)pw;
	cred.bv_len = strlen(pw);
	return ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL,
	    NULL);
}

/*
 * The DNs of the entries under base that filter finds (at most max; more
 * is an error), into a new array of *n; NULL and rc on failure.
 */
static char **
find_dns(const struct dirauth *d, LDAP *ld, const char *base,
    const char *filter, int max, int *n, int *rc)
{
	struct timeval tv = { d->timeout_ms / 1000,
	    (d->timeout_ms % 1000) * 1000 };
	char *attrs[] = { LDAP_NO_ATTRS, NULL }, **dns, *dn;
	LDAPMessage *res = NULL, *e;

	*n = 0;
	*rc = ldap_search_ext_s(ld, base, LDAP_SCOPE_SUBTREE, filter, attrs,
	    0, NULL, NULL, &tv, max, &res);
	if (*rc != LDAP_SUCCESS && *rc != LDAP_SIZELIMIT_EXCEEDED) {
		ldap_msgfree(res);
		return NULL;
	}
	dns = xcalloc((size_t)ldap_count_entries(ld, res) + 1, sizeof *dns);
	for (e = ldap_first_entry(ld, res); e != NULL;
	    e = ldap_next_entry(ld, e))
		if ((dn = ldap_get_dn(ld, e)) != NULL) {
			dns[(*n)++] = xstrdup(dn);
			ldap_memfree(dn);
		}
	ldap_msgfree(res);
	return dns;
}

static void
free_dns(char **dns, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(dns[i]);
	free(dns);
}

/* The roles the groups give into *p, the first department into dept. */
static int
map_groups(const struct dirauth *d, char **groups, int n, struct perm *p,
    char *dept, size_t deptlen)
{
	size_t i;
	int j, k;

	memset(p, 0, sizeof *p);
	dept[0] = '\0';
	for (i = 0; i < d->nmaps; i++) {
		const struct dirmap *m = &d->maps[i];

		for (j = 0; j < n; j++)
			if (strcasecmp(groups[j], m->group) == 0)
				break;
		if (j == n)
			continue;
		p->manager |= m->manager;
		p->admin |= m->admin;
		if (m->role == ROLE_NONE)
			continue;
		if (dept[0] == '\0')
			snprintf(dept, deptlen, "%s", m->dept);
		for (k = 0; k < p->ngrants; k++)
			if (strcmp(p->grants[k].dept, m->dept) == 0)
				break;
		if (k < p->ngrants) {
			if (m->role > p->grants[k].role)
				p->grants[k].role = m->role;
		} else if (p->ngrants < PERM_GRANTS_MAX) {
			snprintf(p->grants[k].dept, PERM_DEPT_MAX, "%s",
			    m->dept);
			p->grants[p->ngrants++].role = m->role;
		}
	}
	return p->ngrants > 0 || p->manager || p->admin;
}

enum dirauth_rc
dirauth_login(const struct dirauth *d, const char *name, const char *pw,
    struct perm *p, char *dept, size_t deptlen, char *err, size_t errlen)
{
	enum dirauth_rc out = DIRAUTH_ERROR;
	char **users = NULL, **groups = NULL, *filter;
	int nusers = 0, ngroups = 0, rc;
	LDAP *ld;

	err[0] = '\0';
	/* An empty password would be an anonymous bind, which succeeds. */
	if (*pw == '\0')
		return DIRAUTH_DENIED;
	if ((ld = open_dir(d, err, errlen)) == NULL)
		return DIRAUTH_ERROR;
	if (d->bind_dn != NULL && (rc = bind_as(ld, d->bind_dn,
	    d->bind_pw)) != LDAP_SUCCESS) {
		snprintf(err, errlen, "directory: the search account '%s' "
		    "cannot bind: %s", d->bind_dn, ldap_err2string(rc));
		goto done;
	}
	if ((filter = make_filter(d->user_filter, name)) == NULL) {
		snprintf(err, errlen, "directory: cannot escape the name");
		goto done;
	}
	users = find_dns(d, ld, d->base, filter, 2, &nusers, &rc);
	free(filter);
	if (users == NULL) {
		snprintf(err, errlen, "directory: looking up '%s': %s", name,
		    ldap_err2string(rc));
		goto done;
	}
	if (nusers != 1) {
		/* Nobody, or two entries: never guess which one. */
		out = DIRAUTH_DENIED;
		goto done;
	}
	rc = bind_as(ld, users[0], pw);
	if (rc == LDAP_INVALID_CREDENTIALS) {
		out = DIRAUTH_DENIED;
		goto done;
	}
	if (rc != LDAP_SUCCESS) {
		snprintf(err, errlen, "directory: binding as '%s': %s",
		    users[0], ldap_err2string(rc));
		goto done;
	}
	if ((filter = make_filter(d->group_filter, users[0])) == NULL) {
		snprintf(err, errlen, "directory: cannot escape '%s'",
		    users[0]);
		goto done;
	}
	groups = find_dns(d, ld, d->groups_base, filter, 1000, &ngroups, &rc);
	free(filter);
	if (groups == NULL) {
		snprintf(err, errlen, "directory: the groups of '%s': %s",
		    users[0], ldap_err2string(rc));
		goto done;
	}
	out = map_groups(d, groups, ngroups, p, dept, deptlen) ?
	    DIRAUTH_OK : DIRAUTH_NO_ROLE;
done:
	if (users != NULL)
		free_dns(users, nusers);
	if (groups != NULL)
		free_dns(groups, ngroups);
	ldap_unbind_ext_s(ld, NULL, NULL);
	return out;
}
