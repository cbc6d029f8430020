/* seccomp.h: seccomp filters from OCI `linux.seccomp` (libseccomp), and
 * docker's default profile. */
#ifndef BERTH_RUNTIME_LINUX_SECCOMP_H
#define BERTH_RUNTIME_LINUX_SECCOMP_H

#include <jansson.h>

#include "base/error.h"

/* docker's default seccomp profile (moby profiles/seccomp/default.json
 * semantics: allowlist, SCMP_ACT_ERRNO(EPERM) default, per-arch, syscalls
 * gated on capabilities) rendered as an OCI `linux.seccomp` object for a
 * container whose effective capabilities are CAPS (array of "CAP_X"). */
json_t *berth_seccomp_default_profile(const json_t *caps);

/* Loads an OCI `linux.seccomp` object into the kernel for the calling
 * process (after no_new_privileges, right before execve). Unknown syscall
 * names are skipped (the kernel may be older), unknown actions/operators are
 * EINVAL. */
int berth_seccomp_apply(const json_t *seccomp, berth_error_t *err);

#endif
