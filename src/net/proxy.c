/* proxy.c: see proxy.h.
 *
 * A connection has two sockets, 0 the client's and 1 the container's, and
 * a buffer per direction (i: from socket i to socket 1-i). pump() moves
 * what it can without blocking, then asks the loop for exactly the events
 * that can make progress: input on a socket whose buffer is empty, output
 * on a socket with data waiting for it. An end of input is passed on as a
 * half close (shutdown SHUT_WR), so request/response protocols that close
 * one side work; the connection ends when both directions are done or
 * either socket fails. */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/xalloc.h"
#include "loop/loop.h"
#include "net/proxy.h"

#define PROXY_BUF	(16 * 1024)
#define PROXY_MAX_CONNS 256
#define UDP_MAX_FLOWS	256
#define UDP_IDLE_MS	90000
#define UDP_SWEEP_MS	10000
#define UDP_BATCH	64

struct pconn {
	struct pconn *next;
	struct berth_proxy *p;
	int fd[2];
	struct berth_loop_handler *h[2];
	uint32_t events[2];
	bool connected;
	bool eof[2];  /* no more input from socket i */
	bool shut[2]; /* direction i is done: socket 1-i was shut for writing */
	bool hup[2];  /* socket i can do nothing more */
	size_t off[2], len[2];
	uint8_t buf[2][PROXY_BUF];
};

/* A UDP client of the relay: its own connected socket to the target, so
 * that the answers find their way back; dropped after UDP_IDLE_MS without
 * traffic, as docker-proxy does. */
struct uflow {
	struct uflow *next;
	struct berth_proxy *p;
	struct sockaddr_in6 client;
	int fd;
	struct berth_loop_handler *h;
	int64_t last_ms;
};

struct berth_proxy {
	struct berth_loop *loop;
	int fd;
	struct berth_loop_handler *h;
	struct sockaddr_in target;
	bool udp;
	struct pconn *conns;
	size_t n_conns;
	struct uflow *flows;
	size_t n_flows;
	uint64_t sweep_timer;
};

static void conn_close(struct pconn *c)
{
	struct berth_proxy *p = c->p;
	struct pconn **pp;
	int i;

	for (pp = &p->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	p->n_conns--;
	for (i = 0; i < 2; i++) {
		berth_loop_del_fd(p->loop, c->h[i]);
		close(c->fd[i]);
	}
	free(c);
}

/* Moves the bytes of direction I; false when the connection failed. */
static bool pump_dir(struct pconn *c, int i)
{
	ssize_t n;

	for (;;) {
		if (c->len[i] == 0 && !c->eof[i]) {
			n = read(c->fd[i], c->buf[i], PROXY_BUF);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno != EAGAIN)
				return false;
			if (n < 0)
				break;
			if (n == 0)
				c->eof[i] = true;
			c->off[i] = 0;
			c->len[i] = (size_t)n;
		}
		if (c->len[i] > c->off[i]) {
			if (c->hup[1 - i])
				return false; /* nobody to give it to */
			n = send(c->fd[1 - i], c->buf[i] + c->off[i], c->len[i] - c->off[i],
				 MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno != EAGAIN)
				return false;
			if (n < 0)
				break;
			c->off[i] += (size_t)n;
			if (c->off[i] == c->len[i])
				c->off[i] = c->len[i] = 0;
			continue;
		}
		if (c->eof[i] && !c->shut[i]) {
			(void)shutdown(c->fd[1 - i], SHUT_WR);
			c->shut[i] = true;
		}
		break;
	}
	return true;
}

static void pump(struct pconn *c)
{
	struct berth_proxy *p = c->p;
	int i;

	if (!pump_dir(c, 0) || !pump_dir(c, 1) || (c->shut[0] && c->shut[1])) {
		conn_close(c);
		return;
	}
	for (i = 0; i < 2; i++) {
		uint32_t want = (c->len[i] == 0 && !c->eof[i] ? EPOLLIN : 0) |
				(c->len[1 - i] > c->off[1 - i] ? EPOLLOUT : 0);
		if (c->hup[i]) { /* it reports HUP for ever: off the loop */
			berth_loop_del_fd(p->loop, c->h[i]);
			c->h[i] = NULL;
			continue;
		}
		if (want != c->events[i] && berth_loop_mod_fd(p->loop, c->h[i], want, NULL) == 0)
			c->events[i] = want;
	}
	if ((c->hup[0] && c->len[1] > c->off[1]) || (c->hup[1] && c->len[0] > c->off[0]) ||
	    (c->hup[0] && c->hup[1]))
		conn_close(c);
}

static void conn_event(struct berth_loop *loop, int fd, uint32_t events, void *data)
{
	struct pconn *c = data;
	int i = fd == c->fd[1];

	(void)loop;
	if (events & EPOLLERR) {
		conn_close(c);
		return;
	}
	if (i == 1 && !c->connected) {
		int e = 0;
		socklen_t len = sizeof(e);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0 || e != 0) {
			conn_close(c);
			return;
		}
		c->connected = true;
	}
	if (events & EPOLLHUP)
		c->hup[i] = true;
	if (c->connected)
		pump(c);
}

static void accept_ready(struct berth_loop *loop, int fd, uint32_t events, void *data)
{
	struct berth_proxy *p = data;
	struct pconn *c;
	int cfd, i;

	(void)events;
	while ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		int up = -1;
		if (p->n_conns >= PROXY_MAX_CONNS ||
		    (up = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0 ||
		    (connect(up, (struct sockaddr *)&p->target, sizeof(p->target)) < 0 &&
		     errno != EINPROGRESS)) {
			if (up >= 0)
				close(up);
			close(cfd);
			continue;
		}
		c = xcalloc(1, sizeof(*c));
		c->p = p;
		c->fd[0] = cfd;
		c->fd[1] = up;
		/* the client waits until the container's side is connected */
		c->events[0] = 0;
		c->events[1] = EPOLLOUT;
		for (i = 0; i < 2; i++)
			c->h[i] = berth_loop_add_fd(loop, c->fd[i], c->events[i], conn_event, c, NULL);
		c->next = p->conns;
		p->conns = c;
		p->n_conns++;
		if (c->h[0] == NULL || c->h[1] == NULL)
			conn_close(c);
	}
}

/* --- UDP ------------------------------------------------------------------------------------ */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void flow_close(struct uflow *f)
{
	struct berth_proxy *p = f->p;
	struct uflow **pp;

	for (pp = &p->flows; *pp; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	p->n_flows--;
	berth_loop_del_fd(p->loop, f->h);
	close(f->fd);
	free(f);
}

/* The container answers: back to the client, from the relay's port. */
static void flow_ready(struct berth_loop *loop, int fd, uint32_t events, void *data)
{
	struct uflow *f = data;
	uint8_t buf[65536];
	ssize_t n;
	int i;

	(void)loop;
	(void)events;
	for (i = 0; i < UDP_BATCH; i++) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) /* ICMP from the container's side: nothing to relay */
			continue;
		f->last_ms = now_ms();
		(void)sendto(f->p->fd, buf, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&f->client,
			     sizeof(f->client));
	}
}

static void flows_sweep(void *data)
{
	struct berth_proxy *p = data;
	struct uflow *f, *next;
	int64_t now = now_ms();

	p->sweep_timer = 0;
	for (f = p->flows; f; f = next) {
		next = f->next;
		if (now - f->last_ms >= UDP_IDLE_MS)
			flow_close(f);
	}
	if (p->flows)
		p->sweep_timer = berth_loop_timer_add(p->loop, UDP_SWEEP_MS, flows_sweep, p);
}

static struct uflow *flow_for(struct berth_proxy *p, const struct sockaddr_in6 *client)
{
	struct uflow *f;
	int fd;

	for (f = p->flows; f; f = f->next)
		if (f->client.sin6_port == client->sin6_port &&
		    memcmp(&f->client.sin6_addr, &client->sin6_addr, sizeof(client->sin6_addr)) == 0)
			return f;
	if (p->n_flows >= UDP_MAX_FLOWS)
		return NULL;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&p->target, sizeof(p->target)) < 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	f = xcalloc(1, sizeof(*f));
	f->p = p;
	f->client = *client;
	f->fd = fd;
	f->h = berth_loop_add_fd(p->loop, fd, EPOLLIN, flow_ready, f, NULL);
	if (f->h == NULL) {
		close(fd);
		free(f);
		return NULL;
	}
	f->next = p->flows;
	p->flows = f;
	p->n_flows++;
	if (!p->sweep_timer)
		p->sweep_timer = berth_loop_timer_add(p->loop, UDP_SWEEP_MS, flows_sweep, p);
	return f;
}

/* A client's datagram: on to the container through its flow. */
static void udp_ready(struct berth_loop *loop, int fd, uint32_t events, void *data)
{
	struct berth_proxy *p = data;
	uint8_t buf[65536];
	struct sockaddr_in6 client;
	socklen_t len;
	struct uflow *f;
	ssize_t n;
	int i;

	(void)loop;
	(void)events;
	for (i = 0; i < UDP_BATCH; i++) {
		len = sizeof(client);
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&client, &len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;
		if (len != sizeof(client) || (f = flow_for(p, &client)) == NULL)
			continue; /* dropped, as a full conntrack table would */
		f->last_ms = now_ms();
		(void)send(f->fd, buf, (size_t)n, MSG_DONTWAIT);
	}
}

struct berth_proxy *berth_proxy_new(struct berth_loop *loop, bool udp, uint16_t port,
				    uint32_t target_ip, uint16_t target_port, uint16_t *bound,
				    berth_error_t *err)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				   .sin6_addr = IN6ADDR_ANY_INIT };
	socklen_t len = sizeof(sa);
	struct berth_proxy *p;
	int fd, one = 1;

	fd = socket(AF_INET6, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berth_make_error(err, errno, "socket: %s", strerror(errno)), NULL;
	(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* TCP: a port in TIME-WAIT may be taken again; UDP has no such state,
	 * and there the option would let two sockets share a port silently */
	if (!udp)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || (!udp && listen(fd, 128) < 0)) {
		int e = errno;
		close(fd);
		if (e == EADDRINUSE)
			berth_make_error(err, EEXIST, "Bind for [::]:%u failed: port is already allocated",
					 (unsigned)port);
		else
			berth_make_error(err, e, "Bind for [::]:%u failed: %s", (unsigned)port,
					 strerror(e));
		return NULL;
	}
	if (getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		*bound = ntohs(sa.sin6_port);
	p = xcalloc(1, sizeof(*p));
	p->loop = loop;
	p->fd = fd;
	p->target.sin_family = AF_INET;
	p->target.sin_port = htons(target_port);
	p->target.sin_addr.s_addr = htonl(target_ip);
	p->udp = udp;
	p->h = berth_loop_add_fd(loop, fd, EPOLLIN, udp ? udp_ready : accept_ready, p, err);
	if (p->h == NULL) {
		close(fd);
		free(p);
		return NULL;
	}
	return p;
}

void berth_proxy_free(struct berth_proxy *p)
{
	if (p == NULL)
		return;
	while (p->conns)
		conn_close(p->conns);
	while (p->flows)
		flow_close(p->flows);
	berth_loop_timer_cancel(p->loop, p->sweep_timer);
	berth_loop_del_fd(p->loop, p->h);
	close(p->fd);
	free(p);
}
