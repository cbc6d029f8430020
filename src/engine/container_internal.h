/* container_internal.h: the container record the files of engine/ share
 * (containers.c: model, store, inspect, list, remove; crun.c: monitors,
 * start, exits, stop, restart policies; cio.c: attach and logs). */
#ifndef BERTH_ENGINE_CONTAINER_INTERNAL_H
#define BERTH_ENGINE_CONTAINER_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/containers.h"
#include "engine/engine_internal.h"

enum cstatus {
	CS_CREATED,
	CS_RUNNING,
	CS_PAUSED,
	CS_RESTARTING,
	CS_REMOVING,
	CS_EXITED,
	CS_DEAD
};

struct cwaiter;
struct cstop;
struct cattach;

struct container {
	struct container *next;
	char id[65];
	char *name;	       /* owned, with the leading '/' */
	int64_t created_ns;
	char *image_id;	       /* owned: sha256:... */
	char *image_name;      /* owned: as the request named it */
	json_t *request;       /* owned: the create body (Config fields + HostConfig) */
	json_t *image_config;  /* owned: the image config's "config" object, or null */
	json_t *layers;	       /* owned: the image's chain IDs, bottom first */
	json_t *mounts;	       /* owned: its mount records (engine/mounts.h), resolved at create */
	char *dir;	       /* owned: <data-root>/containers/<id> */
	/* owned: <exec-root>/containers/<id>, what lives while the host is up:
	 * the bundle (config.json, FIFOs), the hosts files, monitor.json,
	 * exit.json and exec/ (on tmpfs: see daemon/main.c) */
	char *rtdir;

	/* state (persisted) */
	enum cstatus status;
	bool oom_killed, has_been_started, manual_stop;
	pid_t pid, monitor_pid;
	uint64_t start_time;
	int exit_code;
	int64_t started_ns, finished_ns;
	char *error; /* owned, may be NULL */
	int restart_count;

	/* runtime (not persisted) */
	int monitor_pidfd;
	/* while it runs on bridge networks (networks.c, persisted as "Net"):
	 * {"Networks": {name: endpoint}, "Ports": NetworkSettings.Ports with
	 * what the rules need}; the bound sockets that hold its host ports */
	json_t *net;
	json_t *prep_net; /* the links made by a prepared start, until its go */
	int *port_fds;
	size_t n_port_fds;
	struct berth_proxy **proxies; /* IPv6 relays of its ports (net/proxy.h) */
	size_t n_proxies;
	/* the running container's mount namespace, held so that its teardown
	 * (an RCU grace period) runs on the cleanup thread instead of before
	 * the kernel reports the exit; -1 when not held */
	int mntns_fd;
	struct berth_loop_handler *monitor_watch;
	uint64_t monitor_poll_timer; /* without pidfds */
	uint64_t restart_timer;
	uint64_t stop_timer; /* SIGKILL when a stop's timeout runs out */
	char *seccomp_bpf;   /* owned: the compiled filter of its spec, or NULL */
	int64_t restart_delay_ms;
	/* prepared at create (crun_prepare_later): a monitor that created the
	 * container waits for the go on prep_start_fd */
	bool prepared;
	int prep_ready_fd, prep_start_fd;
	uint64_t prep_timer; /* prepare, or its expiry */
	bool mounted;
	bool cleaning;		  /* cleanup_thread runs (crun_cleanup_async) */
	pthread_t cleanup_thread; /* joined by crun_cleanup_wait */
	int fs_users;		/* archive jobs using the rootfs (carchive.c): no unmount */
	bool removing;		/* rm after exit (AutoRemove) */
	bool remove_volumes;	/* its removal takes its anonymous volumes (rm -v) */
	struct cwaiter *waiters;
	struct cstop *stops;
	struct cattach *attaches;
};

/* containers.c */
struct container *cont_find(struct berth_engine *e, const char *name, berth_error_t *err);
int cont_save(struct berth_engine *e, struct container *c, berth_error_t *err);
const char *cont_status_name(enum cstatus s);
const json_t *cont_hc(const struct container *c);
/* publishes a container event with docker's attributes (name, image,
 * labels) plus EXTRA (stolen, may be NULL) */
void cont_event(struct berth_engine *e, struct container *c, const char *action, json_t *extra);
/* removes the container's files, row and record (it must not run) */
int cont_destroy(struct berth_engine *e, struct container *c, berth_error_t *err);
char *cont_path(const struct container *c, const char *file);
/* A random 64-hex ID that does not look like a number (docker's rule). */
void cont_random_id(char out[65]);

/* networks.c, for the container lifecycle */
/* create: checks the request's networks (404 for a missing one) and puts
 * the NetworkMode's network in NetworkingConfig.EndpointsConfig */
int net_check_request(struct berth_engine *e, json_t *req, berth_error_t *err);
/* start (before the go): veths, addresses, ports, rules; all or nothing.
 * A prepared start makes the links ahead (net_prepare, after the spec,
 * which took the namespace) and the start adds the ports and rules;
 * net_unprepare forgets them (the caller releases the namespace, which
 * takes the links with it). */
int net_attach(struct berth_engine *e, struct container *c, berth_error_t *err);
int net_prepare(struct berth_engine *e, struct container *c, berth_error_t *err);
/* --network container:X: *OTHER is X (running, else EINVAL as docker
 * words it); NULL for every other mode. */
int net_shared_with(struct berth_engine *e, const struct container *c, struct container **other,
		    berth_error_t *err);
void net_unprepare(struct container *c);
/* exit: ports released, rules without C */
void net_detach(struct berth_engine *e, struct container *c);
/* Closes the sockets and relays that hold C's host ports (net_detach, and
 * the daemon's shutdown, when containers run on). */
void net_release_ports(struct container *c);
/* a running container adopted after a restart takes its ports again;
 * then net_rules_init once every container is loaded */
void net_adopt(struct berth_engine *e, struct container *c);
void net_rules_init(struct berth_engine *e);
/* Whether C is on a user-defined network, so that its resolv.conf names
 * the embedded DNS (127.0.0.11). */
bool net_uses_resolver(struct berth_engine *e, const struct container *c);
/* After a rename from OLD (with its '/'): C's DNS names follow. */
void net_renamed(struct container *c, const char *old);
struct berth_strbuf;
/* /etc/hosts lines of C's --link targets on the default bridge ("ip alias
 * id12 name"), as docker writes them; on user-defined networks links are
 * names of the embedded DNS instead. */
void net_link_hosts(struct berth_engine *e, const struct container *c, struct berth_strbuf *b);
/* docker's legacy environment of C's --link targets on the default bridge
 * (ALIAS_PORT, ALIAS_PORT_<port>_<PROTO>[_ADDR|_PORT|_PROTO], ALIAS_NAME,
 * ALIAS_ENV_<var>), appended to ENV. */
void net_link_env(struct berth_engine *e, const struct container *c, json_t *env);
/* The address host.docker.internal and host-gateway stand for in C: the
 * gateway of its first bridge network with a way out, else the default
 * bridge's (host order); 0 when there is none. */
uint32_t net_host_gateway(struct berth_engine *e, const struct container *c);
json_t *net_networks_view(struct berth_engine *e, const struct container *c);
json_t *net_ports_view(const struct container *c);
json_t *net_ports_summary(const struct container *c);
/* C's first live endpoint, or NULL */
const json_t *net_primary(const struct container *c);
char *cont_rt_path(const struct container *c, const char *file);
/* Makes C's rtdir (gone after a reboot). */
int cont_rt_mkdir(const struct container *c, berth_error_t *err);
bool cont_tty(const struct container *c);
/* The types of a create (or update, without Config fields) body's fields. */
int berth_container_check_types(const json_t *body, berth_error_t *err);

/* crun.c */
int crun_start(struct berth_engine *e, struct container *c, berth_error_t *err);
void crun_adopt(struct berth_engine *e, struct container *c);
void crun_release(struct berth_engine *e, struct container *c); /* runtime fields, at free */
int crun_unmount(struct berth_engine *e, struct container *c);
/* After an exit, on a thread: unmounts the rootfs (an overlay's teardown
 * costs a few ms at umount's return) and removes the cgroup (the monitor
 * runs with --leave-cgroup, to report the exit sooner). */
void crun_cleanup_async(struct berth_engine *e, struct container *c);
/* Waits for what crun_cleanup_async started, if anything. */
void crun_cleanup_wait(struct container *c);
/* What an exited or removed container leaves: its mount namespace (C's
 * mntns_fd, taken), its network namespace file, its rootfs mount (ROOTFS,
 * stolen, or NULL) and its cgroup. The record copies what it needs, so
 * that a thread can undo it (which frees it). */
struct crun_leftovers;
struct crun_leftovers *crun_leftovers_new(struct berth_engine *e, struct container *c,
					  char *rootfs);
void crun_leftovers_undo(struct crun_leftovers *l);

/* netns.c: network namespaces made ahead of need. crun_netns_take returns
 * <exec-root>/netns/<id> (caller frees), a namespace with loopback up, for
 * the spec to join; crun_netns_release removes it once C has exited;
 * crun_netns_init (after loading the containers) removes what no running
 * container uses and makes the first spare; crun_netns_shutdown drops the
 * spare. */
char *crun_netns_take(struct berth_engine *e, const struct container *c, berth_error_t *err);
void crun_netns_release(const char *exec_root, const char *id);
void crun_netns_init(struct berth_engine *e);
void crun_netns_shutdown(struct berth_engine *e);
/* Prepares the start of C, just created, on the next loop round. */
void crun_prepare_later(struct berth_engine *e, struct container *c);
/* Lets a prepared monitor go (it undoes what it created) and waits for it. */
void crun_unprepare(struct berth_engine *e, struct container *c);
int crun_mount(struct berth_engine *e, struct container *c, berth_error_t *err);
void crun_wake_waiters(struct berth_engine *e, struct container *c, bool removed);
bool crun_running(const struct container *c);
void crun_shutdown(struct berth_engine *e);
/* rm -f of a running container: kill it, remove it at its exit, then DONE */
int crun_kill_remove(struct berth_engine *e, struct container *c, berth_container_done_cb done,
		     void *data, berth_error_t *err);

/* crun.c, for exec */
int crun_resolve_user(struct container *c, const char *user, json_t **user_json,
		      berth_error_t *err);
char *crun_read_in_root(const char *root, const char *rel);
/* A monitor launched ahead of its bundle (prepared starts): it waits on
 * CRUN_EARLY_FD for a line (its --seccomp-bpf file, or empty) before it
 * reads the spec; EOF makes it exit. The caller writes that line on
 * wait_fd, closes it, and reaps the launcher pid. */
#define CRUN_EARLY_FD 5
struct crun_early {
	int wait_fd;
	pid_t launcher;
};
/* Launches the monitor ARGV with its ready fd on 3 and start fd on 4;
 * EARLY (or NULL) as above. */
int crun_spawn_monitor(struct berth_engine *e, char *const argv[], int *ready_fd, int *start_fd,
		       struct crun_early *early, berth_error_t *err);
json_t *crun_read_line(int fd, berth_error_t *err);
/* The cache file of SECCOMP compiled (once per profile), or NULL. */
char *crun_seccomp_bpf(struct berth_engine *e, const json_t *seccomp);

/* cexec.c */
void cexec_container_gone(struct berth_engine *e, struct container *c);
void cexec_shutdown(struct berth_engine *e);
json_t *cexec_ids(struct berth_engine *e, const struct container *c);

/* cio.c */
typedef void (*cio_end_fn)(struct berth_engine *e, const char *arg);
/* A pump between the hijacked H and the monitor socket SOCK (connected by
 * cio_attach_connect); ON_END(END_ARG) runs before the client is closed.
 * NULL if it could not be set up (H is then closed). */
struct cattach *cio_attach_new(struct berth_engine *e, struct berth_http_hijack *h,
			       const struct berth_attach_opts *o, bool tty, const char *sock,
			       cio_end_fn on_end, const char *end_arg);
int cio_attach_connect(struct cattach *a);
/* Sends MSG to the client (as stdout) and ends the attachment. */
void cio_attach_fail(struct cattach *a, const char *msg);
void cio_on_started(struct berth_engine *e, struct container *c); /* connect pending attaches */
void cio_on_exit(struct berth_engine *e, struct container *c);
void cio_release(struct berth_engine *e, struct container *c);
void cio_shutdown(struct berth_engine *e); /* stops and joins the log followers */

#endif
