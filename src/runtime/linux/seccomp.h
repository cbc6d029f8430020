/* seccomp.h: seccomp filters from OCI `linux.seccomp` (libseccomp), and
 * docker's default profile. */
#ifndef BERTH_RUNTIME_LINUX_SECCOMP_H
#define BERTH_RUNTIME_LINUX_SECCOMP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

/* docker's default seccomp profile (moby profiles/seccomp/default.json
 * semantics: allowlist, SCMP_ACT_ERRNO(EPERM) default, per-arch, syscalls
 * gated on capabilities) rendered as an OCI `linux.seccomp` object for a
 * container whose effective capabilities are CAPS (array of "CAP_X"). */
json_t *berth_seccomp_default_profile(const json_t *caps);

/* Loads an OCI `linux.seccomp` object into the kernel for the calling
 * process (after no_new_privileges, right before execve). Unknown syscall
 * names are skipped (the kernel may be older), unknown actions/operators are
 * EINVAL. NULL (seccomp=unconfined) loads nothing. The filter does not set
 * no_new_privileges itself: without it the kernel wants CAP_SYS_ADMIN, so
 * then call this before the capabilities are lowered, as runc does (every
 * syscall the runtime makes afterwards must pass the filter; docker's
 * profile allows capset, prctl, setresuid and execve). */
int berth_seccomp_apply(const json_t *seccomp, berth_error_t *err);

/* Builds the filter of SECCOMP as berth_seccomp_apply would, without
 * loading it: validation at create time, and the fuzz harness. Returns the
 * number of rules added (>= 0). */
int berth_seccomp_check(const json_t *seccomp, berth_error_t *err);

/* A filter compiled ahead of the fork: the BPF program libseccomp would
 * load, so the container's init only makes one seccomp(2) call. */
struct berth_seccomp_bpf {
	void *insns; /* owned: struct sock_filter[len] */
	size_t len;
};

/* Compiles SECCOMP into *OUT. Returns 1 with *OUT set, 0 when the
 * profile asks for what only libseccomp's own load can do (filter flags:
 * the caller then uses berth_seccomp_apply), < 0 on a bad profile. The
 * daemon keeps the programs in files (engine/crun.c) that the runtime
 * reads (berth_runtime_opts.seccomp_bpf). */
int berth_seccomp_compile(const json_t *seccomp, struct berth_seccomp_bpf *out,
			  berth_error_t *err);
/* Whether berth_seccomp_compile can compile SECCOMP. */
bool berth_seccomp_precompilable(const json_t *seccomp);
/* What a compiled program depends on besides the profile: a new string
 * naming the libseccomp version and the native arch (part of a cache key). */
char *berth_seccomp_version(void);
/* Reads a compiled program from PATH; false when it is missing or not a
 * whole number of instructions. */
bool berth_seccomp_read_bpf(const char *path, struct berth_seccomp_bpf *out);
/* Loads a compiled filter for the calling process (see berth_seccomp_apply
 * about no_new_privileges). */
int berth_seccomp_load_bpf(const struct berth_seccomp_bpf *bpf, berth_error_t *err);
void berth_seccomp_bpf_release(struct berth_seccomp_bpf *bpf);

/* What berth_seccomp_apply understands, in the shape of the OCI
 * features document's `linux.seccomp` ("enabled", "actions", "operators",
 * "archs", "knownFlags", "supportedFlags"): a new object. */
json_t *berth_seccomp_features(void);

#endif
