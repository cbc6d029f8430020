#include "config.h"

#include <errno.h>
#include <string.h>

#include "base/filters.h"
#include "base/xalloc.h"

/* The set is a JSON object: key -> array of unique strings. */
struct berth_filters {
	json_t *map; /* owned */
};

static int add_value(json_t *arr, const char *v)
{
	size_t i;
	json_t *it;

	json_array_foreach (arr, i, it)
		if (strcmp(json_string_value(it), v) == 0)
			return 0;
	return json_array_append_new(arr, json_string(v));
}

static int parse_values(json_t *arr, const char *key, json_t *vals, berth_error_t *err)
{
	const char *v;
	json_t *it;
	size_t i;

	if (json_is_array(vals)) {
		json_array_foreach (vals, i, it) {
			if (!json_is_string(it))
				return berth_make_error(err, EINVAL,
							"invalid filter value for `%s`", key);
			add_value(arr, json_string_value(it));
		}
		return 0;
	}
	if (json_is_object(vals)) {
		json_object_foreach (vals, v, it) {
			if (!json_is_boolean(it))
				return berth_make_error(err, EINVAL,
							"invalid filter value for `%s`", key);
			if (json_is_true(it))
				add_value(arr, v);
		}
		return 0;
	}
	return berth_make_error(err, EINVAL, "invalid filter value for `%s`", key);
}

struct berth_filters *berth_filters_parse(const char *text, berth_error_t *err)
{
	struct berth_filters *f = xzalloc(sizeof(*f));
	json_t *root, *vals;
	json_error_t jerr;
	const char *key;

	f->map = json_object();
	if (text == NULL || *text == '\0')
		return f;
	if (strlen(text) > BERTH_FILTERS_MAX_BYTES) {
		berth_filters_free(f);
		berth_make_error(err, EINVAL, "filters argument is larger than %d bytes",
				 BERTH_FILTERS_MAX_BYTES);
		return NULL;
	}
	root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL || !json_is_object(root)) {
		json_decref(root);
		berth_filters_free(f);
		berth_make_error(err, EINVAL, "invalid filters: %s",
				 root ? "not an object" : jerr.text);
		return NULL;
	}
	json_object_foreach (root, key, vals) {
		json_t *arr = json_array();
		if (parse_values(arr, key, vals, err) < 0) {
			json_decref(arr);
			json_decref(root);
			berth_filters_free(f);
			return NULL;
		}
		json_object_set_new(f->map, key, arr);
	}
	json_decref(root);
	return f;
}

void berth_filters_free(struct berth_filters *f)
{
	if (f == NULL)
		return;
	json_decref(f->map);
	free(f);
}

int berth_filters_validate(const struct berth_filters *f, const char *const *allowed,
			   berth_error_t *err)
{
	const char *key;
	json_t *v;

	json_object_foreach (f->map, key, v) {
		const char *const *a;
		for (a = allowed; *a; a++)
			if (strcmp(*a, key) == 0)
				break;
		if (*a == NULL)
			return berth_make_error(err, EINVAL, "invalid filter '%s'", key);
	}
	return 0;
}

bool berth_filters_has(const struct berth_filters *f, const char *key)
{
	return json_object_get(f->map, key) != NULL;
}

size_t berth_filters_count(const struct berth_filters *f, const char *key)
{
	return json_array_size(json_object_get(f->map, key));
}

const char *berth_filters_value(const struct berth_filters *f, const char *key, size_t i)
{
	return json_string_value(json_array_get(json_object_get(f->map, key), i));
}

bool berth_filters_match(const struct berth_filters *f, const char *key, const char *value)
{
	json_t *arr = json_object_get(f->map, key);
	json_t *it;
	size_t i;

	if (arr == NULL)
		return true;
	if (value == NULL)
		return false;
	json_array_foreach (arr, i, it)
		if (strcmp(json_string_value(it), value) == 0)
			return true;
	return false;
}

bool berth_filters_fuzzy_match(const struct berth_filters *f, const char *key, const char *source)
{
	json_t *arr = json_object_get(f->map, key);
	json_t *it;
	size_t i;

	if (arr == NULL)
		return true;
	if (source == NULL)
		return false;
	json_array_foreach (arr, i, it) {
		const char *v = json_string_value(it);
		if (strncmp(source, v, strlen(v)) == 0)
			return true;
	}
	return false;
}

static bool label_holds(const char *want, const json_t *labels)
{
	const char *eq = strchr(want, '=');
	json_t *v;

	if (eq == NULL)
		return json_object_get(labels, want) != NULL;
	{
		char *k = xstrndup(want, (size_t)(eq - want));
		v = json_object_get(labels, k);
		free(k);
	}
	return json_is_string(v) && strcmp(json_string_value(v), eq + 1) == 0;
}

bool berth_filters_match_labels(const struct berth_filters *f, const char *key,
				const json_t *labels)
{
	json_t *arr = json_object_get(f->map, key);
	json_t *it;
	size_t i;

	json_array_foreach (arr, i, it)
		if (!label_holds(json_string_value(it), labels))
			return false;
	return true;
}
