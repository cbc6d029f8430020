/* units.h: docker's go-units sizes, as the CLI prints them. */
#ifndef BERTH_CLI_UNITS_H
#define BERTH_CLI_UNITS_H

#include <stddef.h>

/* Room for any result of the functions below. */
#define BERTH_UNITS_BUFSIZE 64

/* units.HumanSizeWithPrecision: decimal units (B, kB, MB, GB, ...) with
 * PREC significant digits, "%.<PREC>g<unit>": 1980000 -> "1.98MB". */
char *berth_units_human_size_prec(double size, int prec, char *buf, size_t len);

/* units.HumanSize: berth_units_human_size_prec with 4 digits. */
char *berth_units_human_size(double size, char *buf, size_t len);

/* units.BytesSize: binary units (B, KiB, MiB, GiB, ...), 4 digits:
 * 25200000000 -> "23.47GiB". */
char *berth_units_bytes_size(double size, char *buf, size_t len);

#endif
