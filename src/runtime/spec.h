/* spec.h: an OCI runtime spec (config.json) parsed into plain C structs,
 * validated and bounded: for the daemon it is untrusted input (it is built
 * from image configs and API requests), so every list and string has a
 * named limit and every path that matters is checked here, once.
 *
 * The JSON document stays alive inside the spec: the capability, seccomp
 * and cgroup resource objects are handed as-is to linux/caps.h,
 * linux/seccomp.h and linux/cgroup.h. Unknown fields are ignored, as the
 * spec asks; apparmor/selinux labels, uid mappings, intelRdt, personality
 * and scheduler settings are parsed past. */
#ifndef BERTH_RUNTIME_SPEC_H
#define BERTH_RUNTIME_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"

/* Limits on config.json (STYLE rule 11). */
#define BERTH_SPEC_MAX_BYTES	(8 << 20)   /* the document (podman's seccomp profile is ~20 KB) */
#define BERTH_SPEC_MAX_PATH	4096	    /* any path */
#define BERTH_SPEC_MAX_STRING	(128 << 10) /* one argument, env entry or sysctl value */
#define BERTH_SPEC_MAX_ARGS	16384	    /* process.args */
#define BERTH_SPEC_MAX_ENV	16384	    /* process.env */
#define BERTH_SPEC_MAX_MOUNTS	1024
#define BERTH_SPEC_MAX_LIST	1024 /* devices, masked/readonly paths, gids, sysctls, hooks, options */
#define BERTH_SPEC_MAX_HOSTNAME 64 /* HOST_NAME_MAX */

/* Namespace kinds, in the order they are joined (user first when it comes). */
enum berth_ns_kind {
	BERTH_NS_USER = 0,
	BERTH_NS_MOUNT,
	BERTH_NS_PID,
	BERTH_NS_NET,
	BERTH_NS_IPC,
	BERTH_NS_UTS,
	BERTH_NS_CGROUP,
	BERTH_NS_TIME,
	BERTH_NS_COUNT,
};

struct berth_spec_ns {
	bool wanted; /* listed in linux.namespaces */
	char *path;  /* owned; NULL: a new namespace, else the one to join */
};

struct berth_spec_rlimit {
	int resource; /* RLIMIT_* */
	uint64_t soft, hard;
};

struct berth_spec_user {
	uid_t uid;
	gid_t gid;
	gid_t *additional_gids; /* owned */
	size_t n_additional_gids;
	bool has_umask;
	mode_t umask;
};

struct berth_spec_process {
	bool terminal;
	unsigned short console_height, console_width; /* 0: not given */
	char **args;				      /* owned, NULL-terminated, at least one */
	size_t n_args;
	char **env; /* owned, NULL-terminated, "KEY=value" */
	size_t n_env;
	char *cwd; /* owned, absolute */
	struct berth_spec_user user;
	const json_t *capabilities; /* borrowed: kept alive by the spec's document; may be NULL */
	struct berth_spec_rlimit *rlimits; /* owned */
	size_t n_rlimits;
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj;
};

/* A mount with its options split into MS_* flags and filesystem data. */
struct berth_spec_mount {
	char *destination;   /* owned, absolute */
	char *type;	     /* owned; "" when not given */
	char *source;	     /* owned; "" when not given; bind sources made absolute (bundle) */
	unsigned long flags; /* MS_* to set (MS_RDONLY, MS_NOSUID, ...) */
	unsigned long clear; /* MS_* asked off ("rw", "suid", "dev", "exec", ...) */
	unsigned long propagation; /* MS_PRIVATE/MS_SLAVE/MS_SHARED/MS_UNBINDABLE [|MS_REC] or 0 */
	char *data;	/* owned; comma-joined fs options ("mode=755,size=65536k") or NULL */
	bool bind;	/* "bind"/"rbind" option or type "bind" */
	bool recursive; /* "rbind" */
};

struct berth_spec_device {
	char *path; /* owned, absolute, under /dev */
	char type;  /* 'c', 'b', 'u' (unbuffered char) or 'p' (fifo) */
	int64_t major, minor;
	bool has_mode;
	mode_t mode; /* permission bits */
	uid_t uid;
	gid_t gid;
};

struct berth_spec_hook {
	char *path;  /* owned, absolute */
	char **args; /* owned, NULL-terminated; may be NULL */
	char **env;  /* owned, NULL-terminated; may be NULL */
	int timeout; /* seconds, 0: none */
};

struct berth_spec_hooks {
	struct berth_spec_hook *v; /* owned */
	size_t n;
};

enum berth_hook_kind {
	BERTH_HOOK_PRESTART = 0,
	BERTH_HOOK_CREATE_RUNTIME,
	BERTH_HOOK_CREATE_CONTAINER,
	BERTH_HOOK_START_CONTAINER,
	BERTH_HOOK_POSTSTART,
	BERTH_HOOK_POSTSTOP,
	BERTH_HOOK_COUNT,
};

struct berth_spec {
	json_t *doc;	   /* owned: the whole config.json */
	char *oci_version; /* owned */
	bool has_process;
	struct berth_spec_process process;
	char *root_path; /* owned, as written (relative to the bundle or absolute) */
	bool root_readonly;
	char *hostname;			 /* owned or NULL */
	char *domainname;		 /* owned or NULL */
	struct berth_spec_mount *mounts; /* owned */
	size_t n_mounts;
	struct berth_spec_ns ns[BERTH_NS_COUNT];
	struct berth_spec_device *devices; /* owned */
	size_t n_devices;
	char *cgroups_path;	 /* owned or NULL */
	const json_t *resources; /* borrowed (doc); may be NULL */
	const json_t *seccomp;	 /* borrowed (doc); may be NULL */
	char **masked_paths;	 /* owned, NULL-terminated; may be NULL */
	size_t n_masked_paths;
	char **readonly_paths; /* owned, NULL-terminated; may be NULL */
	size_t n_readonly_paths;
	unsigned long rootfs_propagation; /* MS_* or 0 (default: rslave) */
	char **sysctl_keys;		  /* owned; n_sysctl entries */
	char **sysctl_values;		  /* owned */
	size_t n_sysctl;
	struct berth_spec_hooks hooks[BERTH_HOOK_COUNT];
	const json_t *annotations; /* borrowed (doc); may be NULL */
};

/* Parses and validates a config.json of LEN bytes. Bind-mount sources that
 * are relative are made absolute against BUNDLE (may be NULL: left as is).
 * Returns a new spec, or NULL with *err set to a message naming the field
 * ("`process.args`: ..."). */
struct berth_spec *berth_spec_parse(const char *data, size_t len, const char *bundle,
				    berth_error_t *err);

/* Reads BUNDLE/config.json (at most BERTH_SPEC_MAX_BYTES) and parses it. */
struct berth_spec *berth_spec_load(const char *bundle, berth_error_t *err);

/* Parses a lone OCI `process` object (`berth-oci exec --process`) into OUT,
 * whose capabilities then borrow from *DOC (a new reference the caller owns
 * along with OUT). */
int berth_spec_process_parse(const char *data, size_t len, struct berth_spec_process *out,
			     json_t **doc, berth_error_t *err);
void berth_spec_process_release(struct berth_spec_process *p);

void berth_spec_free(struct berth_spec *spec);

/* The clone(2) flag of a namespace kind, and its name in the spec. */
int berth_spec_ns_flag(enum berth_ns_kind kind);
const char *berth_spec_ns_name(enum berth_ns_kind kind);

/* Splits mount OPTIONS into *M's flags, clear, propagation, bind and data
 * (the helper behind mount parsing; also used for `linux.rootfsPropagation`
 * with a single option). Unknown options go into data as filesystem
 * options. Returns 0 or EINVAL for an option berth refuses ("idmap"). */
int berth_spec_mount_options(struct berth_spec_mount *m, const char *const *options, size_t n,
			     berth_error_t *err);

/* RLIMIT_* for "RLIMIT_NOFILE" etc., or -1; and back ("?" if unknown). */
int berth_spec_rlimit_resource(const char *name);
const char *berth_spec_rlimit_name(int resource);

/* Whether SYSCTL (dotted or slashed) may be set in a container with the
 * given private namespaces (runc's rule: ipc sysctls need an ipc
 * namespace, net.* a network namespace, kernel.{hostname,domainname} a uts
 * one; nothing else is namespaced). */
bool berth_spec_sysctl_allowed(const char *key, const struct berth_spec *spec);

#define cleanup_spec __attribute__((cleanup(berth_spec_freep)))
static inline void berth_spec_freep(struct berth_spec **s)
{
	berth_spec_free(*s);
	*s = NULL;
}

#endif
