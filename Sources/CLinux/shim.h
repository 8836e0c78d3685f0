// Linux headers that Swift's Glibc module does not bring in: epoll, eventfd and accept4 (a GNU
// extension hidden without _GNU_SOURCE), used by Sockets.
#ifndef GRAO_CLINUX_SHIM_H
#define GRAO_CLINUX_SHIM_H
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

extern int accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags);

/// accept4 without the address out-parameters: the server does not log peer addresses.
static inline int clinux_accept4(int fd, int flags) { return accept4(fd, (struct sockaddr *)0, (socklen_t *)0, flags); }
#endif
