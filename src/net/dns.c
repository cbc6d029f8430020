/* dns.c: see dns.h. Wire layout from RFC 1035 section 4.1; EDNS0 OPT from
 * RFC 6891. Every read checks the remaining length first, with the
 * subtraction on the side that cannot wrap (len - off < n). */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "net/dns.h"

#define DNS_OPCODE(flags) (((flags) >> 11) & 0xfu)
#define DNS_A_RR_LEN	  16	  /* pointer 2, type 2, class 2, ttl 4, rdlength 2, address 4 */
#define DNS_QNAME_PTR	  0xc00cu /* the question's name, right after the header */

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

/* A name of uncompressed labels at *OFF. With OUT (BERTH_DNS_NAME_MAX + 1
 * bytes) it is also written there dotted and lower-cased, and its bytes are
 * restricted to printable ASCII without '.'. Returns NULL and moves *OFF
 * past the name, or the reason it is refused. */
static const char *read_name(const uint8_t *msg, size_t len, size_t *off, char *out)
{
	size_t p = *off, n = 0, i;
	uint8_t l, c;

	for (;;) {
		if (p >= len)
			return "truncated name";
		l = msg[p++];
		if (l == 0)
			break;
		if ((l & 0xc0) == 0xc0)
			return "compression pointer in question";
		if (l > BERTH_DNS_LABEL_MAX)
			return "label longer than 63 bytes";
		if (len - p < l)
			return "truncated name";
		if (n + (n > 0) + l > BERTH_DNS_NAME_MAX)
			return "name longer than 253 characters";
		if (n > 0 && out)
			out[n] = '.';
		n += n > 0;
		for (i = 0; out && i < l; i++) {
			c = msg[p + i];
			if (c < 0x21 || c > 0x7e || c == '.')
				return "bad character in name";
			out[n + i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
		}
		n += l;
		p += l;
	}
	if (out)
		out[n] = '\0';
	*off = p;
	return NULL;
}

/* The header of a standard query; *ARCOUNT gets its additional count. */
static const char *read_header(const uint8_t *msg, size_t len, struct berth_dns_query *q,
			       unsigned *arcount)
{
	if (len < BERTH_DNS_HEADER_LEN)
		return "truncated header";
	if (len > BERTH_DNS_MSG_MAX)
		return "message larger than 65535 bytes";
	q->id = rd16(msg);
	q->flags = rd16(msg + 2);
	if (q->flags & BERTH_DNS_FLAG_QR)
		return "not a query (QR=1)";
	if (DNS_OPCODE(q->flags) != 0)
		return "opcode is not QUERY";
	if (rd16(msg + 4) != 1)
		return "QDCOUNT is not 1";
	if (rd16(msg + 6) != 0 || rd16(msg + 8) != 0)
		return "answer or authority records in a query";
	*arcount = rd16(msg + 10);
	if (*arcount > 1)
		return "more than one additional record";
	return NULL;
}

/* The one additional record a query may carry: an OPT with the root name.
 * Its class is the client's UDP payload size; TTL and RDATA (options such
 * as COOKIE) are skipped. */
static const char *read_opt(const uint8_t *msg, size_t len, size_t *off, struct berth_dns_query *q)
{
	size_t p = *off;
	uint16_t rdlen;

	if (p >= len)
		return "truncated additional record";
	if (msg[p++] != 0)
		return "additional record is not an EDNS OPT";
	if (len - p < 10)
		return "truncated additional record";
	if (rd16(msg + p) != BERTH_DNS_TYPE_OPT)
		return "additional record is not an EDNS OPT";
	q->edns_udp_size = rd16(msg + p + 2);
	rdlen = rd16(msg + p + 8);
	p += 10;
	if (len - p < rdlen)
		return "truncated additional record";
	q->edns = true;
	*off = p + rdlen;
	return NULL;
}

static const char *read_query(const uint8_t *msg, size_t len, struct berth_dns_query *q)
{
	size_t off = BERTH_DNS_HEADER_LEN;
	unsigned arcount = 0;
	const char *why;

	why = read_header(msg, len, q, &arcount);
	if (why == NULL)
		why = read_name(msg, len, &off, q->qname);
	if (why)
		return why;
	if (len - off < 4)
		return "truncated question";
	q->qtype = rd16(msg + off);
	q->qclass = rd16(msg + off + 2);
	off += 4;
	q->question_off = BERTH_DNS_HEADER_LEN;
	q->question_len = off - BERTH_DNS_HEADER_LEN;
	if (arcount == 1 && (why = read_opt(msg, len, &off, q)) != NULL)
		return why;
	/* nothing a client sends follows; refusing keeps the parse exact */
	if (off != len)
		return "trailing bytes after the query";
	return NULL;
}

int berth_dns_parse_query(const uint8_t *msg, size_t len, struct berth_dns_query *q,
			  berth_error_t *err)
{
	const char *why;

	memset(q, 0, sizeof(*q));
	why = msg ? read_query(msg, len, q) : "no message";
	if (why)
		return berth_make_error(err, EINVAL, "invalid dns query: %s", why);
	return 0;
}

/* Whether Q describes a question that sits in QUERY (QLEN bytes). */
static bool question_fits(const struct berth_dns_query *q, size_t qlen)
{
	return q->question_off == BERTH_DNS_HEADER_LEN && q->question_len >= 5 &&
	       q->question_len <= BERTH_DNS_NAME_MAX + 2 + 4 && qlen >= BERTH_DNS_HEADER_LEN &&
	       q->question_len <= qlen - BERTH_DNS_HEADER_LEN;
}

static uint8_t *put_a_record(uint8_t *p, uint32_t addr, uint32_t ttl)
{
	wr16(p, DNS_QNAME_PTR);
	wr16(p + 2, BERTH_DNS_TYPE_A);
	wr16(p + 4, BERTH_DNS_CLASS_IN);
	wr32(p + 6, ttl);
	wr16(p + 10, 4);
	wr32(p + 12, addr);
	return p + DNS_A_RR_LEN;
}

ssize_t berth_dns_build_reply(const struct berth_dns_query *q, const uint8_t *query, size_t qlen,
			      unsigned rcode, const uint32_t *addrs, size_t n_addrs, uint32_t ttl,
			      uint8_t *out, size_t cap)
{
	size_t limit = cap < BERTH_DNS_MSG_MAX ? cap : BERTH_DNS_MSG_MAX;
	size_t qend, n = 0, fit, i;
	uint16_t flags;
	uint8_t *p;

	if (q == NULL || query == NULL || out == NULL || rcode > 15 || !question_fits(q, qlen)) {
		errno = EINVAL;
		return -1;
	}
	qend = BERTH_DNS_HEADER_LEN + q->question_len;
	if (limit < qend) {
		errno = ENOSPC;
		return -1;
	}
	if (rcode == BERTH_DNS_RCODE_NOERROR && q->qtype == BERTH_DNS_TYPE_A &&
	    q->qclass == BERTH_DNS_CLASS_IN && addrs)
		n = n_addrs;
	/* at most (65535 - 17) / 16 records fit, well inside ANCOUNT */
	fit = (limit - qend) / DNS_A_RR_LEN;
	flags = (uint16_t)(BERTH_DNS_FLAG_QR | BERTH_DNS_FLAG_RA | rcode |
			   (q->flags & (BERTH_DNS_FLAG_RD | BERTH_DNS_FLAG_CD)));
	if (n > fit) {
		n = fit;
		flags |= BERTH_DNS_FLAG_TC;
	}
	/* the question first: OUT may be QUERY, and the header is before it */
	memmove(out + BERTH_DNS_HEADER_LEN, query + BERTH_DNS_HEADER_LEN, q->question_len);
	wr16(out, q->id);
	wr16(out + 2, flags);
	wr16(out + 4, 1);
	wr16(out + 6, (uint16_t)n);
	wr16(out + 8, 0);
	wr16(out + 10, 0);
	p = out + qend;
	for (i = 0; i < n; i++)
		p = put_a_record(p, addrs[i], ttl);
	return (ssize_t)(p - out);
}

/* NAME (dotted, no trailing dot) in wire form at P, which has CAP bytes.
 * Returns the length, or 0 when NAME is not a valid name or does not fit. */
static size_t put_name(uint8_t *p, size_t cap, const char *name)
{
	size_t n = 0, l;

	if (*name == '\0') /* the root is no container's name */
		return 0;
	while (*name) {
		const char *dot = strchr(name, '.');
		l = dot ? (size_t)(dot - name) : strlen(name);
		if (l == 0 || l > BERTH_DNS_LABEL_MAX || cap - n < l + 2)
			return 0;
		p[n++] = (uint8_t)l;
		memcpy(p + n, name, l);
		n += l;
		name += l + (dot != NULL);
		if (dot && !*name) /* a trailing dot */
			return 0;
	}
	if (cap - n < 1 || n + 1 > BERTH_DNS_NAME_MAX + 2)
		return 0;
	p[n++] = 0;
	return n;
}

ssize_t berth_dns_build_ptr_reply(const struct berth_dns_query *q, const uint8_t *query,
				  size_t qlen, const char *name, uint32_t ttl, uint8_t *out,
				  size_t cap)
{
	size_t limit = cap < BERTH_DNS_MSG_MAX ? cap : BERTH_DNS_MSG_MAX, qend, nlen;
	uint8_t wire[BERTH_DNS_NAME_MAX + 2];
	ssize_t n;

	if (name == NULL || (nlen = put_name(wire, sizeof(wire), name)) == 0) {
		errno = EINVAL;
		return -1;
	}
	/* the header and question, no answer yet (NODATA for other types) */
	n = berth_dns_build_reply(q, query, qlen, BERTH_DNS_RCODE_NOERROR, NULL, 0, 0, out, cap);
	if (n < 0 || q->qtype != BERTH_DNS_TYPE_PTR || q->qclass != BERTH_DNS_CLASS_IN)
		return n;
	qend = (size_t)n;
	if (limit - qend < 12 + nlen) {
		wr16(out + 2, (uint16_t)(rd16(out + 2) | BERTH_DNS_FLAG_TC));
		return n;
	}
	wr16(out + qend, DNS_QNAME_PTR);
	wr16(out + qend + 2, BERTH_DNS_TYPE_PTR);
	wr16(out + qend + 4, BERTH_DNS_CLASS_IN);
	wr32(out + qend + 6, ttl);
	wr16(out + qend + 10, (uint16_t)nlen);
	memcpy(out + qend + 12, wire, nlen);
	wr16(out + 6, 1);
	return (ssize_t)(qend + 12 + nlen);
}

int berth_dns_reverse_addr(const char *qname, uint32_t *addr)
{
	static const char suffix[] = ".in-addr.arpa";
	size_t len = strlen(qname), sl = sizeof(suffix) - 1;
	uint32_t a = 0;
	const char *p = qname;
	int i;

	if (len <= sl || strcmp(qname + len - sl, suffix) != 0)
		return -1;
	for (i = 0; i < 4; i++) {
		unsigned v = 0, digits = 0;
		while (*p >= '0' && *p <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(*p++ - '0');
			digits++;
		}
		if (digits == 0 || digits > 3 || v > 255 || (digits > 1 && p[-(int)digits] == '0') ||
		    *p != '.')
			return -1;
		p++;
		a |= v << (8 * i);
	}
	if (p != qname + len - sl + 1)
		return -1;
	*addr = a;
	return 0;
}

int berth_dns_get_id(const uint8_t *msg, size_t len, uint16_t *id)
{
	if (msg == NULL || len < BERTH_DNS_HEADER_LEN)
		return -1;
	*id = rd16(msg);
	return 0;
}

void berth_dns_set_id(uint8_t *msg, uint16_t id)
{
	wr16(msg, id);
}

int berth_dns_check_response(const uint8_t *msg, size_t len)
{
	size_t off = BERTH_DNS_HEADER_LEN;
	uint16_t qdcount;

	if (msg == NULL || len < BERTH_DNS_HEADER_LEN || len > BERTH_DNS_MSG_MAX)
		return -1;
	if (!(rd16(msg + 2) & BERTH_DNS_FLAG_QR))
		return -1;
	qdcount = rd16(msg + 4);
	if (qdcount > 1)
		return -1;
	if (qdcount == 0)
		return 0;
	if (read_name(msg, len, &off, NULL) != NULL || len - off < 4)
		return -1;
	return 0;
}
