/* resolver.c: see resolver.h.
 *
 * Per owner: a UDP socket and a TCP listener in its namespace, the TCP
 * connections accepted on it, and the forwards it started. A forward has
 * its own connected UDP socket in the host's namespace (a fresh random
 * source port and a fresh id per query, so an off-path answer has to guess
 * both), tries the upstreams in turn, each for FWD_TRY_MS, and answers
 * SERVFAIL when all of them are silent. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "loop/loop.h"
#include "net/dns.h"
#include "net/resolver.h"

#define MAX_UPSTREAMS	   3	/* as resolv.conf's MAXNS */
#define MAX_FWD_TOTAL	   512	/* forwards in flight, all owners */
#define MAX_FWD_OWNER	   64	/* forwards in flight, one owner */
#define MAX_TCP_OWNER	   16	/* TCP connections, one owner */
#define FWD_TRY_MS	   2000 /* per upstream */
#define TCP_IDLE_MS	   10000
#define TCP_QUERY_MAX	   4096 /* a query is a name and a few bytes */
#define PACKETS_PER_WAKEUP 64	/* then the loop serves others */
#define LOCAL_TTL	   600
#define RESOLV_CONF_MAX	   (64 * 1024)

const char *const berth_resolver_fallback[BERTH_RESOLVER_N_FALLBACK] = { "8.8.8.8", "8.8.4.4" };

struct upstream {
	struct sockaddr_storage sa;
	socklen_t len;
};

struct owner;

struct tcpconn {
	struct tcpconn *next;
	struct owner *o;
	int fd;
	struct berth_loop_handler *h;
	uint64_t idle_timer;
	uint8_t buf[2 + TCP_QUERY_MAX];
	size_t len;
	unsigned busy; /* forwards in flight for it */
};

struct fwd {
	struct fwd *next;
	struct owner *o;
	struct tcpconn *tc; /* the TCP client, or NULL: the UDP one below */
	struct sockaddr_storage client;
	socklen_t client_len;
	uint16_t client_id, id;
	int fd;
	struct berth_loop_handler *h;
	uint64_t timer;
	size_t try;
	/* a TCP client's query goes upstream over TCP: the length-prefixed
	 * answer is gathered in rbuf */
	bool sent;
	uint8_t *rbuf;
	size_t rlen;
	size_t qlen;
	uint8_t query[]; /* the client's query, with our id */
};

struct owner {
	struct owner *next;
	struct berth_resolver *r;
	char id[65];
	int udp_fd, tcp_fd;
	struct berth_loop_handler *udp_h, *tcp_h;
	struct upstream up[MAX_UPSTREAMS];
	size_t n_up; /* 0: the host's */
	struct tcpconn *conns;
	size_t n_conns;
	struct fwd *fwds;
	size_t n_fwds;
};

struct berth_resolver {
	struct berth_loop *loop;
	berth_resolver_lookup_fn lookup;
	berth_resolver_reverse_fn reverse;
	void *data;
	struct owner *owners;
	size_t n_fwds;
	/* the host's resolv.conf, read again when it changes */
	struct upstream host_up[MAX_UPSTREAMS];
	size_t n_host_up;
	struct timespec host_mtime;
	ino_t host_ino;
	off_t host_size;
	bool host_read;
};

/* --- upstreams ------------------------------------------------------------------------------ */

/* A nameserver's address: strict dotted quads or IPv6, as inet_pton reads
 * them (no "127.11" shorthands), port 53. */
static int parse_server(const char *s, struct upstream *u)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)&u->sa;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&u->sa;

	memset(u, 0, sizeof(*u));
	if (inet_pton(AF_INET, s, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(53);
		u->len = sizeof(*v4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(53);
		u->len = sizeof(*v6);
		return 0;
	}
	return -1;
}

size_t berth_resolver_host_servers(const char *text, char (*out)[46], size_t max)
{
	const char *line = text;
	size_t n = 0, i;

	while (line && *line && n < max) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line), w;
		struct upstream u;
		char buf[64];

		if (len > 11 && strncmp(line, "nameserver", 10) == 0 &&
		    (line[10] == ' ' || line[10] == '\t')) {
			const char *p = line + 11;
			while (p < line + len && (*p == ' ' || *p == '\t'))
				p++;
			w = strcspn(p, " \t\r\n#;");
			if (w > 0 && w < sizeof(buf)) {
				memcpy(buf, p, w);
				buf[w] = '\0';
				/* "fe80::1%eth0" zones are the host's business: left out */
				if (strcmp(buf, BERTH_RESOLVER_ADDR) != 0 && !strchr(buf, '%') &&
				    w < 46 && parse_server(buf, &u) == 0)
					memcpy(out[n++], buf, w + 1);
			}
		}
		line = end ? end + 1 : NULL;
	}
	for (i = 0; n == 0 && i < BERTH_RESOLVER_N_FALLBACK && i < max; i++)
		snprintf(out[i], 46, "%s", berth_resolver_fallback[i]);
	return n ? n : (max < BERTH_RESOLVER_N_FALLBACK ? max : BERTH_RESOLVER_N_FALLBACK);
}

static void host_upstreams(struct berth_resolver *r)
{
	cleanup_free char *text = NULL;
	char names[MAX_UPSTREAMS][46];
	struct stat st;
	size_t n, i;

	if (stat("/etc/resolv.conf", &st) < 0)
		memset(&st, 0, sizeof(st));
	if (r->host_read && st.st_ino == r->host_ino && st.st_size == r->host_size &&
	    st.st_mtim.tv_sec == r->host_mtime.tv_sec && st.st_mtim.tv_nsec == r->host_mtime.tv_nsec)
		return;
	r->host_read = true;
	r->host_ino = st.st_ino;
	r->host_size = st.st_size;
	r->host_mtime = st.st_mtim;
	if (berth_fs_read_file("/etc/resolv.conf", RESOLV_CONF_MAX, &text, NULL) < 0)
		text = NULL;
	n = berth_resolver_host_servers(text ? text : "", names, MAX_UPSTREAMS);
	r->n_host_up = 0;
	for (i = 0; i < n; i++)
		if (parse_server(names[i], &r->host_up[r->n_host_up]) == 0)
			r->n_host_up++;
}

static const struct upstream *upstream_at(struct owner *o, size_t i)
{
	if (o->n_up > 0)
		return i < o->n_up ? &o->up[i] : NULL;
	host_upstreams(o->r);
	return i < o->r->n_host_up ? &o->r->host_up[i] : NULL;
}

/* --- answers -------------------------------------------------------------------------------- */

/* The local answer to Q (parsed from MSG) into OUT: its length, 0 when the
 * query is to be forwarded, -1 to drop it. */
static ssize_t local_answer(struct owner *o, const struct berth_dns_query *q, const uint8_t *msg,
			    size_t len, uint8_t *out, size_t cap)
{
	struct berth_resolver *r = o->r;
	uint32_t addrs[32], rev;
	char name[254];
	int n;

	if (q->qclass != BERTH_DNS_CLASS_IN)
		return 0;
	if (q->qtype == BERTH_DNS_TYPE_PTR && berth_dns_reverse_addr(q->qname, &rev) == 0) {
		n = r->reverse ? r->reverse(r->data, o->id, rev, name) : -1;
		if (n < 0)
			return 0;
		if (n == 0)
			return berth_dns_build_reply(q, msg, len, BERTH_DNS_RCODE_NXDOMAIN, NULL, 0,
						     0, out, cap);
		return berth_dns_build_ptr_reply(q, msg, len, name, LOCAL_TTL, out, cap);
	}
	n = r->lookup(r->data, o->id, q->qname, addrs, BERTH_ARRAY_SIZE(addrs));
	if (n < 0)
		return 0;
	/* a name of berth's: its A records, NODATA for any other type */
	return berth_dns_build_reply(q, msg, len, BERTH_DNS_RCODE_NOERROR, addrs, (size_t)n,
				     LOCAL_TTL, out, cap);
}

static void tcp_send(struct tcpconn *tc, const uint8_t *msg, size_t len);
static void tcp_close(struct tcpconn *tc);

/* --- forwards ------------------------------------------------------------------------------- */

static void fwd_free(struct fwd *f)
{
	struct owner *o = f->o;
	struct fwd **pp;

	for (pp = &o->fwds; *pp; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	o->n_fwds--;
	o->r->n_fwds--;
	if (f->tc)
		f->tc->busy--;
	berth_loop_del_fd(o->r->loop, f->h);
	berth_loop_timer_cancel(o->r->loop, f->timer);
	if (f->fd >= 0)
		close(f->fd);
	free(f->rbuf);
	free(f);
}

/* Sends MSG to the client of F (UDP or TCP). */
static void fwd_reply(struct fwd *f, uint8_t *msg, size_t len)
{
	berth_dns_set_id(msg, f->client_id);
	if (f->tc)
		tcp_send(f->tc, msg, len);
	else
		(void)sendto(f->o->udp_fd, msg, len, MSG_DONTWAIT, (struct sockaddr *)&f->client,
			     f->client_len);
}

static void fwd_fail(struct fwd *f)
{
	struct berth_dns_query q;
	uint8_t out[BERTH_DNS_UDP_MAX];
	ssize_t n;

	if (berth_dns_parse_query(f->query, f->qlen, &q, NULL) == 0) {
		q.id = f->client_id;
		n = berth_dns_build_reply(&q, f->query, f->qlen, BERTH_DNS_RCODE_SERVFAIL, NULL, 0, 0,
					  out, sizeof(out));
		if (n > 0)
			fwd_reply(f, out, (size_t)n);
	}
	fwd_free(f);
}

static void fwd_timeout(void *data);
static void fwd_readable(struct berth_loop *loop, int fd, uint32_t events, void *data);
static void fwd_stream_event(struct berth_loop *loop, int fd, uint32_t events, void *data);

/* Sends F's query to its upstream number F->try; 0, or -1 when there is
 * none left. */
static int fwd_send(struct fwd *f)
{
	struct berth_resolver *r = f->o->r;
	const struct upstream *u;

	berth_loop_del_fd(r->loop, f->h);
	f->h = NULL;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	f->sent = false;
	f->rlen = 0;
	while ((u = upstream_at(f->o, f->try)) != NULL) {
		if (f->tc) {
			f->fd = socket(u->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (f->fd >= 0 &&
			    (connect(f->fd, (const struct sockaddr *)&u->sa, u->len) == 0 ||
			     errno == EINPROGRESS) &&
			    (f->h = berth_loop_add_fd(r->loop, f->fd, EPOLLOUT, fwd_stream_event, f,
						      NULL)))
				break;
		} else {
			f->fd = socket(u->sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (f->fd >= 0 &&
			    connect(f->fd, (const struct sockaddr *)&u->sa, u->len) == 0 &&
			    send(f->fd, f->query, f->qlen, 0) == (ssize_t)f->qlen &&
			    (f->h = berth_loop_add_fd(r->loop, f->fd, EPOLLIN, fwd_readable, f,
						      NULL)))
				break;
		}
		if (f->fd >= 0)
			close(f->fd);
		f->fd = -1;
		f->try++;
	}
	if (u == NULL)
		return -1;
	f->timer = berth_loop_timer_add(r->loop, FWD_TRY_MS, fwd_timeout, f);
	return 0;
}

static void fwd_timeout(void *data)
{
	struct fwd *f = data;

	f->timer = 0;
	f->try++;
	if (fwd_send(f) < 0)
		fwd_fail(f);
}

/* The next upstream, now (this one failed). */
static void fwd_next(struct fwd *f)
{
	berth_loop_timer_cancel(f->o->r->loop, f->timer);
	fwd_timeout(f);
}

static void fwd_readable(struct berth_loop *loop, int fd, uint32_t events, void *data)
{
	struct fwd *f = data;
	uint8_t buf[BERTH_DNS_MSG_MAX];
	uint16_t id;
	ssize_t n;

	(void)loop;
	(void)events;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) { /* ICMP unreachable: the next upstream */
			fwd_next(f);
			return;
		}
		if (berth_dns_get_id(buf, (size_t)n, &id) == 0 && id == f->id &&
		    berth_dns_check_response(buf, (size_t)n) == 0)
			break;
		/* anything else is dropped: the right answer may still come */
	}
	fwd_reply(f, buf, (size_t)n);
	fwd_free(f);
}

/* A TCP upstream: connected (send the query), then the answer's bytes. */
static void fwd_stream_event(struct berth_loop *loop, int fd, uint32_t events, void *data)
{
	struct fwd *f = data;
	size_t need;
	ssize_t n;

	if (!f->sent) {
		uint8_t pre[2] = { (uint8_t)(f->qlen >> 8), (uint8_t)f->qlen };
		struct iovec iov[2] = { { pre, 2 }, { f->query, f->qlen } };
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
		int e = 0;
		socklen_t len = sizeof(e);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0 || e != 0 ||
		    sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)(f->qlen + 2) ||
		    berth_loop_mod_fd(loop, f->h, EPOLLIN, NULL) < 0) {
			fwd_next(f);
			return;
		}
		f->sent = true;
		return;
	}
	(void)events;
	if (f->rbuf == NULL)
		f->rbuf = xmalloc(2 + BERTH_DNS_MSG_MAX);
	n = read(fd, f->rbuf + f->rlen, 2 + BERTH_DNS_MSG_MAX - f->rlen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		fwd_next(f);
		return;
	}
	f->rlen += (size_t)n;
	if (f->rlen < 2)
		return;
	need = (size_t)f->rbuf[0] << 8 | f->rbuf[1];
	if (f->rlen < 2 + need)
		return;
	{
		uint16_t id;
		if (berth_dns_get_id(f->rbuf + 2, need, &id) < 0 || id != f->id ||
		    berth_dns_check_response(f->rbuf + 2, need) < 0) {
			fwd_next(f);
			return;
		}
	}
	fwd_reply(f, f->rbuf + 2, need);
	fwd_free(f);
}

/* Forwards the query MSG of O's client (TC, or the UDP address SA). */
static void forward(struct owner *o, struct tcpconn *tc, const struct sockaddr_storage *sa,
		    socklen_t salen, const uint8_t *msg, size_t len)
{
	struct berth_resolver *r = o->r;
	struct fwd *f;

	if (r->n_fwds >= MAX_FWD_TOTAL || o->n_fwds >= MAX_FWD_OWNER)
		return; /* dropped: the client asks again */
	f = xcalloc(1, sizeof(*f) + len);
	f->o = o;
	f->tc = tc;
	if (sa) {
		f->client = *sa;
		f->client_len = salen;
	}
	f->fd = -1;
	memcpy(f->query, msg, len);
	f->qlen = len;
	(void)berth_dns_get_id(msg, len, &f->client_id);
	if (getrandom(&f->id, sizeof(f->id), GRND_NONBLOCK) != sizeof(f->id))
		f->id = (uint16_t)(f->client_id ^ (uintptr_t)f);
	berth_dns_set_id(f->query, f->id);
	f->next = o->fwds;
	o->fwds = f;
	o->n_fwds++;
	r->n_fwds++;
	if (tc)
		tc->busy++;
	if (fwd_send(f) < 0)
		fwd_fail(f);
}

/* One query MSG of O's client: answered, forwarded or dropped. OUT: the
 * local answer's buffer, CAP bytes. Returns the local answer's length, or 0. */
static ssize_t handle_query(struct owner *o, struct tcpconn *tc, const struct sockaddr_storage *sa,
			    socklen_t salen, const uint8_t *msg, size_t len, uint8_t *out, size_t cap)
{
	struct berth_dns_query q;
	ssize_t n;

	/* a packet that is no well-formed query gets no answer */
	if (berth_dns_parse_query(msg, len, &q, NULL) < 0)
		return 0;
	n = local_answer(o, &q, msg, len, out, cap);
	if (n == 0)
		forward(o, tc, sa, salen, msg, len);
	return n > 0 ? n : 0;
}

/* --- UDP ------------------------------------------------------------------------------------ */

static void udp_readable(struct berth_loop *loop, int fd, uint32_t events, void *data)
{
	struct owner *o = data;
	uint8_t buf[BERTH_DNS_MSG_MAX], out[BERTH_DNS_UDP_MAX];
	struct sockaddr_storage sa;
	socklen_t salen;
	ssize_t n;
	int i;

	(void)loop;
	(void)events;
	for (i = 0; i < PACKETS_PER_WAKEUP; i++) {
		salen = sizeof(sa);
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&sa, &salen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;
		n = handle_query(o, NULL, &sa, salen, buf, (size_t)n, out, sizeof(out));
		if (n > 0)
			(void)sendto(fd, out, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&sa, salen);
		/* a forward may have failed at once and freed nothing of O */
	}
}

/* --- TCP ------------------------------------------------------------------------------------ */

static void tcp_close(struct tcpconn *tc)
{
	struct owner *o = tc->o;
	struct tcpconn **pp;
	struct fwd *f, *next;

	for (f = o->fwds; f; f = next) {
		next = f->next;
		if (f->tc == tc)
			fwd_free(f);
	}
	for (pp = &o->conns; *pp; pp = &(*pp)->next)
		if (*pp == tc) {
			*pp = tc->next;
			break;
		}
	o->n_conns--;
	berth_loop_del_fd(o->r->loop, tc->h);
	berth_loop_timer_cancel(o->r->loop, tc->idle_timer);
	close(tc->fd);
	free(tc);
}

static void tcp_idle(void *data)
{
	struct tcpconn *tc = data;

	tc->idle_timer = 0;
	tcp_close(tc);
}

/* Writes a reply with its length prefix. A reply is small and the socket
 * buffer empty; a client that does not read loses its connection. */
static void tcp_send(struct tcpconn *tc, const uint8_t *msg, size_t len)
{
	uint8_t pre[2] = { (uint8_t)(len >> 8), (uint8_t)len };
	struct iovec iov[2] = { { pre, 2 }, { (void *)msg, len } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

	if (sendmsg(tc->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)(len + 2))
		shutdown(tc->fd, SHUT_RDWR); /* the next read sees the end */
}

static void tcp_readable(struct berth_loop *loop, int fd, uint32_t events, void *data)
{
	struct tcpconn *tc = data;
	uint8_t out[BERTH_DNS_UDP_MAX];
	size_t need;
	ssize_t n;

	(void)events;
	n = read(fd, tc->buf + tc->len, sizeof(tc->buf) - tc->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		tcp_close(tc);
		return;
	}
	tc->len += (size_t)n;
	berth_loop_timer_cancel(loop, tc->idle_timer);
	tc->idle_timer = berth_loop_timer_add(loop, TCP_IDLE_MS, tcp_idle, tc);
	while (tc->len >= 2) {
		need = (size_t)tc->buf[0] << 8 | tc->buf[1];
		if (need > TCP_QUERY_MAX || need == 0) {
			tcp_close(tc);
			return;
		}
		if (tc->len < 2 + need)
			return;
		n = handle_query(tc->o, tc, NULL, 0, tc->buf + 2, need, out, sizeof(out));
		if (n > 0)
			tcp_send(tc, out, (size_t)n);
		memmove(tc->buf, tc->buf + 2 + need, tc->len - 2 - need);
		tc->len -= 2 + need;
	}
}

static void tcp_acceptable(struct berth_loop *loop, int fd, uint32_t events, void *data)
{
	struct owner *o = data;
	struct tcpconn *tc;
	int cfd;

	(void)events;
	while ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (o->n_conns >= MAX_TCP_OWNER) {
			close(cfd);
			continue;
		}
		tc = xcalloc(1, sizeof(*tc));
		tc->o = o;
		tc->fd = cfd;
		tc->h = berth_loop_add_fd(loop, cfd, EPOLLIN, tcp_readable, tc, NULL);
		if (tc->h == NULL) {
			close(cfd);
			free(tc);
			continue;
		}
		tc->idle_timer = berth_loop_timer_add(loop, TCP_IDLE_MS, tcp_idle, tc);
		tc->next = o->conns;
		o->conns = tc;
		o->n_conns++;
	}
}

/* --- owners --------------------------------------------------------------------------------- */

struct ns_sockets {
	int netns_fd;
	int udp, tcp;
	int err;
	const char *what;
};

static int bind_local(int type, const char **what)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(53) };
	int fd, one = 1;

	sa.sin_addr.s_addr = htonl(0x7f00000bu); /* 127.0.0.11 */
	fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*what = "socket";
		return -1;
	}
	/* lo may come up after: bind the address before it is there */
	(void)setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	if (type == SOCK_STREAM)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		*what = "bind 127.0.0.11:53";
		close(fd);
		return -1;
	}
	if (type == SOCK_STREAM && listen(fd, 16) < 0) {
		*what = "listen";
		close(fd);
		return -1;
	}
	return fd;
}

static void *ns_sockets_thread(void *data)
{
	struct ns_sockets *s = data;

	/* this thread only: it ends right after */
	if (setns(s->netns_fd, CLONE_NEWNET) < 0) {
		s->err = errno;
		s->what = "join network namespace";
		return NULL;
	}
	s->udp = bind_local(SOCK_DGRAM, &s->what);
	if (s->udp >= 0)
		s->tcp = bind_local(SOCK_STREAM, &s->what);
	if (s->udp < 0 || s->tcp < 0)
		s->err = errno;
	return NULL;
}

static struct owner *owner_find(struct berth_resolver *r, const char *id)
{
	struct owner *o;

	for (o = r->owners; o; o = o->next)
		if (strcmp(o->id, id) == 0)
			return o;
	return NULL;
}

static int set_upstreams(struct owner *o, const char *const *ups, size_t n, berth_error_t *err)
{
	struct upstream up[MAX_UPSTREAMS];
	size_t i, k = 0;

	for (i = 0; i < n && k < MAX_UPSTREAMS; i++) {
		if (parse_server(ups[i], &up[k]) < 0)
			return berth_make_error(err, EINVAL, "%s is not an ip address", ups[i]);
		k++;
	}
	memcpy(o->up, up, sizeof(up[0]) * k);
	o->n_up = k;
	return 0;
}

int berth_resolver_listen(struct berth_resolver *r, const char *owner, int netns_fd,
			  const char *const *upstreams, size_t n_upstreams, berth_error_t *err)
{
	struct ns_sockets s = { .netns_fd = netns_fd, .udp = -1, .tcp = -1 };
	struct owner *o = owner_find(r, owner);
	pthread_t t;
	int e;

	if (o)
		return set_upstreams(o, upstreams, n_upstreams, err);
	if (strlen(owner) >= sizeof(o->id))
		return berth_make_error(err, EINVAL, "resolver owner %s", owner);
	e = pthread_create(&t, NULL, ns_sockets_thread, &s);
	if (e != 0)
		return berth_make_error(err, e, "start the resolver's namespace thread: %s",
					strerror(e));
	pthread_join(t, NULL);
	if (s.err) {
		if (s.udp >= 0)
			close(s.udp);
		return berth_make_error(err, s.err, "dns resolver for %.12s: %s: %s", owner, s.what,
					strerror(s.err));
	}
	o = xcalloc(1, sizeof(*o));
	o->r = r;
	snprintf(o->id, sizeof(o->id), "%s", owner);
	o->udp_fd = s.udp;
	o->tcp_fd = s.tcp;
	if (set_upstreams(o, upstreams, n_upstreams, err) < 0 ||
	    !(o->udp_h = berth_loop_add_fd(r->loop, o->udp_fd, EPOLLIN, udp_readable, o, err)) ||
	    !(o->tcp_h = berth_loop_add_fd(r->loop, o->tcp_fd, EPOLLIN, tcp_acceptable, o, err))) {
		berth_loop_del_fd(r->loop, o->udp_h);
		close(o->udp_fd);
		close(o->tcp_fd);
		free(o);
		return -1;
	}
	o->next = r->owners;
	r->owners = o;
	return 0;
}

static void owner_free(struct owner *o)
{
	while (o->fwds)
		fwd_free(o->fwds);
	while (o->conns)
		tcp_close(o->conns);
	berth_loop_del_fd(o->r->loop, o->udp_h);
	berth_loop_del_fd(o->r->loop, o->tcp_h);
	close(o->udp_fd);
	close(o->tcp_fd);
	free(o);
}

void berth_resolver_stop(struct berth_resolver *r, const char *owner)
{
	struct owner **pp, *o;

	if (r == NULL)
		return;
	for (pp = &r->owners; (o = *pp) != NULL; pp = &o->next)
		if (strcmp(o->id, owner) == 0) {
			*pp = o->next;
			owner_free(o);
			return;
		}
}

struct berth_resolver *berth_resolver_new(struct berth_loop *loop, berth_resolver_lookup_fn lookup,
					  berth_resolver_reverse_fn reverse, void *data)
{
	struct berth_resolver *r = xcalloc(1, sizeof(*r));

	r->loop = loop;
	r->lookup = lookup;
	r->reverse = reverse;
	r->data = data;
	return r;
}

void berth_resolver_free(struct berth_resolver *r)
{
	struct owner *o;

	if (r == NULL)
		return;
	while ((o = r->owners) != NULL) {
		r->owners = o->next;
		owner_free(o);
	}
	free(r);
}
