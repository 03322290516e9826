/*
 * api_notify.h - notifications over HTTP (rules, mail settings, the
 * deliveries) and the notifier thread that sends them (see notify.h).
 */
#ifndef KOBITO_API_NOTIFY_H
#define KOBITO_API_NOTIFY_H

#include "api_int.h"

/*
 * The notifier thread (arg: the struct api): finds events and sends
 * their deliveries until the API stops.  api_start starts it.
 */
void		*api_notifier_main(void *arg);

enum hres	 api_h_notify_rules(struct api *, struct req *);
enum hres	 api_h_notify_rule_put(struct api *, struct req *);
enum hres	 api_h_notify_rule_delete(struct api *, struct req *);
enum hres	 api_h_notify_deliveries(struct api *, struct req *);
enum hres	 api_h_notify_mail(struct api *, struct req *);
enum hres	 api_h_notify_mail_put(struct api *, struct req *);

#endif
