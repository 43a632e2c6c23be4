/* Prints `count` short lines ("line <n>\n", n from 1) as fast as it can: one big buffer, few write(2)s. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char buf[1 << 16];
static size_t used;

static void flush(void) {
  size_t off = 0;
  while (off < used) {
    ssize_t n = write(1, buf + off, used - off);
    if (n < 0) exit(1);
    off += (size_t)n;
  }
  used = 0;
}

int main(int argc, char **argv) {
  long count = argc > 1 ? atol(argv[1]) : 1000000;
  for (long i = 1; i <= count; i++) {
    if (used + 32 > sizeof buf) flush();
    used += (size_t)sprintf(buf + used, "line %ld\n", i);
  }
  flush();
  return 0;
}
