/*
 * Prints `line_bytes` bytes of 'a' with no terminator, then `random_bytes`
 * bytes of xorshift32 noise from `seed` (each state's 4 bytes, little-endian),
 * so a verifier can regenerate exactly what was printed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned char buf[1 << 16];

static void put(size_t n) {
  size_t off = 0;
  while (off < n) {
    ssize_t w = write(1, buf + off, n - off);
    if (w < 0) exit(1);
    off += (size_t)w;
  }
}

int main(int argc, char **argv) {
  if (argc < 4) return 2;
  long long line_bytes = atoll(argv[1]);
  long long random_bytes = atoll(argv[2]);
  uint32_t x = (uint32_t)strtoul(argv[3], NULL, 10);
  memset(buf, 'a', sizeof buf);
  for (long long left = line_bytes; left > 0; left -= sizeof buf) put(left < (long long)sizeof buf ? (size_t)left : sizeof buf);
  for (long long left = random_bytes; left > 0; left -= sizeof buf) {
    size_t n = left < (long long)sizeof buf ? (size_t)left : sizeof buf;
    for (size_t i = 0; i < n; i += 4) {
      x ^= x << 13; x ^= x >> 17; x ^= x << 5;
      for (size_t k = 0; k < 4 && i + k < n; k++) buf[i + k] = (unsigned char)(x >> (8 * k));
    }
    put(n);
  }
  return 0;
}
