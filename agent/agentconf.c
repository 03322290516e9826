/*
 * agentconf.c - reading the agent's configuration file (see agentconf.h).
 */
#include <stdio.h>
#include <string.h>

#include "agentconf.h"
#include "policy.h"
#include "ydoc.h"

static const struct {
	const char		*word;
	enum agentconf_keep	 keep;
} keep_words[] = {
	{ "never", AGENTCONF_KEEP_NEVER },
	{ "failed", AGENTCONF_KEEP_FAILED },
	{ "always", AGENTCONF_KEEP_ALWAYS },
	{ NULL, 0 },
};

static int
where(const struct ynode *n, char *err, size_t errlen, const char *msg)
{
	snprintf(err, errlen, "%s:%d:%d: %s", n->file, n->line, n->col, msg);
	return -1;
}

static int
load_work_dirs(const struct ynode *v, struct agentconf *c, char *err,
    size_t errlen)
{
	const struct ynode *keep;
	size_t i;

	if (v->kind != YNODE_MAP)
		return where(v, err, errlen, "work_dirs: expected a mapping");
	for (i = 0; i < v->n; i++)
		if (!ynode_is(v->keys[i], "keep"))
			return where(v->keys[i], err, errlen, "work_dirs: "
			    "unknown setting (keep)");
	if ((keep = ynode_get(v, "keep")) == NULL)
		return 0;
	for (i = 0; keep_words[i].word != NULL; i++) {
		if (ynode_is(keep, keep_words[i].word)) {
			c->keep = keep_words[i].keep;
			return 0;
		}
	}
	return where(keep, err, errlen, "work_dirs: keep must be never, "
	    "failed or always");
}

const char *const agentconf_keys[] = { "policy", "work_dirs", NULL };

/* Whether key is one of others (a NULL-terminated list, or NULL). */
static int
is_other(const struct ynode *k, const char *const *others)
{
	size_t i;

	for (i = 0; others != NULL && others[i] != NULL; i++)
		if (ynode_is(k, others[i]))
			return 1;
	return 0;
}

int
agentconf_load(const char *path, struct agentconf *c,
    const char *const *others, char *err, size_t errlen)
{
	struct ydoc *doc;
	const struct ynode *root, *k;
	size_t i;
	int rc = 0;

	memset(c, 0, sizeof *c);
	if ((doc = ydoc_load_file(path, err, errlen)) == NULL)
		return -1;
	if ((root = doc->root) == NULL) {
		ydoc_free(doc);
		return 0;
	}
	if (root->kind != YNODE_MAP)
		rc = where(root, err, errlen, "expected a mapping of settings "
		    "(policy, work_dirs)");
	for (i = 0; rc == 0 && i < root->n; i++) {
		k = root->keys[i];
		if (ynode_is(k, "policy")) {
			if ((c->policy = policy_from_yaml(root->items[i], err,
			    errlen)) == NULL)
				rc = -1;
		} else if (ynode_is(k, "work_dirs")) {
			rc = load_work_dirs(root->items[i], c, err, errlen);
		} else if (!is_other(k, others)) {
			rc = where(k, err, errlen, "unknown setting (policy, "
			    "work_dirs)");
		}
	}
	ydoc_free(doc);
	if (rc != 0)
		agentconf_release(c);
	return rc;
}

void
agentconf_release(struct agentconf *c)
{
	policy_free(c->policy);
	c->policy = NULL;
}
