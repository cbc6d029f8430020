/* nft_dl.h: libnftables, loaded with dlopen the first time it is used.
 *
 * libnftables brings libnftnl, libxtables and libgmp: a daemon that never
 * touches a network does not need them. Include this instead of
 * <nftables/libnftables.h> (net/nft.c is the one user). A function not
 * listed fails to link: the build gives the daemon libnftables' headers
 * only.
 *
 * The loader (net/nft.c itself) defines BERTH_LAZYLIB_LOADER before the
 * first inclusion, to see the real names while it defines the table, then
 * undefines it and includes this header again to call through the table:
 * the redirections below sit outside the include guard for that reason. */
#ifndef BERTH_NET_NFT_DL_H
#define BERTH_NET_NFT_DL_H

#include <nftables/libnftables.h>

#include "base/lazylib.h"

#define BERTH_NFT_FUNCS(X)           \
	X(nft_ctx_buffer_error)      \
	X(nft_ctx_buffer_output)     \
	X(nft_ctx_free)              \
	X(nft_ctx_get_error_buffer)  \
	X(nft_ctx_get_output_buffer) \
	X(nft_ctx_new)               \
	X(nft_ctx_output_set_flags)  \
	X(nft_run_cmd_from_buffer)

BERTH_LAZYLIB_DECLARE(nft, NFT)

#endif

/* From here on every listed function is called through the table. */
#if !defined(BERTH_LAZYLIB_LOADER) && !defined(BERTH_NET_NFT_DL_CALLS)
#define BERTH_NET_NFT_DL_CALLS	  1
#define nft_ctx_buffer_error	  (berth_nft_api_get()->nft_ctx_buffer_error)
#define nft_ctx_buffer_output	  (berth_nft_api_get()->nft_ctx_buffer_output)
#define nft_ctx_free		  (berth_nft_api_get()->nft_ctx_free)
#define nft_ctx_get_error_buffer  (berth_nft_api_get()->nft_ctx_get_error_buffer)
#define nft_ctx_get_output_buffer (berth_nft_api_get()->nft_ctx_get_output_buffer)
#define nft_ctx_new		  (berth_nft_api_get()->nft_ctx_new)
#define nft_ctx_output_set_flags  (berth_nft_api_get()->nft_ctx_output_set_flags)
#define nft_run_cmd_from_buffer	  (berth_nft_api_get()->nft_run_cmd_from_buffer)
#endif
