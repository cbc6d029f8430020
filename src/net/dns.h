/* dns.h: the DNS message codec of the embedded per-network resolver, pure.
 *
 * The resolver (docker's 127.0.0.11, podman's aardvark-dns) answers A
 * queries for container names and aliases and forwards everything else to
 * the host's resolvers. This module only reads queries and writes replies
 * (RFC 1035 section 4); it has no sockets and no allocation. Every input is
 * untrusted (it comes from containers or from the network), so every read is
 * bounds-checked and every limit has a name below. */
#ifndef BERTH_NET_DNS_H
#define BERTH_NET_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"

#define BERTH_DNS_HEADER_LEN 12
#define BERTH_DNS_NAME_MAX   253 /* dotted, without the trailing dot (255 on the wire) */
#define BERTH_DNS_LABEL_MAX  63
#define BERTH_DNS_UDP_MAX    512   /* a reply's size limit for plain UDP clients */
#define BERTH_DNS_MSG_MAX    65535 /* no DNS message is larger (TCP length prefix) */

/* Header flag bits (the 16-bit word after the id). */
#define BERTH_DNS_FLAG_QR 0x8000u
#define BERTH_DNS_FLAG_AA 0x0400u
#define BERTH_DNS_FLAG_TC 0x0200u
#define BERTH_DNS_FLAG_RD 0x0100u
#define BERTH_DNS_FLAG_RA 0x0080u
#define BERTH_DNS_FLAG_CD 0x0010u

enum {
	BERTH_DNS_TYPE_A = 1,
	BERTH_DNS_TYPE_PTR = 12,
	BERTH_DNS_TYPE_AAAA = 28,
	BERTH_DNS_TYPE_OPT = 41,
	BERTH_DNS_CLASS_IN = 1,
};

enum {
	BERTH_DNS_RCODE_NOERROR = 0,
	BERTH_DNS_RCODE_FORMERR = 1,
	BERTH_DNS_RCODE_SERVFAIL = 2,
	BERTH_DNS_RCODE_NXDOMAIN = 3,
	BERTH_DNS_RCODE_NOTIMP = 4,
	BERTH_DNS_RCODE_REFUSED = 5,
};

/* One parsed query. It borrows nothing: the question's bytes stay in the
 * caller's message, addressed by question_off/question_len. */
struct berth_dns_query {
	uint16_t id;
	uint16_t flags; /* the header's flag word as received (BERTH_DNS_FLAG_*) */
	/* Lower-cased (ASCII), dotted, no trailing dot; "" for the root. Only
	 * bytes 0x21..0x7e other than '.' occur, so it is safe to log. */
	char qname[BERTH_DNS_NAME_MAX + 1];
	uint16_t qtype;
	uint16_t qclass;
	size_t question_off;	/* the question section in the message: always 12 */
	size_t question_len;	/* its length: the wire name plus 4 */
	bool edns;		/* an EDNS0 OPT record came along (otherwise ignored) */
	uint16_t edns_udp_size; /* its advertised UDP payload size, 0 without one */
};

/* Parses the LEN bytes of MSG as a standard query into *Q: the header,
 * exactly one question and, optionally, one EDNS0 OPT record in the
 * additional section (ARCOUNT 1), which is checked for bounds and otherwise
 * ignored. Refused with EINVAL and a short reason: truncated input, trailing
 * bytes, a response (QR=1), an opcode other than QUERY, QDCOUNT != 1, answer
 * or authority records, an additional record that is not a root-named OPT,
 * compression pointers in the question (a query has nothing to point to),
 * labels longer than 63 bytes, names longer than 253 characters, and name
 * bytes outside 0x21..0x7e or a '.' inside a label (such names are never
 * container names; the caller may answer FORMERR or drop the packet). *Q is
 * only meaningful on success. */
int berth_dns_parse_query(const uint8_t *msg, size_t len, struct berth_dns_query *q,
			  berth_error_t *err);

/* Writes to OUT (CAP bytes) the reply to the query Q that was parsed from
 * QUERY (QLEN bytes): the same id, QR=1, opcode QUERY, AA=0, RD and CD
 * copied, RA=1 (it answers like a recursive resolver, as docker's does),
 * RCODE (0..15, e.g. BERTH_DNS_RCODE_NXDOMAIN), the question echoed byte for
 * byte (keeping the client's letter case, for DNS 0x20), and no additional
 * section. When RCODE is NOERROR and the question is A/IN, there is one A
 * record per address of ADDRS (host order), named by a compression pointer
 * to the question (0xC00C), with TTL; for any other question or rcode ADDRS
 * is ignored, so passing a known name's addresses for an AAAA question gives
 * NODATA (NOERROR, no answers). CAP is the size limit (BERTH_DNS_UDP_MAX over
 * UDP: the reply carries no OPT record, so a client's EDNS buffer size does
 * not apply); answers that do not fit are left off and TC is set. Nothing
 * is written past CAP. OUT may be QUERY itself (a reply in place). Returns
 * the reply's length, or -1 with errno EINVAL (Q does not match QUERY, bad
 * rcode) or ENOSPC (CAP cannot hold the header and question). */
ssize_t berth_dns_build_reply(const struct berth_dns_query *q, const uint8_t *query, size_t qlen,
			      unsigned rcode, const uint32_t *addrs, size_t n_addrs, uint32_t ttl,
			      uint8_t *out, size_t cap);

/* As berth_dns_build_reply with NOERROR, for a PTR question: one PTR
 * record whose target is NAME (dotted, no trailing dot, labels of 1..63
 * bytes). Another question type gets NODATA. When the record does not fit
 * CAP, TC is set and it is left off. Returns the length, or -1 with errno
 * EINVAL (a bad NAME or Q) or ENOSPC. */
ssize_t berth_dns_build_ptr_reply(const struct berth_dns_query *q, const uint8_t *query,
				  size_t qlen, const char *name, uint32_t ttl, uint8_t *out,
				  size_t cap);

/* The IPv4 address (host order) that the reverse name QNAME
 * ("4.3.2.1.in-addr.arpa", lower case, as parsed) asks for: 0, or -1 when
 * QNAME is not exactly four decimal octets under in-addr.arpa. */
int berth_dns_reverse_addr(const char *qname, uint32_t *addr);

/* The id of the message MSG (LEN bytes) into *ID: 0, or -1 when LEN is
 * shorter than a header. For forwarding: the resolver gives each upstream
 * query a fresh id and restores the client's in the answer. */
int berth_dns_get_id(const uint8_t *msg, size_t len, uint16_t *id);
/* Overwrites the id of MSG, which the caller guarantees holds at least 2
 * bytes (it passed berth_dns_get_id or berth_dns_check_response). */
void berth_dns_set_id(uint8_t *msg, uint16_t id);

/* Minimal check of an upstream answer before it is relayed to a container:
 * LEN between a header and BERTH_DNS_MSG_MAX, QR=1, QDCOUNT <= 1 and, with
 * one question, a name that is well-formed within LEN (labels up to 63
 * bytes, at most 255 bytes, no compression pointer: the question is the
 * first name of a message, so nothing precedes it to point to) followed by
 * its type and class. The rest of the message is the client's business.
 * Returns 0 or -1. */
int berth_dns_check_response(const uint8_t *msg, size_t len);

#endif
