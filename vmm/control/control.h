/* SPDX-License-Identifier: MIT */
/*
 * The control socket (docs/control.md): a Unix stream socket speaking one
 * JSON object per line each way. Requests: {"cmd": "status" | "pause" |
 * "resume" | "snapshot" (with "path") | "stop"}; replies {"ok": true, ...}
 * or {"ok": false, "error": "why"}. A malformed request gets an error reply
 * and changes nothing.
 *
 * Server: on the VM's main loop (main thread). Client: `kvmkit ctl`.
 */
#ifndef KVMKIT_CONTROL_H
#define KVMKIT_CONTROL_H

#include <stdbool.h>
#include <glib.h>

struct vm;
struct control;

/*
 * Listens on @path (mode 0600). A stale socket file left by a dead kvmkit
 * is replaced; one another process still answers on is refused.
 */
struct control *control_new(struct vm *vm, const char *path, GError **errp);

/* Closes every connection and removes the socket file. */
void control_free(struct control *c);

/*
 * Client: sends one request ("status", "pause", "resume", "stop", or
 * "snapshot" with @arg the path, made absolute here) and returns the reply
 * line (caller frees), or NULL with @errp set if the socket cannot be
 * reached. *@ok tells whether the reply says ok.
 */
char *control_request(const char *socket_path, const char *verb, const char *arg,
                      bool *ok, GError **errp);

#endif
