/* sync.c: the message protocol on the parent/child socket pair. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "runtime/runtime_internal.h"

int berth_rt_sync_send(int fd, uint32_t type, int32_t code, const char *text, int pass_fd)
{
	struct berth_rt_sync_hdr hdr = { .type = type, .code = code };
	char ctrl[CMSG_SPACE(sizeof(int))];
	struct iovec iov[2];
	struct msghdr msg = { 0 };
	size_t len = text ? strnlen(text, BERTH_RT_SYNC_MAX_TEXT) : 0;
	ssize_t n;

	iov[0].iov_base = &hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)text;
	iov[1].iov_len = len;
	msg.msg_iov = iov;
	msg.msg_iovlen = len ? 2 : 1;
	if (pass_fd >= 0) {
		struct cmsghdr *cm;

		memset(ctrl, 0, sizeof(ctrl));
		msg.msg_control = ctrl;
		msg.msg_controllen = sizeof(ctrl);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
	}
	do
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : 0;
}

int berth_rt_sync_recv(int fd, struct berth_rt_sync_hdr *hdr, char *text, size_t text_len,
		       int *passed)
{
	char buf[sizeof(*hdr) + BERTH_RT_SYNC_MAX_TEXT];
	char ctrl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr msg = { 0 };
	struct cmsghdr *cm;
	ssize_t n;
	size_t tl;

	if (passed)
		*passed = -1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctrl;
	msg.msg_controllen = sizeof(ctrl);
	do
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n < 0 ? -1 : 0;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		int got;
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		memcpy(&got, CMSG_DATA(cm), sizeof(int));
		if (passed && *passed < 0)
			*passed = got;
		else
			close(got);
	}
	if ((size_t)n < sizeof(*hdr)) {
		errno = EPROTO;
		return -1;
	}
	memcpy(hdr, buf, sizeof(*hdr));
	if (text && text_len) {
		tl = (size_t)n - sizeof(*hdr);
		if (tl >= text_len)
			tl = text_len - 1;
		memcpy(text, buf + sizeof(*hdr), tl);
		text[tl] = '\0';
	}
	return 1;
}
