/* fuzz_layer.c: layer tar streams (gzip / zstd / plain), unpacked into a
 * fresh temporary directory that is removed afterwards. */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "image/layer.h"

#define FUZZ_MAX_INPUT (100 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem {
	const uint8_t *data;
	size_t size, off;
};

static ssize_t mem_read(void *p, void *buf, size_t len)
{
	struct mem *m = p;
	size_t n = m->size - m->off;

	/* odd chunks, so that headers straddle reads */
	if (n > len)
		n = len;
	if (n > 4093)
		n = 4093;
	memcpy(buf, m->data + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[] = "/tmp/berth-fuzz-layer-XXXXXX";
	struct mem m = { data, size, 0 };
	/* odd sizes take the path walk used where openat2 is missing */
	struct berth_layer_options opts = { .max_entries = 4096, .no_openat2 = size % 2 };
	struct berth_layer_stats stats;
	berth_error_t err = NULL;
	cleanup_close int fd = -1;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	if (mkdtemp(dir) == NULL)
		abort();
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		abort();
	berth_layer_unpack_opts(mem_read, &m, fd, &opts, &stats, &err);
	berth_error_release(&err);
	/* berth_fs_remove_tree_contents stops at depth 256, which a layer may
	 * exceed; the layer's own removal has no such limit */
	if (berth_fs_remove_tree_contents(dir, &err) < 0)
		berth_error_release(&err);
	if (berth_layer_remove_tree(AT_FDCWD, dir, &err) < 0) {
		fprintf(stderr, "fuzz_layer: %s\n", err->msg);
		abort();
	}
	return 0;
}
