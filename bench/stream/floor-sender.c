// The C sender beside bench/stream/copy-floor.mjs: the same file sent to the same Node client over loopback,
// by one thread with blocking writes, three ways, to tell what the kernel costs from what Node costs:
//   read      pread into a 2 MiB buffer, then write it (Warren's two copies: page cache -> buffer -> socket)
//   mmap      the file mapped once, each 2 MiB of it written from the mapping (one copy: page cache -> socket)
//   sendfile  sendfile(2) in 2 MiB calls (RabbitMQ's stream plugin, osiris, sends chunks this way)
// Built and run by copy-floor.mjs --native MODE; alone: cc -O2 -o sender floor-sender.c &&
//   ./sender FILE PASSES MODE   (prints the port it listens on, then, on stderr, the CPU seconds it used)
#define _GNU_SOURCE
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOCK (2 << 20)

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void write_all(int s, const char *p, size_t n) {
  while (n > 0) {
    ssize_t k = write(s, p, n);
    if (k <= 0) die("write");
    p += k;
    n -= (size_t)k;
  }
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s FILE PASSES read|mmap|sendfile\n", argv[0]);
    return 2;
  }
  int passes = atoi(argv[2]);
  const char *mode = argv[3];
  int fd = open(argv[1], O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) die("open");
  int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof a;
  if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 1) != 0) die("listen");
  getsockname(ls, (struct sockaddr *)&a, &alen);
  printf("%d\n", ntohs(a.sin_port));
  fflush(stdout);
  int s = accept(ls, NULL, NULL);
  if (s < 0) die("accept");
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  char *buf = malloc(BLOCK);
  char *map = NULL;
  if (strcmp(mode, "mmap") == 0) {
    map = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) die("mmap");
  }
  for (int p = 0; p < passes; p++) {
    for (off_t off = 0; off < st.st_size;) {
      size_t n = st.st_size - off < BLOCK ? (size_t)(st.st_size - off) : BLOCK;
      if (map != NULL) {
        write_all(s, map + off, n);
        off += n;
      } else if (strcmp(mode, "sendfile") == 0) {
        if (sendfile(s, fd, &off, n) <= 0) die("sendfile");
      } else {
        if (pread(fd, buf, n, off) != (ssize_t)n) die("pread");
        write_all(s, buf, n);
        off += n;
      }
    }
  }
  close(s);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  fprintf(stderr, "%.3f\n", ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
  return 0;
}
