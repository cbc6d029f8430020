/* filters.h: the `filters` query argument of the Docker API.
 *
 * Accepts both wire forms: {"key":{"value":true}} (Go clients) and
 * {"key":["value"]} (docker-py, old API versions). Values of one key are
 * ORed; `label` values are ANDed (berth_filters_match_labels). */
#ifndef BERTH_BASE_FILTERS_H
#define BERTH_BASE_FILTERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

/* Largest `filters` argument accepted, in bytes. */
#define BERTH_FILTERS_MAX_BYTES (64 * 1024)

struct berth_filters;

/* Parses TEXT (NULL or "" gives an empty set). Invalid JSON or a wrong
 * shape is EINVAL. */
struct berth_filters *berth_filters_parse(const char *text, berth_error_t *err);
void berth_filters_free(struct berth_filters *f);

/* Every key must be one of ALLOWED (NULL-terminated); else EINVAL
 * "invalid filter 'KEY'", docker's wording. */
int berth_filters_validate(const struct berth_filters *f, const char *const *allowed,
			   berth_error_t *err);

bool berth_filters_has(const struct berth_filters *f, const char *key);
/* Number of values for KEY and the I-th of them (borrowed). */
size_t berth_filters_count(const struct berth_filters *f, const char *key);
const char *berth_filters_value(const struct berth_filters *f, const char *key, size_t i);

/* True when KEY is absent or VALUE equals one of its values. */
bool berth_filters_match(const struct berth_filters *f, const char *key, const char *value);

/* docker's FuzzyMatch: true when KEY is absent, or one of its values equals
 * SOURCE or is a prefix of it. */
bool berth_filters_fuzzy_match(const struct berth_filters *f, const char *key, const char *source);

/* True when every `KEY` (label filter "k" or "k=v") holds in LABELS, a JSON
 * object of strings (NULL counts as empty). True when KEY is absent. */
bool berth_filters_match_labels(const struct berth_filters *f, const char *key,
				const json_t *labels);

#endif
