#include "config.h"

#include <stdio.h>

#include "cli/units.h"

static const char *const decimal_units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB" };
static const char *const binary_units[] = { "B",   "KiB", "MiB", "GiB", "TiB",
					    "PiB", "EiB", "ZiB", "YiB" };

/* go-units CustomSize: divide while the size reaches BASE, then "%.Ng".
 * Go's %g and C's agree for the magnitudes this produces (below BASE). */
static char *custom_size(double size, int prec, double base, const char *const *units, char *buf,
			 size_t len)
{
	size_t i = 0;

	while (size >= base && i < 8) {
		size /= base;
		i++;
	}
	snprintf(buf, len, "%.*g%s", prec, size, units[i]);
	return buf;
}

char *berth_units_human_size_prec(double size, int prec, char *buf, size_t len)
{
	return custom_size(size, prec, 1000.0, decimal_units, buf, len);
}

char *berth_units_human_size(double size, char *buf, size_t len)
{
	return custom_size(size, 4, 1000.0, decimal_units, buf, len);
}

char *berth_units_bytes_size(double size, char *buf, size_t len)
{
	return custom_size(size, 4, 1024.0, binary_units, buf, len);
}
