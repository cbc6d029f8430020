/* berthd.c: the daemon's binary. `berth daemon ARGS` executes it with its
 * own arguments unchanged ("berth", "daemon", ARGS); run directly it takes
 * ARGS after its name. */
#include "config.h"

#include <string.h>

#include "daemon/daemon.h"

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "daemon") == 0)
		return berth_daemon_main(argc - 1, argv + 1);
	return berth_daemon_main(argc, argv);
}
