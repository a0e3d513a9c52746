/* SPDX-License-Identifier: MIT */
/*
 * The text forms of the [net "NAME"] keys (docs/networking.md): port
 * forwards, addresses, subnets and MAC addresses, and how a [net] section
 * becomes the user back end's settings. Used by config.c to check values
 * as they are set, and by the machine builder to create the back ends.
 *
 * Pure functions, any thread. On a parse error they return false and, if
 * @why is not NULL, set it to a g_malloc'd phrase that completes
 * "expected ..." (config.c's message form).
 */
#ifndef KVMKIT_VMM_NET_CONFIG_H
#define KVMKIT_VMM_NET_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "backend/net.h"
#include "config.h"

/* The host address of a forward that names none: loopback only, so that a
 * forward exposes nothing to other machines unless asked (0.0.0.0). */
#define NET_HOSTFWD_DEFAULT_HOST "127.0.0.1"

/* "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT" (QEMU's form; no
 * protocol means tcp). Ports 1..65535. */
bool net_config_parse_hostfwd(const char *spec, struct net_hostfwd *out, char **why);

/* A list of forwards separated by ';' (blanks around each ignored; empty
 * items skipped). On success *out is a g_malloc'd array of *n (NULL, 0 for
 * none). */
bool net_config_parse_hostfwds(const char *list, struct net_hostfwd **out, unsigned *n,
                               char **why);

/* Dotted quad, nothing else. */
bool net_config_parse_ipv4(const char *s, struct in_addr *out, char **why);

/* "A.B.C.D/N", N from 8 to 30, no host bits set. */
bool net_config_parse_subnet(const char *s, struct in_addr *net, struct in_addr *mask,
                             char **why);

/* "52:54:00:12:34:56" (or with '-'): a unicast address, not all zeros. */
bool net_config_parse_mac(const char *s, uint8_t mac[6], char **why);

/* A stable, locally administered unicast MAC derived from the VM and NIC
 * names (SHA-256), so a guest keeps its address (and DHCP lease) across
 * boots. */
void net_config_default_mac(const char *vm_name, const char *nic_name, uint8_t mac[6]);

/* An interface name: 1 to 15 bytes, no '/', ':' or blanks. */
bool net_config_check_ifname(const char *s, char **why);

/*
 * The user back end's settings from @n (keys already checked one by one):
 * defaults (host = network + 2, dns = + 3, dhcp-start = + 15) and the
 * checks between keys: every address inside the subnet and none its
 * network or broadcast address, host != dns, each forward's guest address
 * inside. On error sets *bad_key to the key to blame. p->fwd is
 * g_malloc'd: free it with g_free.
 */
bool net_config_user_params(const struct config_net *n, struct net_user_params *p,
                            const char **bad_key, char **why);

#endif
