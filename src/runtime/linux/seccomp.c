/* seccomp.c: OCI `linux.seccomp` objects turned into libseccomp filters.
 *
 * The semantics follow runc, which is what docker runs: syscall names the
 * running libseccomp does not know are skipped (a profile may be newer
 * than the host), rules whose action equals the default are dropped
 * (libseccomp refuses them), MASKED_EQ takes `value` as the mask and
 * `valueTwo` as the datum, and a rule comparing one argument twice is
 * split into one rule per comparison (libseccomp cannot AND them). */
#include "config.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/fs.h"
#include "base/xalloc.h"
#include "runtime/linux/seccomp.h"

/* Input limits (STYLE rule 11): docker's profile has ~35 rules, the
 * largest with ~360 names. */
#define SECCOMP_MAX_RULES     4096
#define SECCOMP_MAX_NAMES     4096
#define SECCOMP_MAX_ARGS      6
#define SECCOMP_MAX_NAME_LEN  64
#define SECCOMP_MAX_ARCHES    32
#define SECCOMP_DEFAULT_ERRNO 1 /* EPERM, runc's default for ERRNO and TRACE */

static void ctx_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
	*ctx = NULL;
}
#define cleanup_seccomp __attribute__((cleanup(ctx_releasep)))

enum action_data {
	DATA_NONE,
	DATA_ERRNO, /* the action carries errnoRet (ERRNO, TRACE) */
};

static const struct {
	const char *name;
	uint32_t action;
	enum action_data data;
} actions[] = {
	{ "SCMP_ACT_KILL", SCMP_ACT_KILL, DATA_NONE },
	{ "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, DATA_NONE },
	{ "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, DATA_NONE },
	{ "SCMP_ACT_TRAP", SCMP_ACT_TRAP, DATA_NONE },
	{ "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), DATA_ERRNO },
	{ "SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), DATA_ERRNO },
	{ "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, DATA_NONE },
	{ "SCMP_ACT_LOG", SCMP_ACT_LOG, DATA_NONE },
};

static const struct {
	const char *name;
	enum scmp_compare op;
} operators[] = {
	{ "SCMP_CMP_NE", SCMP_CMP_NE },
	{ "SCMP_CMP_LT", SCMP_CMP_LT },
	{ "SCMP_CMP_LE", SCMP_CMP_LE },
	{ "SCMP_CMP_EQ", SCMP_CMP_EQ },
	{ "SCMP_CMP_GE", SCMP_CMP_GE },
	{ "SCMP_CMP_GT", SCMP_CMP_GT },
	{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

/* The OCI enum; 0 marks names this libseccomp cannot filter for. */
static const struct {
	const char *name;
	uint32_t arch;
} arches[] = {
	{ "SCMP_ARCH_X86", SCMP_ARCH_X86 },
	{ "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64 },
	{ "SCMP_ARCH_X32", SCMP_ARCH_X32 },
	{ "SCMP_ARCH_ARM", SCMP_ARCH_ARM },
	{ "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64 },
#ifdef SCMP_ARCH_LOONGARCH64
	{ "SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64 },
#else
	{ "SCMP_ARCH_LOONGARCH64", 0 },
#endif
#ifdef SCMP_ARCH_M68K
	{ "SCMP_ARCH_M68K", SCMP_ARCH_M68K },
#else
	{ "SCMP_ARCH_M68K", 0 },
#endif
	{ "SCMP_ARCH_MIPS", SCMP_ARCH_MIPS },
	{ "SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64 },
	{ "SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32 },
	{ "SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL },
	{ "SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64 },
	{ "SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32 },
	{ "SCMP_ARCH_PPC", SCMP_ARCH_PPC },
	{ "SCMP_ARCH_PPC64", SCMP_ARCH_PPC64 },
	{ "SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE },
	{ "SCMP_ARCH_S390", SCMP_ARCH_S390 },
	{ "SCMP_ARCH_S390X", SCMP_ARCH_S390X },
#ifdef SCMP_ARCH_SH
	{ "SCMP_ARCH_SH", SCMP_ARCH_SH },
	{ "SCMP_ARCH_SHEB", SCMP_ARCH_SHEB },
#else
	{ "SCMP_ARCH_SH", 0 },
	{ "SCMP_ARCH_SHEB", 0 },
#endif
	{ "SCMP_ARCH_PARISC", SCMP_ARCH_PARISC },
	{ "SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64 },
	{ "SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64 },
};

/* OCI flags as filter attributes; 0 marks flags this libseccomp lacks. */
static const struct {
	const char *name;
	int attr;
} flags[] = {
	{ "SECCOMP_FILTER_FLAG_TSYNC", SCMP_FLTATR_CTL_TSYNC },
	{ "SECCOMP_FILTER_FLAG_LOG", SCMP_FLTATR_CTL_LOG },
	{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SCMP_FLTATR_CTL_SSB },
	{ "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 0 },
};

/* Reads the optional unsigned integer KEY of O into *OUT (kept when
 * absent or null); values above MAX are EINVAL. */
static int get_uint(const json_t *o, const char *key, uint64_t max, uint64_t *out,
		    berth_error_t *err)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return berth_make_error(err, EINVAL, "seccomp: `%s` is not an integer in 0..%llu",
					key, (unsigned long long)max);
	*out = (uint64_t)json_integer_value(v);
	return 1;
}

/* Action NAME with its errnoRet (from O, or DEFAULT_ERRNO_RET) as a
 * libseccomp action. */
static int parse_action(const json_t *o, const char *key, const char *errno_key,
			uint64_t default_errno, uint32_t *out, berth_error_t *err)
{
	const char *name = json_string_value(json_object_get(o, key));
	uint64_t e = default_errno;
	size_t i;
	int ret;

	if (name == NULL)
		return berth_make_error(err, EINVAL, "seccomp: `%s` is missing", key);
	ret = get_uint(o, errno_key, 0xffff, &e, err);
	if (ret < 0)
		return ret;
	for (i = 0; i < BERTH_ARRAY_SIZE(actions); i++) {
		if (strcmp(actions[i].name, name) != 0)
			continue;
		*out = actions[i].action | (actions[i].data == DATA_ERRNO ? (uint32_t)e : 0);
		return 0;
	}
	if (strcmp(name, "SCMP_ACT_NOTIFY") == 0)
		return berth_make_error(err, EINVAL,
					"seccomp: `SCMP_ACT_NOTIFY` needs a seccomp agent, which "
					"berth does not support");
	return berth_make_error(err, EINVAL, "seccomp: unknown action `%.64s`", name);
}

static int add_arches(scmp_filter_ctx ctx, const json_t *list, berth_error_t *err)
{
	const json_t *v;
	size_t i, j;

	if (list == NULL || json_is_null(list))
		return 0;
	if (!json_is_array(list) || json_array_size(list) > SECCOMP_MAX_ARCHES)
		return berth_make_error(err, EINVAL, "seccomp: bad `architectures`");
	json_array_foreach (list, i, v) {
		const char *name = json_string_value(v);

		for (j = 0; name && j < BERTH_ARRAY_SIZE(arches); j++)
			if (strcmp(arches[j].name, name) == 0)
				break;
		if (name == NULL || j == BERTH_ARRAY_SIZE(arches))
			return berth_make_error(err, EINVAL,
						"seccomp: unknown architecture `%.64s`",
						name ? name : "?");
		/* an arch this libseccomp cannot do is skipped, like runc; the
		 * native one is already there (EEXIST) */
		if (arches[j].arch != 0)
			(void)seccomp_arch_add(ctx, arches[j].arch);
	}
	return 0;
}

static int set_flags(scmp_filter_ctx ctx, const json_t *list, berth_error_t *err)
{
	const json_t *v;
	size_t i, j;

	if (list == NULL || json_is_null(list))
		return 0;
	if (!json_is_array(list) || json_array_size(list) > BERTH_ARRAY_SIZE(flags))
		return berth_make_error(err, EINVAL, "seccomp: bad `flags`");
	json_array_foreach (list, i, v) {
		const char *name = json_string_value(v);
		int ret;

		for (j = 0; name && j < BERTH_ARRAY_SIZE(flags); j++)
			if (strcmp(flags[j].name, name) == 0)
				break;
		if (name == NULL || j == BERTH_ARRAY_SIZE(flags))
			return berth_make_error(err, EINVAL, "seccomp: unknown flag `%.64s`",
						name ? name : "?");
		if (flags[j].attr == 0)
			return berth_make_error(err, EINVAL, "seccomp: flag `%s` is not supported",
						name);
		ret = seccomp_attr_set(ctx, flags[j].attr, 1);
		if (ret < 0)
			return berth_make_error(err, -ret, "seccomp: flag `%s`: %s", name,
						strerror(-ret));
	}
	return 0;
}

/* The `args` of RULE as libseccomp comparisons; *N gets their number and
 * *SAME_INDEX whether one argument is compared twice. */
static int parse_args(const json_t *rule, struct scmp_arg_cmp *cmp, unsigned *n, bool *same_index,
		      berth_error_t *err)
{
	const json_t *args = json_object_get(rule, "args"), *a;
	unsigned seen = 0;
	size_t i, j;

	*n = 0;
	*same_index = false;
	if (args == NULL || json_is_null(args))
		return 0;
	if (!json_is_array(args) || json_array_size(args) > SECCOMP_MAX_ARGS)
		return berth_make_error(err, EINVAL,
					"seccomp: `args` must be an array of at most %d",
					SECCOMP_MAX_ARGS);
	json_array_foreach (args, i, a) {
		const char *op = json_string_value(json_object_get(a, "op"));
		const json_t *idx = json_object_get(a, "index"), *val = json_object_get(a, "value");
		const json_t *two = json_object_get(a, "valueTwo");

		if (!json_is_integer(idx) || json_integer_value(idx) < 0 ||
		    json_integer_value(idx) >= SECCOMP_MAX_ARGS || !json_is_integer(val) ||
		    (two && !json_is_null(two) && !json_is_integer(two)) || op == NULL)
			return berth_make_error(err, EINVAL, "seccomp: bad argument %zu", i);
		for (j = 0; j < BERTH_ARRAY_SIZE(operators); j++)
			if (strcmp(operators[j].name, op) == 0)
				break;
		if (j == BERTH_ARRAY_SIZE(operators))
			return berth_make_error(err, EINVAL, "seccomp: unknown operator `%.64s`",
						op);
		cmp[i].arg = (unsigned)json_integer_value(idx);
		cmp[i].op = operators[j].op;
		/* uint64 in OCI; JSON above INT64_MAX arrives negative */
		cmp[i].datum_a = (scmp_datum_t)json_integer_value(val);
		cmp[i].datum_b = json_is_integer(two) ? (scmp_datum_t)json_integer_value(two) : 0;
		if (seen & (1u << cmp[i].arg))
			*same_index = true;
		seen |= 1u << cmp[i].arg;
	}
	*n = (unsigned)json_array_size(args);
	return 0;
}

/* Adds the rule for syscall NR; CMP as one AND-ed rule, or one rule per
 * comparison when SPLIT. */
static int add_rule(scmp_filter_ctx ctx, uint32_t action, int nr, const char *name,
		    const struct scmp_arg_cmp *cmp, unsigned n, bool split, berth_error_t *err)
{
	unsigned i;
	int ret;

	if (!split)
		ret = seccomp_rule_add_array(ctx, action, nr, n, cmp);
	else
		for (i = 0, ret = 0; i < n && ret >= 0; i++)
			ret = seccomp_rule_add_array(ctx, action, nr, 1, &cmp[i]);
	if (ret < 0)
		return berth_make_error(err, -ret, "seccomp: add a rule for `%s`: %s", name,
					strerror(-ret));
	return 1;
}

/* One entry of `syscalls`; *BUDGET counts the names left. Returns the
 * number of rules added. */
static int add_syscall_entry(scmp_filter_ctx ctx, const json_t *rule, uint32_t default_action,
			     size_t *budget, berth_error_t *err)
{
	const json_t *names = json_object_get(rule, "names"), *v;
	struct scmp_arg_cmp cmp[SECCOMP_MAX_ARGS];
	unsigned n_cmp;
	bool split;
	uint32_t action;
	size_t i;
	int ret, added = 0;

	if (!json_is_object(rule))
		return berth_make_error(err, EINVAL, "seccomp: a syscall rule is not an object");
	ret = parse_action(rule, "action", "errnoRet", SECCOMP_DEFAULT_ERRNO, &action, err);
	if (ret < 0)
		return ret;
	ret = parse_args(rule, cmp, &n_cmp, &split, err);
	if (ret < 0)
		return ret;
	if (!json_is_array(names) || json_array_size(names) > *budget)
		return berth_make_error(err, EINVAL,
					"seccomp: `names` must be an array of at most "
					"%d names in all",
					SECCOMP_MAX_NAMES);
	*budget -= json_array_size(names);
	json_array_foreach (names, i, v) {
		const char *name = json_string_value(v);
		int nr;

		if (name == NULL || strlen(name) > SECCOMP_MAX_NAME_LEN)
			return berth_make_error(err, EINVAL, "seccomp: bad syscall name");
		nr = seccomp_syscall_resolve_name(name);
		/* unknown here: a newer profile on an older libseccomp */
		if (nr == __NR_SCMP_ERROR || action == default_action)
			continue;
		ret = add_rule(ctx, action, nr, name, cmp, n_cmp, split, err);
		if (ret < 0)
			return ret;
		added++;
	}
	return added;
}

static int add_syscalls(scmp_filter_ctx ctx, const json_t *list, uint32_t default_action,
			berth_error_t *err)
{
	size_t i, budget = SECCOMP_MAX_NAMES;
	const json_t *rule;
	int ret, added = 0;

	if (list == NULL || json_is_null(list))
		return 0;
	if (!json_is_array(list) || json_array_size(list) > SECCOMP_MAX_RULES)
		return berth_make_error(err, EINVAL,
					"seccomp: `syscalls` must be an array of at most %d rules",
					SECCOMP_MAX_RULES);
	json_array_foreach (list, i, rule) {
		ret = add_syscall_entry(ctx, rule, default_action, &budget, err);
		if (ret < 0)
			return ret;
		added += ret;
	}
	return added;
}

/* Builds the filter for SECCOMP into *OUT. Returns the number of rules. */
static int build(const json_t *seccomp, scmp_filter_ctx *out, berth_error_t *err)
{
	cleanup_seccomp scmp_filter_ctx ctx = NULL;
	uint32_t default_action;
	int ret, rules;

	if (!json_is_object(seccomp))
		return berth_make_error(err, EINVAL, "seccomp: not an object");
	ret = parse_action(seccomp, "defaultAction", "defaultErrnoRet", SECCOMP_DEFAULT_ERRNO,
			   &default_action, err);
	if (ret < 0)
		return ret;
	ctx = seccomp_init(default_action);
	if (ctx == NULL)
		return berth_make_error(err, EINVAL, "seccomp: seccomp_init failed");
	/* no_new_privileges is the caller's decision (docker does not set it
	 * by default), so libseccomp must not force it on load */
	ret = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (ret < 0)
		return berth_make_error(err, -ret, "seccomp: clear nnp: %s", strerror(-ret));
	/* a binary tree over ~400 syscalls instead of a linear list; only an
	 * optimisation, so an older libseccomp may refuse it */
	(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	ret = add_arches(ctx, json_object_get(seccomp, "architectures"), err);
	if (ret >= 0)
		ret = set_flags(ctx, json_object_get(seccomp, "flags"), err);
	if (ret < 0)
		return ret;
	rules = add_syscalls(ctx, json_object_get(seccomp, "syscalls"), default_action, err);
	if (rules < 0)
		return rules;
	*out = steal_pointer(&ctx);
	return rules;
}

json_t *berth_seccomp_features(void)
{
	json_t *acts = json_array(), *ops = json_array(), *archs = json_array();
	json_t *known = json_array(), *supported = json_array();
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(actions); i++)
		json_array_append_new(acts, json_string(actions[i].name));
	for (i = 0; i < BERTH_ARRAY_SIZE(operators); i++)
		json_array_append_new(ops, json_string(operators[i].name));
	for (i = 0; i < BERTH_ARRAY_SIZE(arches); i++)
		if (arches[i].arch != 0)
			json_array_append_new(archs, json_string(arches[i].name));
	for (i = 0; i < BERTH_ARRAY_SIZE(flags); i++) {
		json_array_append_new(known, json_string(flags[i].name));
		if (flags[i].attr != 0)
			json_array_append_new(supported, json_string(flags[i].name));
	}
	return json_pack("{s:b,s:o,s:o,s:o,s:o,s:o}", "enabled", 1, "actions", acts, "operators",
			 ops, "archs", archs, "knownFlags", known, "supportedFlags", supported);
}

int berth_seccomp_check(const json_t *seccomp, berth_error_t *err)
{
	cleanup_seccomp scmp_filter_ctx ctx = NULL;

	return build(seccomp, &ctx, err);
}

int berth_seccomp_apply(const json_t *seccomp, berth_error_t *err)
{
	cleanup_seccomp scmp_filter_ctx ctx = NULL;
	int ret;

	if (seccomp == NULL || json_is_null(seccomp))
		return 0;
	ret = build(seccomp, &ctx, err);
	if (ret < 0)
		return ret;
	ret = seccomp_load(ctx);
	if (ret < 0)
		return berth_make_error(err, -ret, "seccomp: load the filter: %s", strerror(-ret));
	return 0;
}

/* --- compiled programs ------------------------------------------------------------------ */

#define SECCOMP_MAX_BPF_INSNS 65536 /* the kernel's BPF_MAXINSNS is 4096; room for more */

void berth_seccomp_bpf_release(struct berth_seccomp_bpf *bpf)
{
	free(bpf->insns);
	bpf->insns = NULL;
	bpf->len = 0;
}

char *berth_seccomp_version(void)
{
	const struct scmp_version *v = seccomp_version();

	return xasprintf("libseccomp %u.%u.%u arch %d", v ? v->major : 0, v ? v->minor : 0,
			 v ? v->micro : 0, (int)seccomp_arch_native());
}

bool berth_seccomp_read_bpf(const char *path, struct berth_seccomp_bpf *out)
{
	cleanup_free char *data = NULL;
	ssize_t n = berth_fs_read_file(path, SECCOMP_MAX_BPF_INSNS * sizeof(struct sock_filter),
				       &data, NULL);

	if (n <= 0 || n % (ssize_t)sizeof(struct sock_filter) != 0)
		return false;
	out->insns = steal_pointer(&data);
	out->len = (size_t)n / sizeof(struct sock_filter);
	return true;
}

/* libseccomp 2.5 exports to an fd only: a memfd, read back. */
static int export_bpf(scmp_filter_ctx ctx, struct berth_seccomp_bpf *out, berth_error_t *err)
{
	cleanup_close int fd = memfd_create("berth-seccomp", MFD_CLOEXEC);
	struct stat st;
	ssize_t n;
	int ret;

	if (fd < 0)
		return berth_make_error(err, errno, "seccomp: memfd: %s", strerror(errno));
	ret = seccomp_export_bpf(ctx, fd);
	if (ret < 0)
		return berth_make_error(err, -ret, "seccomp: export the filter: %s", strerror(-ret));
	if (fstat(fd, &st) < 0 || st.st_size <= 0 ||
	    st.st_size % (off_t)sizeof(struct sock_filter) != 0 ||
	    st.st_size > (off_t)(SECCOMP_MAX_BPF_INSNS * sizeof(struct sock_filter)))
		return berth_make_error(err, EINVAL, "seccomp: the exported filter is malformed");
	out->insns = xmalloc((size_t)st.st_size);
	n = pread(fd, out->insns, (size_t)st.st_size, 0);
	if (n != st.st_size) {
		berth_seccomp_bpf_release(out);
		return berth_make_error(err, EIO, "seccomp: read the exported filter");
	}
	out->len = (size_t)st.st_size / sizeof(struct sock_filter);
	return 0;
}

static bool precompilable(const json_t *seccomp)
{
	return seccomp && !json_is_null(seccomp) &&
	       json_array_size(json_object_get(seccomp, "flags")) == 0 &&
	       !json_object_get(seccomp, "listenerPath");
}

bool berth_seccomp_precompilable(const json_t *seccomp)
{
	return precompilable(seccomp);
}

int berth_seccomp_compile(const json_t *seccomp, struct berth_seccomp_bpf *out,
			  berth_error_t *err)
{
	cleanup_seccomp scmp_filter_ctx ctx = NULL;
	int ret;

	out->insns = NULL;
	out->len = 0;
	if (!precompilable(seccomp))
		return 0;
	ret = build(seccomp, &ctx, err);
	if (ret < 0)
		return ret;
	if (export_bpf(ctx, out, err) < 0)
		return -1;
	return 1;
}

int berth_seccomp_load_bpf(const struct berth_seccomp_bpf *bpf, berth_error_t *err)
{
	struct sock_fprog prog = { .len = (unsigned short)bpf->len,
				   .filter = (struct sock_filter *)bpf->insns };

	if (bpf->len == 0 || bpf->len > 0xffff)
		return berth_make_error(err, EINVAL, "seccomp: bad compiled filter");
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return berth_make_error(err, errno, "seccomp: load the filter: %s", strerror(errno));
	return 0;
}
