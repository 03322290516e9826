/*
 * dirauth.h - logging in with the city's directory (LDAP, Active
 * Directory) through libldap: the user is looked up (as a search account,
 * or anonymously), their password checked by a simple bind as their own
 * entry, over LDAPS or StartTLS (a certificate that does not verify against
 * the configured CA is refused), and the groups they are in give them
 * their roles, by a table in the configuration:
 *
 *   directory:
 *     uri: ldaps://ad.city.lg.jp          # or ldap://... with starttls: true
 *     starttls: false
 *     ca_file: /etc/kobito/ad-ca.pem
 *     bind_dn: cn=kobito,ou=service,dc=city,dc=lg,dc=jp   # optional
 *     bind_password_file: /etc/kobito/ldap.pw               # with bind_dn
 *     base: ou=people,dc=city,dc=lg,dc=jp
 *     user_filter: "(&(objectClass=person)(uid=%s))"       # %s: the name
 *     groups_base: ou=groups,dc=city,dc=lg,dc=jp
 *     group_filter: "(member=%s)"                         # %s: the user's DN
 *     timeout_ms: 5000
 *     groups:
 *       - { group: "cn=kaikei,ou=groups,dc=city,dc=lg,dc=jp",
 *           department: 会計課, role: operator }
 *       - { group: "cn=kanbu,ou=groups,dc=city,dc=lg,dc=jp", global: manager }
 *
 * Every directory login takes the roles its groups give (perm.h), replacing
 * those of the login before; a person whose groups give none is refused.
 * Local accounts (with a password of their own) are kept: an admin can
 * always log in, whatever the directory does.
 *
 * Thread safety: a struct dirauth is read-only once loaded; each login
 * opens its own connection.
 */
#ifndef KOBITO_DIRAUTH_H
#define KOBITO_DIRAUTH_H

#include <stddef.h>

#include "kpi.h"
#include "perm.h"
#include "ydoc.h"

struct dirauth;

/*
 * The "directory" section of the configuration (a mapping), departments
 * checked against the KPI tree (may be NULL: any text).  NULL with
 * "file:line:col: message" in err when it is wrong.  Free with
 * dirauth_free().
 */
struct dirauth	*dirauth_load(const struct ynode *section,
		    const struct kpi_config *kpi, char *err, size_t errlen);
void		 dirauth_free(struct dirauth *);

/* What a login comes to. */
enum dirauth_rc {
	DIRAUTH_OK,		/* *p holds the roles */
	DIRAUTH_DENIED,		/* unknown name or wrong password */
	DIRAUTH_NO_ROLE,	/* known, but no group gives a role */
	DIRAUTH_ERROR,		/* the directory cannot be asked: err */
};

/*
 * Log name in with password: look them up, bind as them, map their groups
 * to roles into *p and the first department one names into dept ("" when
 * none).  A message for the log in err for DIRAUTH_ERROR (never the
 * password).
 */
enum dirauth_rc	 dirauth_login(const struct dirauth *, const char *name,
		    const char *password, struct perm *p, char *dept,
		    size_t deptlen, char *err, size_t errlen);

#endif
