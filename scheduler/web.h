/*
 * web.h - the dashboard's side of the scheduler: people log in with a
 * user name and password, the browser then holds a session cookie, and
 * the dashboard (static files under dashboard/, Chart.js from Debian's
 * libjs-chart.js) calls the same /api routes as the command line.
 *
 * Passwords are stored as Argon2id hashes (libsodium's crypto_pwhash_str_alg
 * with crypto_pwhash_ALG_ARGON2ID13).  A session is 32 random bytes in an
 * HttpOnly, SameSite=Strict cookie; only its SHA-256 is stored.  Every
 * call that changes something (any method but GET and HEAD) made with a
 * session must carry the session's CSRF token in an X-CSRF-Token header
 * (and, when the browser sends one, an Origin naming this host), else it
 * is refused with 403.  Failed logins are counted per browser known to
 * the user (a device cookie), per user name and address, per address and
 * per user name; each count has its own waits (web_login.c says which),
 * so that one person's typos hold back no one else and no one can keep a
 * user out of a browser the user logged in with before.  At most hash_max
 * Argon2id computations run at once.
 *
 * The routes here are rows of the API's route table; the API hands each
 * one a struct web_req (below) and sends what it fills in, after writing
 * the audit row of every change.
 */
#ifndef KOBITO_WEB_H
#define KOBITO_WEB_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "auth.h"
#include "kpi.h"
#include "store.h"

struct web;
struct web_req;

#define WEB_COOKIE		"kobito_session"
#define WEB_CSRF_HEADER		"X-CSRF-Token"
#define WEB_MAX_HEADERS		12
#define WEB_PASSWORD_MIN	10	/* characters */
#define WEB_PASSWORD_MAX	1024	/* bytes */

struct web_config {
	const char	*dashboard_dir;	/* index.html, app.js, ... */
	const char	*chartjs_dir;	/* /usr/share/javascript/chart.js */
	int64_t		 idle_ms;	/* session ends after this idle: 8 h */
	int64_t		 max_ms;	/* and after this in any case: 24 h */
	int		 max_failures;	/* failed logins before delays: 5 */
	int		 addr_max_failures;	/* from one address: 50 */
	int		 hot_failures;	/* of a user, before slow_ms: 10 */
	int64_t		 delay_ms;	/* first delay: 30 s, doubling */
	int64_t		 delay_max_ms;	/* 1 h */
	int64_t		 slow_ms;	/* between tries at a hot user: 10 s */
	int64_t		 forget_ms;	/* failures forgotten after: 15 min */
	int		 hash_max;	/* Argon2id computations at once: 2 */
	int64_t		 hash_wait_ms;	/* wait for one at most: 10 s */
	int		 secure_cookie;	/* add "Secure" (behind TLS) */
};

/* Fill in the defaults above. */
void		 web_config_defaults(struct web_config *);

/*
 * A web front over the store and the KPI configuration (both borrowed,
 * they must outlive it; the config's strings are copied).  Returns NULL
 * with a message when libsodium cannot be initialised.
 */
struct web	*web_new(struct store *, const struct kpi_config *,
		    const struct web_config *, char *err, size_t errlen);
void		 web_free(struct web *);
/*
 * Mark cookies Secure (sent only over HTTPS): the scheduler serves HTTPS
 * itself, or sits behind a proxy that does.  Before serving.
 */
void		 web_set_secure_cookies(struct web *, int on);
/*
 * Log people in with the city's directory too (dirauth.h; borrowed, it
 * must outlive the web front), for names without a local password.
 * Before serving.
 */
struct dirauth;
void		 web_set_directory(struct web *, const struct dirauth *);
/*
 * The key that seals admins' one-time password keys (secrets.h; borrowed,
 * it must outlive the web front).  Without it there are none.
 */
struct secrets;
void		 web_set_secrets(struct web *, const struct secrets *);
/* The KPI configuration (and its department tree) the web front uses. */
const struct kpi_config *web_kpi(const struct web *);

/*
 * Set up the web front for the daemon: load the KPI configuration from
 * kpi_path (NULL: config/kpi.yaml next to the program, else the built-in
 * defaults), write its settings to the database (kpi_apply), and create
 * the web front serving dashboard_dir (NULL: the dashboard next to the
 * program, see docs/kpi.md).  NULL with
 * "file:line:col: message" in err.  web_free() frees the configuration.
 */
struct web	*web_setup(struct store *, const char *kpi_path,
		    const char *dashboard_dir, char *err, size_t errlen);

/*
 * Where a request's values come from: its headers, cookies and query
 * arguments, by libmicrohttpd's kinds (MHD_HEADER_KIND, MHD_COOKIE_KIND,
 * MHD_GET_ARGUMENT_KIND).  The API fills it from a libmicrohttpd
 * connection, or from a request made without a socket (api_handle()).
 */
typedef int (*web_each_fn)(void *cls, int kind, const char *key,
    const char *value);
struct web_src {
	/* The value of key (borrowed, valid during the request), or NULL. */
	const char	*(*value)(void *ctx, int kind, const char *key);
	/* Call fn for each value of kind until it returns non-zero. */
	void		 (*each)(void *ctx, int kind, web_each_fn fn,
			    void *cls);
	void		*ctx;
};

/* The value of key of kind in src, or NULL. */
const char	*web_value(const struct web_src *src, int kind,
		    const char *key);

/* Results of web_authenticate(). */
enum web_auth {
	WEB_AUTH_NONE,		/* no session cookie: not a browser call */
	WEB_AUTH_OK,		/* *who is the session's user */
	WEB_AUTH_INVALID,	/* unknown, expired, or the user disabled: 401 */
	WEB_AUTH_CSRF,		/* a change without the CSRF token: 403 */
};

/*
 * Authenticate a request without a bearer token by its session cookie.
 * method decides whether the CSRF token is needed.  *who is set on
 * WEB_AUTH_OK and on WEB_AUTH_CSRF (the session's user, for the audit
 * row of the refusal).  On WEB_AUTH_INVALID and WEB_AUTH_CSRF a message
 * for the reply is written into err.
 */
enum web_auth	 web_authenticate(struct web *, const struct web_src *,
		    const char *method, struct identity *who, char *err,
		    size_t errlen);

/*
 * A request as the API hands it to a web route.  Everything under "in"
 * is borrowed from the API for the call; what a handler puts under
 * "reply" is owned by the request from then on (the API frees it).
 */
typedef int (*web_write_fn)(struct conn *, struct web_req *, void *arg);

struct web_req {
	/* in */
	const struct web_src	*src;		/* headers, cookies, query */
	const char		*method;
	const char		*path;
	const char		*remote;
	char			*const *args;	/* the route's {captures} */
	json_t			*in;		/* a JSON body, or NULL */
	const char		*body;		/* a raw body, or NULL */
	size_t			 bodylen;
	struct identity		 who;		/* a login sets it */
	int			 authed;
	int64_t			 now;		/* wall clock, ms */

	/* reply */
	int			 status;
	json_t			*out;
	char			*raw;		/* bytes, with ctype */
	size_t			 rawlen;
	char			*ctype;
	char			*hdr[2 * WEB_MAX_HEADERS];	/* name, value */
	int			 nhdr;
	json_t			*detail;	/* for the audit row */
	int			 no_audit;

	/*
	 * Set by the API: run fn(conn, req, arg) in one durable write
	 * transaction together with the request's audit row; fn's non-zero
	 * return rolls back its changes (the audit row stays).  Returns -1
	 * when the commit failed (the reply is then a 500).
	 */
	int			(*write)(struct web_req *, web_write_fn,
				    void *arg);
	void			*api_ctx;
	int			 wrote;		/* write() was called */
};

typedef void (*web_handler_fn)(struct web *, struct web_req *);

/* Reply helpers for handlers. */
void		 web_reply_json(struct web_req *, int status, json_t *out);
void		 web_reply_error(struct web_req *, int status,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void		 web_add_header(struct web_req *, const char *name,
		    const char *value);
/*
 * Add name: value (both copied) to the reply headers hdr, *nhdr of them
 * so far (at most WEB_MAX_HEADERS: more is a program error).
 */
void		 web_headers_add(char *hdr[2 * WEB_MAX_HEADERS], int *nhdr,
		    const char *name, const char *value);
/* Free what a handler left in the reply fields. */
void		 web_req_clear(struct web_req *);

/*
 * The routes (see docs/api.md and docs/kpi.md for their contracts).
 * Static files and the session are served to anyone; the rest check
 * their role in the API's route table like every other route.
 */
void	web_h_static(struct web *, struct web_req *);	/* GET / and /{file} */
void	web_h_vendor(struct web *, struct web_req *);	/* /vendor/{file} */
void	web_h_login(struct web *, struct web_req *);	/* POST /api/session */
void	web_h_session(struct web *, struct web_req *);	/* GET /api/session */
void	web_h_logout(struct web *, struct web_req *);	/* DELETE */
void	web_h_password(struct web *, struct web_req *);	/* PUT .../password */
void	web_h_users(struct web *, struct web_req *);	/* GET /api/users */
void	web_h_user_put(struct web *, struct web_req *);	/* PUT /api/users/{n} */
void	web_h_user_roles(struct web *, struct web_req *);	/* .../roles */
void	web_h_kpi_config(struct web *, struct web_req *);
void	web_h_kpi_report(struct web *, struct web_req *);
void	web_h_survey_add(struct web *, struct web_req *);
void	web_h_survey_import(struct web *, struct web_req *);
void	web_h_survey_delete(struct web *, struct web_req *);
void	web_h_fix_minutes(struct web *, struct web_req *);
void	web_h_totp_begin(struct web *, struct web_req *);	/* POST .../totp */
void	web_h_totp_confirm(struct web *, struct web_req *);	/* PUT */
void	web_h_totp_remove(struct web *, struct web_req *);	/* DELETE users */

/*
 * The handler of the web route (method, pattern) as the API's route table
 * spells it, or NULL.  web.c keeps these in one table.
 */
web_handler_fn	 web_handler(const char *method, const char *pattern);

/*
 * Create or change a user (inside a write transaction): role (NULL keeps
 * it; required for a new user), department (NULL keeps it, "" clears it),
 * password (NULL keeps it), disabled (-1 keeps it).  A new role or
 * department is the simple form of the user's roles (perm_simple: the
 * role held in the department, departments named through kpi, which may
 * be NULL); it replaces what PUT /api/users/{name}/roles set.  A changed
 * password or a disabled user ends the user's sessions.  *created tells
 * which.  0, or -1 with a message naming the field.
 */
int		 web_user_set(struct conn *, const struct kpi_config *kpi,
		    const char *name, const char *role, const char *department,
		    const char *password, int disabled, int64_t now,
		    int *created, char *err, size_t errlen);

/*
 * `kobito-scheduler user set --db FILE --name NAME [--role ROLE]
 *  [--department D] [--password-file FILE | --password-stdin] [--disable |
 *  --enable]` and `kobito-scheduler user list --db FILE`.  Returns the
 * exit status.
 */
int		 web_cmd_user(int argc, char **argv);
/*
 * The first line of the file at path, or of standard input when path is
 * NULL, as a password the caller frees (after wiping it); NULL with a
 * message in err.
 */
char		*web_read_password(const char *path, char *err, size_t errlen);

/*
 * The tables the store's migration adds for the web front: sessions and
 * failed logins.  (Users live in the users table from the first schema.)
 */
#define WEB_SCHEMA_SQL \
	"CREATE TABLE web_sessions (id_hash TEXT PRIMARY KEY," \
	"  user_id INTEGER NOT NULL, csrf TEXT NOT NULL," \
	"  created_at INTEGER NOT NULL, last_seen INTEGER NOT NULL," \
	"  remote TEXT);" \
	"CREATE INDEX web_sessions_user ON web_sessions(user_id);" \
	"CREATE TABLE web_login_failures (key TEXT PRIMARY KEY," \
	"  failures INTEGER NOT NULL, last_at INTEGER NOT NULL," \
	"  locked_until INTEGER NOT NULL);"

/* Browsers that logged in as a user (a later migration). */
#define WEB_DEVICES_SQL \
	"CREATE TABLE web_devices (hash TEXT PRIMARY KEY," \
	"  user_id INTEGER NOT NULL, created_at INTEGER NOT NULL," \
	"  last_used INTEGER NOT NULL);" \
	"CREATE INDEX web_devices_user ON web_devices(user_id, last_used);" \
	"CREATE INDEX web_login_failures_last ON web_login_failures(last_at);"

#endif
