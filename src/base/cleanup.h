/* cleanup.h: scope-bound release of locals, after crun's and lxc's helpers.
 * Every cleanup function accepts NULL / -1 / already-released values and keeps errno. */
#ifndef BERTH_BASE_CLEANUP_H
#define BERTH_BASE_CLEANUP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <dirent.h>

static inline void berth_freep(void *p)
{
	int saved = errno;
	free(*(void **)p);
	errno = saved;
}

static inline void berth_closep(int *fd)
{
	int saved = errno;
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	errno = saved;
}

static inline void berth_fclosep(FILE **f)
{
	int saved = errno;
	if (*f)
		fclose(*f);
	*f = NULL;
	errno = saved;
}

static inline void berth_closedirp(DIR **d)
{
	int saved = errno;
	if (*d)
		closedir(*d);
	*d = NULL;
	errno = saved;
}

#define cleanup_free  __attribute__((cleanup(berth_freep)))
#define cleanup_close __attribute__((cleanup(berth_closep)))
#define cleanup_file  __attribute__((cleanup(berth_fclosep)))
#define cleanup_dir   __attribute__((cleanup(berth_closedirp)))

/* Hand a pointer over: returns it and leaves NULL behind (bubblewrap). */
static inline void *berth_steal_pointer(void *pp)
{
	void **p = (void **)pp;
	void *ret = *p;
	*p = NULL;
	return ret;
}
#define steal_pointer(pp) ((__typeof__(*(pp)))berth_steal_pointer(pp))

static inline int steal_fd(int *fd)
{
	int ret = *fd;
	*fd = -1;
	return ret;
}

#define BERTH_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
