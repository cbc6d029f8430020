/* dmz.c: berth-dmz, the last exec between the runtime and the container's
 * program. Built freestanding (no libc, ~1 KB), embedded in the runtime
 * library and exec'd from a sealed memfd (exec.c).
 *
 * Why (CVE-2019-5736): the container's init is a fork of the runtime, so
 * until it execs, its /proc/PID/exe is the runtime binary on the host. Two
 * doors lead from there to overwriting that binary:
 *  1. a process in the container's pid namespace opens /proc/PID/exe of
 *     the init (or of an exec'd process, for `exec`) while it is the host
 *     binary, keeps the fd and writes through it once the runtime exits;
 *  2. the container's program is a script whose interpreter is
 *     /proc/self/exe (or an ELF whose PT_INTERP is): the kernel resolves
 *     that while the old mm is still in place, i.e. to the host binary, and
 *     runs it as a container process, which is door 1 wide open.
 * Door 1 is shut by making the init non-dumpable from its fork (set in the
 * parent before forking): /proc/PID/exe then needs CAP_SYS_PTRACE in the
 * host user namespace, which containers do not get by default; and a new
 * pid namespace holds nobody else until the program runs. Door 2 cannot
 * be shut from inside the process (PR_SET_MM_EXE_FILE needs
 * CAP_SYS_RESOURCE, which berth's hosts may not have), so the init never
 * execs the program itself: it execs this trampoline from a sealed memfd,
 * and only the trampoline execs the program. Whatever /proc/self/exe is
 * resolved to from then on is the sealed memfd, never a host file. One
 * exec of a 1 KB static binary costs ~0.1 ms; re-exec'ing the whole runtime
 * from a memfd copy (runc 1.1, crun) costs a copy and a dynamic link.
 *
 * Protocol: argv[0] = decimal fd of the sync socket, argv[1] = path of the
 * program, argv[2..] = its argv; envp passed through. The socket is made
 * close-on-exec, so success closes it; on failure the errno goes to it as
 * a SYNC_EXEC_FAILED message (struct berth_rt_sync_hdr), or to stderr if
 * nobody listens, and the exit status is 127 (ENOENT) or 126. Anything not
 * matching that shape (e.g. a script re-entering through /proc/self/exe)
 * exits 126 at once. */
#include "config.h"

#define DMZ_F_SETFD	     2
#define DMZ_FD_CLOEXEC	     1
#define DMZ_MSG_NOSIGNAL     0x4000
#define DMZ_ENOENT	     2
#define DMZ_SYNC_EXEC_FAILED 9 /* enum berth_rt_sync_type */

#if defined(__x86_64__)
#define NR_write  1
#define NR_sendto 44
#define NR_execve 59
#define NR_exit	  60
#define NR_fcntl  72
__asm__(".text\n"
	".global _start\n"
	"_start:\n"
	"	xor %rbp, %rbp\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call dmz_main\n"
	"	hlt\n");

static long dmz_syscall(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#elif defined(__aarch64__)
#define NR_fcntl  25
#define NR_write  64
#define NR_exit	  93
#define NR_sendto 206
#define NR_execve 221
__asm__(".text\n"
	".global _start\n"
	"_start:\n"
	"	mov x29, #0\n"
	"	mov x30, #0\n"
	"	mov x0, sp\n"
	"	bl dmz_main\n"
	"	brk #0\n");

static long dmz_syscall(long n, long a, long b, long c, long d, long e, long f)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;

	__asm__ volatile("svc 0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}
#else
#error "berth-dmz: no syscall glue for this architecture"
#endif

void dmz_main(long *sp) __attribute__((noreturn, used));

static __attribute__((noreturn)) void dmz_exit(int code)
{
	for (;;)
		dmz_syscall(NR_exit, code, 0, 0, 0, 0, 0);
}

static unsigned long dmz_strlen(const char *s)
{
	unsigned long n = 0;

	while (s[n])
		n++;
	return n;
}

static void dmz_puts(const char *s)
{
	dmz_syscall(NR_write, 2, (long)s, (long)dmz_strlen(s), 0, 0, 0);
}

/* "berth-dmz: exec PATH failed: errno N" on stderr */
static void dmz_report(const char *path, int e)
{
	char num[12];
	int i = (int)sizeof(num) - 1;

	num[i] = '\0';
	do {
		num[--i] = (char)('0' + e % 10);
		e /= 10;
	} while (e && i > 0);
	dmz_puts("berth-dmz: exec ");
	dmz_puts(path);
	dmz_puts(" failed: errno ");
	dmz_puts(num + i);
	dmz_puts("\n");
}

void dmz_main(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;
	long fd = 0, ret;
	int msg[2];
	const char *p;

	if (argc < 3 || argv[0][0] == '\0')
		dmz_exit(126);
	for (p = argv[0]; *p; p++) {
		if (*p < '0' || *p > '9' || fd > (1 << 20))
			dmz_exit(126);
		fd = fd * 10 + (*p - '0');
	}
	dmz_syscall(NR_fcntl, fd, DMZ_F_SETFD, DMZ_FD_CLOEXEC, 0, 0, 0);
	ret = dmz_syscall(NR_execve, (long)argv[1], (long)(argv + 2), (long)envp, 0, 0, 0);
	msg[0] = DMZ_SYNC_EXEC_FAILED;
	msg[1] = (int)-ret;
	if (dmz_syscall(NR_sendto, fd, (long)msg, sizeof(msg), DMZ_MSG_NOSIGNAL, 0, 0) < 0)
		dmz_report(argv[1], (int)-ret);
	dmz_exit(-ret == DMZ_ENOENT ? 127 : 126);
}
