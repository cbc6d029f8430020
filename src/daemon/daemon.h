/* daemon.h: the `berth daemon` entry point. */
#ifndef BERTH_DAEMON_DAEMON_H
#define BERTH_DAEMON_DAEMON_H

/* Runs the daemon with the arguments that follow `berth daemon` (argv[0] is
 * "daemon"). Returns the process exit status. Linux only. */
int berth_daemon_main(int argc, char **argv);

#endif
