/* main.c: the berth binary. The command table lands with the commands; until
 * then the binary only says so. */
#include "config.h"

#include <stdio.h>

int main(void) {
  fputs("berth: no commands yet\n", stderr);
  return 1;
}
