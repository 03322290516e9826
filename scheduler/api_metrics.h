/* api_metrics.h - /health and the Prometheus /metrics. */
#ifndef KOBITO_API_METRICS_H
#define KOBITO_API_METRICS_H

#include "api_int.h"

/* Count one dispatch latency (from a job being due to its lease). */
void		 api_record_latency(struct api *, int64_t ms);

enum hres	 api_h_health(struct api *, struct req *);
enum hres	 api_h_metrics(struct api *, struct req *);

#endif
