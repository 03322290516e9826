/*
 * webdriver.c - the W3C WebDriver client: the driver table, starting a
 * driver and a session under a guard, and the commands.
 *
 * Each struct wd keeps one libcurl handle, so every command after the
 * first reuses one loopback connection: a command costs one HTTP exchange
 * and one JSON parse, which is all that separates a step from the browser.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "buf.h"
#include "fsutil.h"
#include "http.h"
#include "reaper.h"
#include "timeutil.h"
#include "webdriver.h"
#include "xmalloc.h"

#define ELEMENT_KEY	"element-6066-11e4-a52e-4f735466cecf"
#define DEFAULT_CMD_MS	60000L
#define DEFAULT_LOAD_MS	30000L
#define MAX_ANSWER	(256u * 1024 * 1024)	/* screenshots, page source */
#define MAX_ARGS	48

extern char **environ;

struct wd {
	const struct wd_driver	*driver;
	struct http_client	*http;
	struct reaper		 reaper;
	char			*root;		/* http://127.0.0.1:PORT */
	char			*base;		/* root/session/ID */
	char			*tmpdir;	/* private; removed by the guard */
	int			 lock_fd;	/* of a persistent profile */
	int			(*cancelled)(void *);
	void			*arg;
	enum wd_code		 code;
	char			 err[512];
	struct wd_stats		 stats;
};

/* --- the driver table -------------------------------------------------- */

static int chromium_args(char **, size_t, int);
static json_t *chromium_caps(const struct wd_options *, const char *);
static int chromium_prepare(struct wd *, const struct wd_options *);
static int chromium_insert(struct wd *, const char *);

static const struct wd_driver drivers[] = {
	{ "chromium", "chromedriver", "KOBITO_CHROMEDRIVER", chromium_args,
	    chromium_caps, chromium_prepare, chromium_insert },
};

#define NDRIVERS (sizeof drivers / sizeof drivers[0])

const struct wd_driver *
wd_driver_find(const char *name)
{
	size_t i;

	for (i = 0; i < NDRIVERS; i++) {
		if (strcmp(drivers[i].name, name) == 0)
			return &drivers[i];
	}
	return NULL;
}

const char *
wd_driver_names(void)
{
	return "chromium";
}

static int
chromium_args(char **argv, size_t max, int port)
{
	if (max < 2)
		return -1;
	argv[0] = xasprintf("--port=%d", port);
	argv[1] = NULL;
	return 0;
}

/*
 * Chromium on a closed network, possibly as root: no sandbox for root (it
 * refuses to start otherwise), no phoning home, no first-run dialogs, a
 * profile of its own.
 */
static json_t *
chromium_caps(const struct wd_options *o, const char *profile_dir)
{
	static const char *const fixed[] = {
		"--disable-gpu", "--disable-quic", "--no-first-run",
		"--no-default-browser-check", "--disable-background-networking",
		"--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--disable-breakpad",
		"--disable-features=Translate,MediaRouter,OptimizationHints",
		"--password-store=basic", "--disable-search-engine-choice-screen",
	};
	const char *bin = getenv("KOBITO_CHROMIUM");
	json_t *args = json_array(), *prefs, *chrome;
	size_t i;

	for (i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		json_array_append_new(args, json_string(fixed[i]));
	if (o->headless)
		json_array_append_new(args, json_string("--headless"));
	if (geteuid() == 0)
		json_array_append_new(args, json_string("--no-sandbox"));
	json_array_append_new(args, json_sprintf("--user-data-dir=%s",
	    profile_dir));
	json_array_append_new(args, json_sprintf("--window-size=%d,%d",
	    o->width, o->height));
	json_array_append_new(args, json_sprintf("--lang=%s", o->lang));
	prefs = json_pack("{s:s, s:b, s:b, s:b}",
	    "intl.accept_languages", o->lang,
	    "credentials_enable_service", 0,
	    "profile.password_manager_enabled", 0,
	    "download.prompt_for_download", 0);
	if (o->downloads != NULL) {
		json_object_set_new(prefs, "download.default_directory",
		    json_string(o->downloads));
		json_object_set_new(prefs, "download.directory_upgrade",
		    json_true());
	}
	chrome = json_pack("{s:o, s:o, s:[s]}", "args", args, "prefs", prefs,
	    "excludeSwitches", "enable-automation");
	if (bin == NULL && access("/usr/bin/chromium", X_OK) == 0)
		bin = "/usr/bin/chromium";
	if (bin != NULL)
		json_object_set_new(chrome, "binary", json_string(bin));
	return json_pack("{s:s, s:o, s:s, s:{s:i, s:I, s:i}, s:o}",
	    "browserName", "chrome",
	    "acceptInsecureCerts", json_boolean(o->insecure),
	    "unhandledPromptBehavior", "ignore",
	    "timeouts", "implicit", 0, "pageLoad", (json_int_t)o->page_load_ms,
	    "script", 30000,
	    "goog:chromeOptions", chrome);
}

/*
 * Over chromedriver's bridge to the DevTools protocol: a headless Chromium
 * refuses downloads unless told where they go (the profile's preference
 * alone is not enough), and the init script goes in before any page's.
 */
static int
chromium_prepare(struct wd *w, const struct wd_options *o)
{
	if (o->downloads != NULL && wd_cmd(w, "POST", "goog/cdp/execute",
	    json_pack("{s:s, s:{s:s, s:s}}", "cmd",
	    "Browser.setDownloadBehavior", "params", "behavior", "allow",
	    "downloadPath", o->downloads), NULL, 10000) != 0)
		return -1;
	if (o->init_script != NULL && wd_cmd(w, "POST", "goog/cdp/execute",
	    json_pack("{s:s, s:{s:s}}", "cmd",
	    "Page.addScriptToEvaluateOnNewDocument", "params", "source",
	    o->init_script), NULL, 10000) != 0)
		return -1;
	return 0;
}

static int
chromium_insert(struct wd *w, const char *text)
{
	return wd_cmd(w, "POST", "goog/cdp/execute", json_pack("{s:s, s:{s:s}}",
	    "cmd", "Input.insertText", "params", "text", text), NULL, 0);
}

/* --- errors --------------------------------------------------------------- */

static const struct {
	const char	*error;
	enum wd_code	 code;
} codes[] = {
	{ "no such element", WD_NO_ELEMENT },
	{ "stale element reference", WD_STALE },
	{ "detached shadow root", WD_STALE },
	{ "no such frame", WD_NO_FRAME },
	{ "no such window", WD_NO_WINDOW },
	{ "no such alert", WD_NO_ALERT },
	{ "unexpected alert open", WD_ALERT_OPEN },
	{ "element click intercepted", WD_INTERCEPTED },
	{ "element not interactable", WD_NOT_INTERACTABLE },
	{ "invalid element state", WD_NOT_INTERACTABLE },
	{ "invalid selector", WD_INVALID_SELECTOR },
	{ "invalid argument", WD_INVALID_ARGUMENT },
	{ "javascript error", WD_SCRIPT },
	{ "timeout", WD_TIMEOUT },
	{ "script timeout", WD_TIMEOUT },
	{ "invalid session id", WD_GONE },
};

static int
set_err(struct wd *w, enum wd_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
set_err(struct wd *w, enum wd_code code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->err, sizeof w->err, fmt, ap);
	va_end(ap);
	w->code = code;
	return -1;
}

/* The driver's message on one line, without its session info and trace. */
static void
set_driver_err(struct wd *w, const char *error, const char *message)
{
	enum wd_code code = WD_FAILED;
	size_t i, n;

	for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		if (strcmp(codes[i].error, error) == 0)
			code = codes[i].code;
	}
	if (message == NULL)
		message = "";
	if (code == WD_FAILED && (strstr(message, "disconnected") != NULL ||
	    strstr(message, "not reachable") != NULL ||
	    strstr(message, "session deleted") != NULL))
		code = WD_GONE;
	/* "unknown error: net::ERR_..." says nothing the rest does not. */
	while (strncmp(message, "unknown error: ", 15) == 0)
		message += 15;
	n = strcspn(message, "\n");
	if (n > 300)
		n = 300;
	while (n > 0 && (message[n - 1] == ' ' || message[n - 1] == ':'))
		n--;
	if (code == WD_GONE)
		set_err(w, code, "the browser is gone (%.*s)", (int)n, message);
	else if (strcmp(error, "unknown error") == 0 && n > 0)
		set_err(w, code, "%.*s", (int)n, message);
	else if (n == 0 || strncmp(message, error, strlen(error)) == 0)
		set_err(w, code, "%.*s", n ? (int)n : (int)strlen(error),
		    n ? message : error);
	else
		set_err(w, code, "%s: %.*s", error, (int)n, message);
}

void
wd_set_cancel(struct wd *w, int (*fn)(void *), void *arg)
{
	w->cancelled = fn;
	w->arg = arg;
}

enum wd_code
wd_code(const struct wd *w)
{
	return w->code;
}

const char *
wd_error(const struct wd *w)
{
	return w->err;
}

void
wd_get_stats(const struct wd *w, struct wd_stats *s)
{
	*s = w->stats;
}

const char *
wd_tmpdir(const struct wd *w)
{
	return w->tmpdir;
}

/* --- HTTP ----------------------------------------------------------------- */

static int
cancelled(void *arg)
{
	struct wd *w = arg;

	return w->cancelled != NULL && w->cancelled(w->arg);
}

/*
 * One exchange with the driver at url; the parsed answer in *answer.
 * -1 when no JSON answer arrived.
 */
static int
exchange(struct wd *w, const char *method, const char *url, json_t *body,
    long timeout_ms, long *status, json_t **answer)
{
	static const char *const headers[] = {
		"Content-Type: application/json; charset=utf-8", NULL,
	};
	struct http_request req;
	struct http_response resp;
	json_error_t jerr;
	char *text = NULL;
	int64_t t0;
	int rc;

	*answer = NULL;
	memset(&req, 0, sizeof req);
	req.method = method;
	req.url = url;
	req.headers = headers;
	if (body != NULL) {
		text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
		req.body = text;
		req.body_len = strlen(text);
	} else if (strcmp(method, "POST") == 0) {
		req.body = "{}";
		req.body_len = 2;
	}
	req.timeout_ms = timeout_ms > 0 ? timeout_ms : DEFAULT_CMD_MS;
	req.attempts = 1;
	req.no_redirects = 1;
	req.max_body = MAX_ANSWER;
	req.cancelled = cancelled;
	req.arg = w;
	t0 = time_mono_us();
	rc = http_send(w->http, &req, &resp);
	w->stats.wire_us += time_mono_us() - t0;
	w->stats.commands++;
	if (text != NULL) {
		/* Typed text may be a password: leave none of it in memory. */
		explicit_bzero(text, strlen(text));
		free(text);
	}
	if (rc != 0) {
		set_err(w, resp.error == HTTP_ERR_CANCELLED ? WD_CANCELLED :
		    resp.error == HTTP_ERR_TIMEOUT ? WD_TIMEOUT : WD_GONE,
		    "%s: no answer from the browser driver (%s)",
		    resp.error == HTTP_ERR_CANCELLED ? "cancelled" :
		    resp.error == HTTP_ERR_TIMEOUT ? "timed out" :
		    "the browser is gone", resp.err);
		http_response_free(&resp);
		return -1;
	}
	*status = resp.status;
	*answer = json_loadb(buf_str(&resp.body), resp.body.len, 0, &jerr);
	http_response_free(&resp);
	if (*answer == NULL || !json_is_object(*answer)) {
		json_decref(*answer);
		*answer = NULL;
		return set_err(w, WD_FAILED, "the browser driver answered "
		    "HTTP %ld with something that is not JSON", *status);
	}
	return 0;
}

int
wd_cmd(struct wd *w, const char *method, const char *path, json_t *body,
    json_t **value, long timeout_ms)
{
	json_t *answer, *v, *e;
	char *url;
	long status = 0;
	int rc;

	if (value != NULL)
		*value = NULL;
	w->code = WD_OK;
	w->err[0] = '\0';
	url = xasprintf("%s/%s", w->base, path);
	rc = exchange(w, method, url, body, timeout_ms, &status, &answer);
	free(url);
	json_decref(body);
	if (rc != 0)
		return -1;
	v = json_object_get(answer, "value");
	e = json_object_get(v, "error");
	if (status >= 400 || json_is_string(e)) {
		set_driver_err(w, json_is_string(e) ? json_string_value(e) :
		    "unknown error", json_string_value(json_object_get(v,
		    "message")));
		json_decref(answer);
		return -1;
	}
	if (value != NULL)
		*value = json_incref(v ? v : json_null());
	json_decref(answer);
	return 0;
}

/* --- starting ------------------------------------------------------------- */

/* The program's absolute path: $program_env, else a search of PATH. */
static char *
find_program(const struct wd_driver *d)
{
	const char *env = getenv(d->program_env), *path, *p, *end;
	char *cand;

	if (env != NULL && *env != '\0')
		return access(env, X_OK) == 0 && env[0] == '/' ?
		    xstrdup(env) : NULL;
	path = getenv("PATH");
	if (path == NULL || *path == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p != '\0'; p = *end ? end + 1 : end) {
		end = p + strcspn(p, ":");
		if (end == p || *p != '/')
			continue;
		cand = xasprintf("%.*s/%s", (int)(end - p), p, d->program);
		if (access(cand, X_OK) == 0)
			return cand;
		free(cand);
	}
	return NULL;
}

/* A free loopback port (the driver binds it a moment later). */
static int
free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	int fd, port = -1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/*
 * The environment of the driver: ours, with DISPLAY for a headed browser
 * and TMPDIR in the private directory, so that what the browser leaves in
 * its temporary directory after a kill goes with that directory.
 */
static char **
driver_env(struct wd *w, const struct wd_options *o)
{
	size_t n = 0, i, j = 0;
	char **env;

	while (environ[n] != NULL)
		n++;
	env = xcalloc(n + 3, sizeof *env);
	for (i = 0; i < n; i++) {
		if ((strncmp(environ[i], "DISPLAY=", 8) == 0 &&
		    o->display != NULL) || strncmp(environ[i], "TMPDIR=", 7) == 0)
			continue;
		env[j++] = xstrdup(environ[i]);
	}
	if (o->display != NULL)
		env[j++] = xasprintf("DISPLAY=%s", o->display);
	env[j++] = xasprintf("TMPDIR=%s", w->tmpdir);
	env[j] = NULL;
	return env;
}

static void
free_strv(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static int
past(const struct wd_options *o)
{
	return o->deadline_ms != 0 && time_mono_ms() >= o->deadline_ms;
}

/*
 * Lock a persistent profile for this browser alone; the guard keeps the
 * lock until the browser is gone.  Waits until the deadline.
 */
static int
lock_profile(struct wd *w, const struct wd_options *o, char *err,
    size_t errlen)
{
	char *path = xasprintf("%s/.kobito-lock", o->profile);
	struct stat st;

	if (stat(o->profile, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "profile directory '%s' does not exist",
		    o->profile);
		free(path);
		return -1;
	}
	w->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (w->lock_fd < 0) {
		snprintf(err, errlen, "cannot open '%s': %s", path,
		    strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	while (flock(w->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			snprintf(err, errlen, "cannot lock profile '%s': %s",
			    o->profile, strerror(errno));
			return -1;
		}
		if (past(o) || (o->cancelled && o->cancelled(o->arg))) {
			snprintf(err, errlen, "profile '%s' is in use by "
			    "another run", o->profile);
			return -1;
		}
		time_sleep_ms(100, NULL);
	}
	return 0;
}

/* The last lines the driver wrote, for a start-up failure. */
static void
driver_log_tail(struct wd *w, char *out, size_t len)
{
	char *path = xasprintf("%s/driver.log", w->tmpdir), *data, e[256];
	size_t n, start;

	out[0] = '\0';
	if (fsutil_read(path, 1024 * 1024, &data, &n, e, sizeof e) == 0) {
		start = n > 400 ? n - 400 : 0;
		while (n > start && (data[n - 1] == '\n' || data[n - 1] == ' '))
			n--;
		snprintf(out, len, "%.*s", (int)(n - start), data + start);
		for (char *p = out; *p; p++)
			if (*p == '\n')
				*p = ' ';
		free(data);
	}
	free(path);
}

/* Start the driver program on a free port and wait until it answers. */
static int
start_driver(struct wd *w, const struct wd_options *o, char *err,
    size_t errlen)
{
	char *argv[MAX_ARGS], **env, *logpath, tail[512];
	json_t *answer;
	long status;
	int port, ready = 0;

	memset(argv, 0, sizeof argv);
	if ((argv[0] = find_program(w->driver)) == NULL) {
		snprintf(err, errlen, "%s is not installed (or $%s does not "
		    "name a program): make deps installs it",
		    w->driver->program, w->driver->program_env);
		return -1;
	}
	if ((port = free_port()) < 0 ||
	    w->driver->args(argv + 1, MAX_ARGS - 1, port) != 0) {
		snprintf(err, errlen, "cannot find a free loopback port");
		free(argv[0]);
		return -1;
	}
	env = driver_env(w, o);
	logpath = xasprintf("%s/driver.log", w->tmpdir);
	if (reaper_spawn(&w->reaper, argv, env, logpath, w->tmpdir, w->lock_fd,
	    err, errlen) != 0) {
		for (size_t i = 0; argv[i] != NULL; i++)
			free(argv[i]);
		free_strv(env);
		free(logpath);
		return -1;
	}
	for (size_t i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free_strv(env);
	free(logpath);
	w->root = xasprintf("http://127.0.0.1:%d", port);
	{
		char *url = xasprintf("%s/status", w->root);

		while (!ready) {
			if (!reaper_running(&w->reaper))
				break;
			if (past(o) || (o->cancelled && o->cancelled(o->arg)))
				break;
			if (exchange(w, "GET", url, NULL, 1000, &status,
			    &answer) == 0) {
				ready = json_is_true(json_object_get(
				    json_object_get(answer, "value"),
				    "ready"));
				json_decref(answer);
			}
			if (!ready)
				time_sleep_ms(20, NULL);
		}
		free(url);
	}
	if (ready)
		return 0;
	driver_log_tail(w, tail, sizeof tail);
	snprintf(err, errlen, "%s did not start%s%s", w->driver->program,
	    tail[0] ? ": " : "", tail);
	return -1;
}

static int
new_session(struct wd *w, const struct wd_options *o, const char *profile,
    char *err, size_t errlen)
{
	json_t *body, *answer, *v, *e;
	char *url = xasprintf("%s/session", w->root);
	const char *sid;
	long status = 0, timeout = 60000;
	int rc;

	if (o->deadline_ms != 0) {
		timeout = (long)(o->deadline_ms - time_mono_ms());
		if (timeout < 1000)
			timeout = 1000;
	}
	body = json_pack("{s:{s:o}}", "capabilities", "alwaysMatch",
	    w->driver->capabilities(o, profile));
	rc = exchange(w, "POST", url, body, timeout, &status, &answer);
	json_decref(body);
	free(url);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the browser: %s", w->err);
		return -1;
	}
	v = json_object_get(answer, "value");
	e = json_object_get(v, "error");
	sid = json_string_value(json_object_get(v, "sessionId"));
	if (json_is_string(e) || sid == NULL) {
		set_driver_err(w, json_is_string(e) ? json_string_value(e) :
		    "session not created", json_string_value(json_object_get(v,
		    "message")));
		snprintf(err, errlen, "cannot start the browser: %s", w->err);
		json_decref(answer);
		return -1;
	}
	w->base = xasprintf("%s/session/%s", w->root, sid);
	json_decref(answer);
	return 0;
}

/* The longest TMPDIR the browser's socket path leaves room for: 107 bytes
 * of sun_path less "/kobito-web-XXXXXX/.org.chromium.Chromium.XXXXXX/
 * SingletonSocket". */
#define TMPDIR_MAX	40

struct wd *
wd_open(const struct wd_options *given, char *err, size_t errlen)
{
	struct wd_options o = *given;
	const char *tmp = getenv("TMPDIR");
	char *profile = NULL;
	struct wd *w;
	int64_t t0 = time_mono_ms();

	/* The caller's cancel covers the start; later commands get theirs
	 * from wd_set_cancel. */
	if (o.browser == NULL)
		o.browser = "chromium";
	if (o.width <= 0 || o.height <= 0) {
		o.width = 1280;
		o.height = 1024;
	}
	if (o.lang == NULL)
		o.lang = "ja-JP";
	if (o.page_load_ms <= 0)
		o.page_load_ms = DEFAULT_LOAD_MS;
	w = xcalloc(1, sizeof *w);
	w->lock_fd = -1;
	w->reaper.lifeline = -1;
	w->cancelled = o.cancelled;
	w->arg = o.arg;
	if ((w->driver = wd_driver_find(o.browser)) == NULL) {
		snprintf(err, errlen, "unknown browser '%s' (known: %s)",
		    o.browser, wd_driver_names());
		free(w);
		return NULL;
	}
	/* Chromium puts its singleton socket two levels below TMPDIR, and a
	 * socket's path is short (sun_path): under a deep directory, such as
	 * an agent job's working directory, the browser would exit at once. */
	if (tmp == NULL || *tmp == '\0' || strlen(tmp) > TMPDIR_MAX)
		tmp = "/tmp";
	w->tmpdir = xasprintf("%s/kobito-web-XXXXXX", tmp);
	if (mkdtemp(w->tmpdir) == NULL) {
		snprintf(err, errlen, "cannot create a directory '%s': %s",
		    w->tmpdir, strerror(errno));
		free(w->tmpdir);
		free(w);
		return NULL;
	}
	w->http = http_client_new();
	if (o.profile != NULL) {
		if (lock_profile(w, &o, err, errlen) != 0)
			goto fail;
		profile = xstrdup(o.profile);
	} else {
		profile = xasprintf("%s/profile", w->tmpdir);
	}
	if (start_driver(w, &o, err, errlen) != 0 ||
	    new_session(w, &o, profile, err, errlen) != 0)
		goto fail;
	if (w->driver->prepare != NULL && w->driver->prepare(w, &o) != 0) {
		snprintf(err, errlen, "cannot prepare the browser: %s", w->err);
		goto fail;
	}
	free(profile);
	/* The figures count the session's commands, not the start-up's. */
	memset(&w->stats, 0, sizeof w->stats);
	w->stats.start_ms = time_mono_ms() - t0;
	wd_set_cancel(w, NULL, NULL);
	return w;
fail:
	free(profile);
	wd_close(w);
	return NULL;
}

void
wd_close(struct wd *w)
{
	json_t *answer;
	long status;

	if (w == NULL)
		return;
	if (w->base != NULL && reaper_running(&w->reaper) &&
	    exchange(w, "DELETE", w->base, NULL, 10000, &status,
	    &answer) == 0)
		json_decref(answer);
	if (w->reaper.guard > 0 || w->reaper.lifeline >= 0)
		reaper_stop(&w->reaper);
	else
		/* The guard never started: nobody else removes it. */
		rmdir(w->tmpdir);
	if (w->lock_fd >= 0)
		close(w->lock_fd);
	http_client_free(w->http);
	free(w->root);
	free(w->base);
	free(w->tmpdir);
	free(w);
}

/* --- commands ------------------------------------------------------------- */

static int
get_string(struct wd *w, const char *path, char **out)
{
	json_t *v;

	*out = NULL;
	if (wd_cmd(w, "GET", path, NULL, &v, 0) != 0)
		return -1;
	*out = xstrdup(json_is_string(v) ? json_string_value(v) : "");
	json_decref(v);
	return 0;
}

int
wd_navigate(struct wd *w, const char *url, long timeout_ms)
{
	return wd_cmd(w, "POST", "url", json_pack("{s:s}", "url", url), NULL,
	    timeout_ms);
}

int
wd_back(struct wd *w, long timeout_ms)
{
	return wd_cmd(w, "POST", "back", NULL, NULL, timeout_ms);
}

int
wd_refresh(struct wd *w, long timeout_ms)
{
	return wd_cmd(w, "POST", "refresh", NULL, NULL, timeout_ms);
}

int
wd_url(struct wd *w, char **out)
{
	return get_string(w, "url", out);
}

int
wd_title(struct wd *w, char **out)
{
	return get_string(w, "title", out);
}

int
wd_execute(struct wd *w, const char *script, json_t *args, json_t **value,
    long timeout_ms)
{
	return wd_cmd(w, "POST", "execute/sync", json_pack("{s:s, s:o}",
	    "script", script, "args", args ? args : json_array()), value,
	    timeout_ms);
}

static int
element_cmd(struct wd *w, const char *method, const char *el,
    const char *what, json_t *body, json_t **value, long timeout_ms)
{
	char *path = xasprintf("element/%s/%s", el, what);
	int rc = wd_cmd(w, method, path, body, value, timeout_ms);

	free(path);
	return rc;
}

int
wd_click(struct wd *w, const char *el, long timeout_ms)
{
	return element_cmd(w, "POST", el, "click", NULL, NULL, timeout_ms);
}

int
wd_clear(struct wd *w, const char *el)
{
	return element_cmd(w, "POST", el, "clear", NULL, NULL, 0);
}

int
wd_send_keys(struct wd *w, const char *el, const char *text)
{
	return element_cmd(w, "POST", el, "value", json_pack("{s:s}", "text",
	    text), NULL, 0);
}

/* arguments: [element]; focus it with the caret after what it holds. */
static const char FOCUS_END_JS[] =
"const e = arguments[0];\n"
"e.focus();\n"
"if (e.isContentEditable) {\n"
"  const r = document.createRange(), s = window.getSelection();\n"
"  r.selectNodeContents(e); r.collapse(false);\n"
"  s.removeAllRanges(); s.addRange(r);\n"
"} else if (typeof e.value === 'string') {\n"
"  try { e.setSelectionRange(e.value.length, e.value.length); }\n"
"  catch (x) { /* a field without a caret */ }\n"
"}\n"
"return document.activeElement === e;\n";

int
wd_insert_text(struct wd *w, const char *el, const char *text)
{
	json_t *focused;

	if (w->driver->insert_text == NULL)
		return set_err(w, WD_FAILED, "cannot insert text with %s",
		    w->driver->name);
	if (wd_execute(w, FOCUS_END_JS, json_pack("[o]", wd_element_ref(el)),
	    &focused, 0) != 0)
		return -1;
	if (!json_is_true(focused)) {
		json_decref(focused);
		return set_err(w, WD_NOT_INTERACTABLE, "element not "
		    "interactable: it does not take the focus");
	}
	json_decref(focused);
	return w->driver->insert_text(w, text);
}

int
wd_screenshot(struct wd *w, const char *el, unsigned char **png,
    size_t *len)
{
	json_t *v;
	const char *b64;
	size_t n, cap;
	int rc;

	*png = NULL;
	*len = 0;
	rc = el ? element_cmd(w, "GET", el, "screenshot", NULL, &v, 0) :
	    wd_cmd(w, "GET", "screenshot", NULL, &v, 0);
	if (rc != 0)
		return -1;
	if ((b64 = json_string_value(v)) == NULL) {
		json_decref(v);
		return set_err(w, WD_FAILED, "the screenshot is not text");
	}
	n = strlen(b64);
	cap = n / 4 * 3 + 3;
	*png = xmalloc(cap);
	if (sodium_base642bin(*png, cap, b64, n, " \r\n", len, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0) {
		free(*png);
		*png = NULL;
		json_decref(v);
		return set_err(w, WD_FAILED, "the screenshot is not base64");
	}
	json_decref(v);
	return 0;
}

int
wd_frame(struct wd *w, json_t *id)
{
	return wd_cmd(w, "POST", "frame", json_pack("{s:o}", "id",
	    id ? id : json_null()), NULL, 0);
}

int
wd_frame_parent(struct wd *w)
{
	return wd_cmd(w, "POST", "frame/parent", NULL, NULL, 0);
}

int
wd_window(struct wd *w, char **handle)
{
	return get_string(w, "window", handle);
}

int
wd_windows(struct wd *w, json_t **handles)
{
	return wd_cmd(w, "GET", "window/handles", NULL, handles, 0);
}

int
wd_switch_window(struct wd *w, const char *handle)
{
	return wd_cmd(w, "POST", "window", json_pack("{s:s}", "handle",
	    handle), NULL, 0);
}

int
wd_close_window(struct wd *w)
{
	json_t *v;

	if (wd_cmd(w, "DELETE", "window", NULL, &v, 0) != 0)
		return -1;
	json_decref(v);
	return 0;
}

int
wd_alert_text(struct wd *w, char **text)
{
	return get_string(w, "alert/text", text);
}

int
wd_alert_send(struct wd *w, const char *text)
{
	return wd_cmd(w, "POST", "alert/text", json_pack("{s:s}", "text",
	    text), NULL, 0);
}

int
wd_alert_answer(struct wd *w, int accept)
{
	return wd_cmd(w, "POST", accept ? "alert/accept" : "alert/dismiss",
	    NULL, NULL, 0);
}

int
wd_actions(struct wd *w, json_t *actions)
{
	if (wd_cmd(w, "POST", "actions", json_pack("{s:o}", "actions",
	    actions), NULL, 0) != 0)
		return -1;
	return wd_cmd(w, "DELETE", "actions", NULL, NULL, 0);
}

const char *
wd_element_id(const json_t *v)
{
	return json_string_value(json_object_get(v, ELEMENT_KEY));
}

json_t *
wd_element_ref(const char *id)
{
	return json_pack("{s:s}", ELEMENT_KEY, id);
}
