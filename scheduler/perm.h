/*
 * perm.h - roles and departments: who may do what, and where.
 *
 * The city is a tree of departments, 局 -> 部 -> 課, from the KPI
 * configuration (config/kpi.yaml, struct kpi_config).  Scripts (their
 * owner:), jobs and their runs, schedules, secrets and queues each belong
 * to one department, named by its code; "" is the whole organisation (a
 * script with no owner, a secret every department may use).
 *
 * A user holds at most one role per department:
 *
 *   viewer     sees the department's runs, logs, artifacts and items
 *   operator   also runs the department's bots (and bots marked shared)
 *   engineer   also changes its scripts, schedules, secrets, queues and
 *              exception minutes
 *
 * A role held in a department holds in every department below it (an
 * engineer of a 部 is one of each of its 課), and a role held at "" holds
 * everywhere.  Two global roles stand apart from the tree:
 *
 *   manager    sees every KPI figure; no run or log unless a department
 *              role says so
 *   admin      everything: users and their roles, tokens, the audit log,
 *              every department
 *
 * Others see the KPI figures of their own departments only.  Everyone
 * sees a script marked shared and may run it with an operator role held
 * anywhere; everyone sees the jobs they triggered themselves.
 *
 * A token carries a role too: it caps what its user holds (a viewer token
 * of an engineer only reads), and only an admin token acts as an admin.
 *
 * Departments are named by code in grants and in the tables; a text the
 * tree does not know (an old owner: that names nothing) matches only
 * itself.  Every function here is pure or runs on the caller's connection
 * inside its transaction; struct perm is a plain value, copied freely.
 */
#ifndef KOBITO_PERM_H
#define KOBITO_PERM_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "kpi.h"
#include "store.h"

enum role {
	ROLE_NONE,	/* a route that needs no token */
	ROLE_USER,	/* any signed-in person, whatever their roles */
	ROLE_VIEWER,
	ROLE_OPERATOR,
	ROLE_ENGINEER,
	ROLE_ADMIN,
	ROLE_AGENT,	/* apart: agent routes only */
};

/* "none", "user", "viewer", ..., "agent". */
const char	*role_name(enum role);
/* 0 and the role for "viewer" ... "admin", "agent"; -1 otherwise. */
int		 role_parse(const char *name, enum role *);
/*
 * Whether a caller with role "have" may call a route needing "need":
 * agent routes only for agents, user routes only for users of that role
 * or above, ROLE_NONE for everyone.
 */
int		 role_allows(enum role have, enum role need);

#define PERM_DEPT_MAX	64	/* bytes of a department code, NUL included */
#define PERM_GRANTS_MAX	16	/* department roles of one user */

/* A role in a department ("" the whole organisation). */
struct perm_grant {
	char		 dept[PERM_DEPT_MAX];
	enum role	 role;		/* viewer, operator or engineer */
};

/* What a caller holds.  A value: copy it, no freeing. */
struct perm {
	int		 admin;
	int		 manager;
	int		 ngrants;
	struct perm_grant grants[PERM_GRANTS_MAX];
};

/* --- departments ------------------------------------------------------- */

/*
 * The code of the department text names (a code, a path, an alias, a
 * name: kpi_dept_find), or text itself when the tree does not know it, or
 * "" for NULL and "", into out.
 */
void		 perm_dept_code(const struct kpi_config *, const char *text,
		    char *out, size_t outlen);
/*
 * The codes of department text (code, name, path...) and of every
 * department below it (a new array; just the text when the tree does not
 * know it).
 */
json_t		*perm_subtree(const struct kpi_config *, const char *text);
/*
 * Whether a role held at "above" holds at dept: the same department, one
 * above it in the tree, or "" (the whole organisation).  Both are codes
 * or texts as perm_dept_code() would give.
 */
int		 perm_dept_under(const struct kpi_config *, const char *above,
		    const char *dept);

/* --- what a caller holds ----------------------------------------------- */

/*
 * The role p holds in dept: ROLE_ADMIN for an admin, else the highest of
 * its grants at dept or above it, else ROLE_NONE.
 */
enum role	 perm_role_in(const struct kpi_config *, const struct perm *p,
		    const char *dept);
/* Whether p holds need (or more) in dept. */
int		 perm_allows(const struct kpi_config *, const struct perm *p,
		    const char *dept, enum role need);
/* The highest role held anywhere: ROLE_ADMIN ... ROLE_VIEWER, or ROLE_USER. */
enum role	 perm_top(const struct perm *p);
/* Whether p sees every KPI figure (a manager or an admin). */
int		 perm_sees_all_kpi(const struct perm *p);
/*
 * The departments where p holds need: a new JSON array of codes, every
 * department below a grant included (for SQL: "department IN (SELECT
 * value FROM json_each(?))"), or NULL when p holds need everywhere (an
 * admin, a grant at "").
 */
json_t		*perm_depts(const struct kpi_config *, const struct perm *p,
		    enum role need);
/*
 * Cap p by a token's role: department roles above cap come down to it, and
 * only an admin token keeps the admin role.
 */
void		 perm_cap(struct perm *p, enum role cap);

/* --- objects ------------------------------------------------------------- */

/* What the permission of an object depends on. */
struct perm_obj {
	char		 dept[PERM_DEPT_MAX];	/* its department's code */
	int		 shared;	/* a script marked shared */
	char		 owner[128];	/* the user who triggered a job, or "" */
};

/*
 * Look up the object of kind ("job", "run", "schedule", "secret",
 * "asset", "script", "ledger": a KPI ledger row by run id, "queue",
 * "queue_item", "file_trigger": its script's department, "notify_rule")
 * named key (an id or a
 * name) on c: 1 and *o when it exists, 0 when it does not, -1 for a kind
 * this table does not have (a program error).  The kinds are rows of one
 * table in perm.c: a new kind of object is a new row.
 */
int		 perm_object(struct conn *c, const struct kpi_config *,
		    const char *kind, const char *key, struct perm_obj *o);
/*
 * The role a caller (p, named name) holds on object o: the role in its
 * department, and at least viewer (operator when the caller is one
 * anywhere) of a shared script and of a job the caller triggered.
 */
enum role	 perm_on(const struct kpi_config *, const struct perm *p,
		    const char *name, const struct perm_obj *o);
/* Results of perm_job_dept(). */
enum perm_run {
	PERM_RUN_OK,
	PERM_RUN_DENIED,	/* may not run it: 403 */
	PERM_RUN_ASK,		/* say which department: 400 */
};

/*
 * The department a job of a script (of department script_dept, shared
 * or not) runs for when p triggers it: the script's own when p is one of
 * its operators; for a shared script run by someone else, the department
 * p asked for (want, NULL when none) or p's only department with the
 * operator role.  PERM_RUN_OK with the code in out, or another result
 * with a message in err.
 */
enum perm_run	 perm_job_dept(const struct kpi_config *, const struct perm *p,
		    const char *script_dept, int shared, const char *want,
		    char *out, size_t outlen, char *err, size_t errlen);

/* --- storage ------------------------------------------------------------- */

/*
 * Write department texts the tree knows (a name, a path, an alias) as
 * their codes in every table that keeps departments, and give the
 * schedules that have none their script's (the config file's, put before
 * the tree was loaded).  Inside a write transaction, at start.  0, or -1
 * with a message.
 */
int		 perm_normalize(struct conn *c, const struct kpi_config *,
		    char *err, size_t errlen);

/*
 * The roles of user user_id (from user_roles), capped by cap (a token's
 * role; ROLE_ADMIN for none), into *p.  0, or -1 on a database error.
 */
int		 perm_load(struct conn *c, int64_t user_id, enum role cap,
		    struct perm *p);
/*
 * Replace the roles of user user_id with p (inside a write transaction),
 * and keep the users row's summary (role: the highest held, department:
 * the first granted) in step.  0, or -1 with a message.
 */
int		 perm_store(struct conn *c, int64_t user_id,
		    const struct perm *p, const char *by, int64_t now,
		    char *err, size_t errlen);
/*
 * Read {"roles": [{"department": D, "role": R}, ...], "global":
 * ["manager" | "admin"]} into *p: departments by code, name or path (known
 * to the tree, or "" for the whole organisation), roles viewer, operator
 * or engineer, one per department.  0, or -1 with a message naming the
 * member ("roles[2].department: unknown department 'x'").
 */
int		 perm_parse(const struct kpi_config *, const json_t *in,
		    struct perm *p, char *err, size_t errlen);
/*
 * p as {"roles": [{"department", "department_name", "role"}], "global":
 * [...]} (a new reference); names from the tree, "" when it has none.
 */
json_t		*perm_json(const struct kpi_config *, const struct perm *p);
/*
 * One grant, the simple form of `user set --role R --department D`: an
 * admin or manager role is global, any other is held in department
 * (NULL or "" the whole organisation).  0, or -1 when role is unknown.
 */
int		 perm_simple(const struct kpi_config *, const char *role,
		    const char *department, struct perm *p);

/*
 * The schema a migration adds: the user_roles table (the roles of the
 * users there were before, each held in the user's department or, with
 * none, everywhere, as they were), the department of runs, schedules
 * and secrets, scripts marked shared, and the indexes the department
 * filters read.
 */
#define PERM_SCHEMA_SQL \
	"CREATE TABLE user_roles (user_id INTEGER NOT NULL," \
	"  department TEXT NOT NULL, role TEXT NOT NULL," \
	"  granted_at INTEGER NOT NULL, granted_by TEXT," \
	"  PRIMARY KEY (user_id, department, role));" \
	"INSERT INTO user_roles (user_id, department, role, granted_at," \
	"  granted_by) SELECT id, CASE WHEN role IN ('admin', 'manager')" \
	"  THEN '' ELSE coalesce(department, '') END, role, created_at," \
	"  'migration' FROM users;" \
	"ALTER TABLE runs ADD COLUMN department TEXT;" \
	"UPDATE runs SET department = (SELECT department FROM jobs" \
	"  WHERE jobs.id = runs.job_id);" \
	"ALTER TABLE schedules ADD COLUMN department TEXT;" \
	"ALTER TABLE secrets ADD COLUMN department TEXT NOT NULL DEFAULT '';" \
	"CREATE TABLE script_settings (name TEXT PRIMARY KEY," \
	"  shared INTEGER NOT NULL DEFAULT 0, updated_at INTEGER," \
	"  updated_by TEXT);" \
	"CREATE INDEX jobs_department ON jobs(department, id);" \
	"CREATE INDEX jobs_triggered_by ON jobs(triggered_by, id);" \
	"CREATE INDEX runs_department ON runs(department, id);"

#endif
