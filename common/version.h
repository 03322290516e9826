/*
 * version.h - the version of kobito, the same for every program and for
 * the Debian packages (debian/changelog names it too; tools/mkman.sh puts
 * it into the man pages).
 */
#ifndef KOBITO_VERSION_H
#define KOBITO_VERSION_H

#define KOBITO_VERSION	"0.2.0"

#endif
