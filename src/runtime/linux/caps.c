/* caps.c: the capability sets of a container process.
 *
 * The OCI `process.capabilities` object names five sets. The bounding set
 * is narrowed with PR_CAPBSET_DROP (needs CAP_SETPCAP in the effective
 * set, so it happens before the others are lowered), the effective,
 * permitted and inheritable sets go in one cap_set_proc(), and the ambient
 * set is raised cap by cap with PR_CAP_AMBIENT, as runc and crun do. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "runtime/linux/caps.h"

/* Capability numbers are bits of a uint64_t mask below. */
#define CAPS_MAX_BITS 64

/* The kernel's names, by number (linux/capability.h). Names newer than this
 * table are looked up through libcap. */
static const char *const cap_names[] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_DAC_READ_SEARCH",
	"CAP_FOWNER",
	"CAP_FSETID",
	"CAP_KILL",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",
	"CAP_NET_RAW",
	"CAP_IPC_LOCK",
	"CAP_IPC_OWNER",
	"CAP_SYS_MODULE",
	"CAP_SYS_RAWIO",
	"CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",
	"CAP_SYS_ADMIN",
	"CAP_SYS_BOOT",
	"CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",
	"CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG",
	"CAP_MKNOD",
	"CAP_LEASE",
	"CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL",
	"CAP_SETFCAP",
	"CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN",
	"CAP_SYSLOG",
	"CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",
	"CAP_AUDIT_READ",
	"CAP_PERFMON",
	"CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

/* moby oci/caps/defaults.go, in its order */
static const char *const default_caps[] = {
	"CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",	   "CAP_FOWNER",
	"CAP_MKNOD",   "CAP_NET_RAW",	   "CAP_SETGID",	   "CAP_SETUID",
	"CAP_SETFCAP", "CAP_SETPCAP",	   "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
	"CAP_KILL",    "CAP_AUDIT_WRITE",
};

/* The five OCI sets, in the order of the masks below. */
enum {
	SET_BOUNDING,
	SET_EFFECTIVE,
	SET_INHERITABLE,
	SET_PERMITTED,
	SET_AMBIENT,
	SET_N
};
static const char *const set_names[SET_N] = { "bounding", "effective", "inheritable", "permitted",
					      "ambient" };

json_t *berth_caps_default(void)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(default_caps); i++)
		json_array_append_new(a, json_string(default_caps[i]));
	return a;
}

static int last_cap(void);

json_t *berth_caps_all(void)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i <= last_cap(); i++) {
		char *name;

		if (i < (int)BERTH_ARRAY_SIZE(cap_names)) {
			json_array_append_new(a, json_string(cap_names[i]));
			continue;
		}
		/* newer than the table: libcap's lower-case name, if it has one */
		name = cap_to_name(i);
		if (name && strncmp(name, "cap_", 4) == 0) {
			char *p;

			for (p = name; *p; p++)
				*p = (char)toupper((unsigned char)*p);
			json_array_append_new(a, json_string(name));
		}
		cap_free(name);
	}
	return a;
}

/* The highest capability the running kernel knows. */
static int last_cap(void)
{
	static int cached = -1;
	cleanup_file FILE *f = NULL;
	int v;

	if (cached >= 0)
		return cached;
	f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	if (f && fscanf(f, "%d", &v) == 1 && v >= 0 && v < CAPS_MAX_BITS)
		cached = v;
	else
		cached = CAP_LAST_CAP < CAPS_MAX_BITS ? CAP_LAST_CAP : CAPS_MAX_BITS - 1;
	return cached;
}

int berth_caps_number(const char *name)
{
	cap_value_t v;
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(cap_names); i++)
		if (strcmp(cap_names[i], name) == 0)
			return (int)i;
	/* libcap spells names in lower case; it also accepts plain numbers,
	 * which OCI does not */
	if (strncmp(name, "CAP_", 4) != 0 || name[4] < 'A' || name[4] > 'Z')
		return -1;
	if (cap_from_name(name, &v) == 0 && v >= 0 && v < CAPS_MAX_BITS)
		return (int)v;
	return -1;
}

/* Reads the array KEY of CAPS into *MASK, skipping caps the kernel lacks. */
static int parse_set(const json_t *caps, const char *key, uint64_t *mask, berth_error_t *err)
{
	const json_t *arr = json_object_get(caps, key);
	const json_t *v;
	size_t i;

	*mask = 0;
	if (arr == NULL || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return berth_make_error(err, EINVAL, "capabilities `%s` is not an array", key);
	json_array_foreach (arr, i, v) {
		const char *name = json_string_value(v);
		int n;

		if (name == NULL)
			return berth_make_error(err, EINVAL, "capabilities `%s`: not a string",
						key);
		n = berth_caps_number(name);
		if (n < 0)
			return berth_make_error(err, EINVAL, "unknown capability `%s`", name);
		if (n <= last_cap())
			*mask |= UINT64_C(1) << n;
	}
	return 0;
}

static int drop_bounding(uint64_t keep, berth_error_t *err)
{
	int i;

	for (i = 0; i <= last_cap(); i++) {
		if (keep & (UINT64_C(1) << i))
			continue;
		if (prctl(PR_CAPBSET_READ, i, 0, 0, 0) != 1)
			continue;
		if (prctl(PR_CAPBSET_DROP, i, 0, 0, 0) < 0)
			return berth_make_error(err, errno, "drop `%s` from the bounding set: %s",
						i < (int)BERTH_ARRAY_SIZE(cap_names) ? cap_names[i]
										     : "?",
						strerror(errno));
	}
	return 0;
}

static void mask_to_flag(cap_t c, cap_flag_t flag, uint64_t mask)
{
	cap_value_t v;

	for (v = 0; v <= last_cap(); v++)
		if (mask & (UINT64_C(1) << v))
			cap_set_flag(c, flag, 1, &v, CAP_SET);
}

static int set_proc(uint64_t eff, uint64_t perm, uint64_t inh, berth_error_t *err)
{
	cap_t c = cap_init();
	int ret;

	if (c == NULL)
		return berth_make_error(err, errno, "cap_init: %s", strerror(errno));
	mask_to_flag(c, CAP_EFFECTIVE, eff);
	mask_to_flag(c, CAP_PERMITTED, perm);
	mask_to_flag(c, CAP_INHERITABLE, inh);
	ret = cap_set_proc(c);
	if (ret < 0)
		ret = berth_make_error(err, errno, "set capabilities: %s", strerror(errno));
	cap_free(c);
	return ret;
}

/* After setresuid() to a non-root user with PR_SET_KEEPCAPS the permitted
 * set survives but the effective one is empty: raise it to the permitted
 * set so that CAP_SETPCAP is usable for the bounding drop. *PERMITTED gets
 * the caps the process holds. */
static int raise_effective(uint64_t *permitted, berth_error_t *err)
{
	cap_t c = cap_get_proc();
	cap_value_t v;
	int ret;

	if (c == NULL)
		return berth_make_error(err, errno, "cap_get_proc: %s", strerror(errno));
	*permitted = 0;
	for (v = 0; v <= last_cap(); v++) {
		cap_flag_value_t on = CAP_CLEAR;

		cap_get_flag(c, v, CAP_PERMITTED, &on);
		cap_set_flag(c, CAP_EFFECTIVE, 1, &v, on);
		if (on == CAP_SET)
			*permitted |= UINT64_C(1) << v;
	}
	ret = cap_set_proc(c);
	if (ret < 0)
		ret = berth_make_error(err, errno, "raise effective capabilities: %s",
				       strerror(errno));
	cap_free(c);
	return ret;
}

static int set_ambient(uint64_t amb, berth_error_t *err)
{
	int i;

	/* EINVAL: a kernel before 4.3 without ambient capabilities */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return amb == 0 ? 0
				: berth_make_error(err, errno, "clear ambient capabilities: %s",
						   strerror(errno));
	for (i = 0; i <= last_cap(); i++) {
		if (!(amb & (UINT64_C(1) << i)))
			continue;
		/* EPERM: the cap is not both permitted and inheritable */
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, i, 0, 0) < 0)
			return berth_make_error(err, errno, "raise ambient `%s`: %s",
						i < (int)BERTH_ARRAY_SIZE(cap_names) ? cap_names[i]
										     : "?",
						strerror(errno));
	}
	return 0;
}

int berth_caps_apply(const json_t *capabilities, berth_error_t *err)
{
	uint64_t m[SET_N], held = 0;
	int i, ret;

	if (capabilities == NULL || json_is_null(capabilities))
		return 0;
	if (!json_is_object(capabilities))
		return berth_make_error(err, EINVAL, "`capabilities` is not an object");
	for (i = 0; i < SET_N; i++) {
		ret = parse_set(capabilities, set_names[i], &m[i], err);
		if (ret < 0)
			return ret;
	}
	ret = raise_effective(&held, err);
	if (ret < 0)
		return ret;
	/* A cap the runtime does not hold itself cannot be granted (root on
	 * some hosts lacks CAP_SYS_RESOURCE): skipped like the kernel's
	 * unknown ones, so that --privileged means "all we have". */
	for (i = SET_EFFECTIVE; i < SET_N; i++)
		m[i] &= held;
	ret = drop_bounding(m[SET_BOUNDING], err);
	if (ret < 0)
		return ret;
	ret = set_proc(m[SET_EFFECTIVE], m[SET_PERMITTED], m[SET_INHERITABLE], err);
	if (ret < 0)
		return ret;
	return set_ambient(m[SET_AMBIENT], err);
}

int berth_caps_prepare_user_switch(berth_error_t *err)
{
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return berth_make_error(err, errno, "prctl `PR_SET_KEEPCAPS`: %s", strerror(errno));
	return 0;
}
