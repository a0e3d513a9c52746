/* SPDX-License-Identifier: MIT */
#include "net_config.h"

#include <arpa/inet.h>
#include <string.h>

static bool failed(char **why, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static bool failed(char **why, const char *fmt, ...)
{
    if (why) {
        va_list ap;
        va_start(ap, fmt);
        *why = g_strdup_vprintf(fmt, ap);
        va_end(ap);
    }
    return false;
}

bool net_config_parse_ipv4(const char *s, struct in_addr *out, char **why)
{
    if (inet_pton(AF_INET, s, out) != 1)
        return failed(why, "an IPv4 address like 10.0.2.2");
    return true;
}

static bool parse_port(const char *s, uint16_t *out)
{
    guint64 v;
    if (!g_ascii_string_to_unsigned(s, 10, 1, 65535, &v, NULL))
        return false;
    *out = v;
    return true;
}

#define HOSTFWD_FORM "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT"

/* "ADDR:PORT" with ADDR optional; an empty ADDR gives @def. */
static bool parse_endpoint(const char *s, const char *def, struct in_addr *addr,
                           uint16_t *port, const char *what, char **why)
{
    const char *colon = strrchr(s, ':');
    if (!colon)
        return failed(why, HOSTFWD_FORM " (no ':' before the %s port)", what);
    g_autofree char *a = g_strndup(s, colon - s);
    if (!parse_port(colon + 1, port))
        return failed(why, HOSTFWD_FORM " (%s port \"%s\" is not 1 to 65535)", what, colon + 1);
    if (!*a) {
        addr->s_addr = def ? inet_addr(def) : 0;
        return true;
    }
    if (inet_pton(AF_INET, a, addr) != 1)
        return failed(why, HOSTFWD_FORM " (%s address \"%s\" is not an IPv4 address)", what, a);
    return true;
}

bool net_config_parse_hostfwd(const char *spec, struct net_hostfwd *out, char **why)
{
    const char *colon = strchr(spec, ':');
    const char *dash = strchr(spec, '-');
    if (!colon || !dash || strchr(dash + 1, '-'))
        return failed(why, HOSTFWD_FORM);
    g_autofree char *proto = g_strndup(spec, colon - spec);
    if (strcmp(proto, "udp") == 0)
        out->udp = true;
    else if (strcmp(proto, "tcp") == 0 || !*proto)
        out->udp = false;
    else
        return failed(why, HOSTFWD_FORM " (protocol \"%s\" is not tcp or udp)", proto);
    if (dash < colon)
        return failed(why, HOSTFWD_FORM);
    g_autofree char *host = g_strndup(colon + 1, dash - colon - 1);
    return parse_endpoint(host, NET_HOSTFWD_DEFAULT_HOST, &out->host_addr, &out->host_port,
                          "host", why) &&
           parse_endpoint(dash + 1, NULL, &out->guest_addr, &out->guest_port, "guest", why);
}

bool net_config_parse_hostfwds(const char *list, struct net_hostfwd **out, unsigned *n,
                               char **why)
{
    g_auto(GStrv) items = g_strsplit(list, ";", -1);
    g_autofree struct net_hostfwd *fwd = g_new0(struct net_hostfwd, g_strv_length(items) + 1);
    unsigned count = 0;
    for (size_t i = 0; items[i]; i++) {
        char *item = g_strstrip(items[i]);
        if (!*item)
            continue;
        g_autofree char *inner = NULL;
        if (!net_config_parse_hostfwd(item, &fwd[count], why ? &inner : NULL)) {
            if (why && g_strv_length(items) > 1)
                *why = g_strdup_printf("%s in \"%s\"", inner, item);
            else if (why)
                *why = g_steal_pointer(&inner);
            return false;
        }
        for (unsigned j = 0; j < count; j++)
            if (fwd[j].udp == fwd[count].udp && fwd[j].host_port == fwd[count].host_port &&
                fwd[j].host_addr.s_addr == fwd[count].host_addr.s_addr)
                return failed(why, "each host port forwarded once (\"%s\" repeats one)", item);
        count++;
    }
    *n = count;
    *out = count ? g_steal_pointer(&fwd) : NULL;
    return true;
}

bool net_config_parse_subnet(const char *s, struct in_addr *net, struct in_addr *mask,
                             char **why)
{
    const char *slash = strchr(s, '/');
    guint64 bits;
    struct in_addr a;
    g_autofree char *addr = slash ? g_strndup(s, slash - s) : NULL;
    if (!slash || inet_pton(AF_INET, addr, &a) != 1 ||
        !g_ascii_string_to_unsigned(slash + 1, 10, 8, 30, &bits, NULL))
        return failed(why, "a subnet like 10.0.2.0/24 (prefix length 8 to 30)");
    uint32_t m = 0xffffffffu << (32 - bits);
    if (ntohl(a.s_addr) & ~m)
        return failed(why, "a subnet address with no host bits set, like %s/%u",
                      inet_ntoa((struct in_addr){ htonl(ntohl(a.s_addr) & m) }), (unsigned)bits);
    *net = a;
    mask->s_addr = htonl(m);
    return true;
}

bool net_config_parse_mac(const char *s, uint8_t mac[6], char **why)
{
    unsigned v[6];
    char sep[5], tail;
    if (strlen(s) != 17 ||
        sscanf(s, "%2x%c%2x%c%2x%c%2x%c%2x%c%2x%c", &v[0], &sep[0], &v[1], &sep[1], &v[2],
               &sep[2], &v[3], &sep[3], &v[4], &sep[4], &v[5], &tail) != 11)
        return failed(why, "a MAC address like 52:54:00:12:34:56");
    for (unsigned i = 0; i < 5; i++)
        if (sep[i] != sep[0] || (sep[i] != ':' && sep[i] != '-'))
            return failed(why, "a MAC address like 52:54:00:12:34:56");
    for (unsigned i = 0; i < 17; i++)
        if (i % 3 != 2 && !g_ascii_isxdigit(s[i]))
            return failed(why, "a MAC address like 52:54:00:12:34:56");
    if (v[0] & 1)
        return failed(why, "a unicast MAC address (the first byte even)");
    if (!(v[0] | v[1] | v[2] | v[3] | v[4] | v[5]))
        return failed(why, "a MAC address other than 00:00:00:00:00:00");
    for (unsigned i = 0; i < 6; i++)
        mac[i] = v[i];
    return true;
}

void net_config_default_mac(const char *vm_name, const char *nic_name, uint8_t mac[6])
{
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    uint8_t digest[32];
    gsize len = sizeof(digest);
    g_checksum_update(sum, (const guchar *)vm_name, strlen(vm_name));
    g_checksum_update(sum, (const guchar *)"/", 1);
    g_checksum_update(sum, (const guchar *)nic_name, strlen(nic_name));
    g_checksum_get_digest(sum, digest, &len);
    memcpy(mac, digest, 6);
    mac[0] = (mac[0] & 0xfc) | 0x02;    /* locally administered, unicast */
}

bool net_config_check_ifname(const char *s, char **why)
{
    size_t len = strlen(s);
    if (len == 0 || len > 15 || strpbrk(s, "/: \t\n") || strcmp(s, ".") == 0 ||
        strcmp(s, "..") == 0)
        return failed(why, "an interface name of 1 to 15 bytes without '/', ':' or blanks");
    return true;
}

/* Parses an optional address key, or uses net + @offset. */
static bool address_key(const char *value, struct in_addr net, uint32_t offset,
                        struct in_addr *out, char **why)
{
    if (!value) {
        out->s_addr = htonl(ntohl(net.s_addr) + offset);
        return true;
    }
    return net_config_parse_ipv4(value, out, why);
}

/* Inside the subnet, and neither its network nor its broadcast address. */
static bool usable(struct in_addr a, struct in_addr net, struct in_addr mask)
{
    uint32_t h = ntohl(a.s_addr), n = ntohl(net.s_addr), m = ntohl(mask.s_addr);
    return (h & m) == n && h != n && h != (n | ~m);
}

bool net_config_user_params(const struct config_net *n, struct net_user_params *p,
                            const char **bad_key, char **why)
{
    memset(p, 0, sizeof(*p));
    p->restrict_ = n->restrict_;
    p->mtu = n->mtu;
    *bad_key = "net";
    if (!net_config_parse_subnet(n->net, &p->net, &p->mask, why))
        return false;
    const struct {
        const char *key, *value;
        uint32_t offset;
        struct in_addr *out;
    } addrs[] = {
        { "host", n->host, 2, &p->host },
        { "dns", n->dns, 3, &p->dns },
        { "dhcp-start", n->dhcp_start, 15, &p->dhcp_start },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(addrs); i++) {
        *bad_key = addrs[i].key;
        if (!address_key(addrs[i].value, p->net, addrs[i].offset, addrs[i].out, why))
            return false;
        if (!usable(*addrs[i].out, p->net, p->mask))
            return failed(why, "an address inside [net] net %s, not its network or "
                          "broadcast address", n->net);
    }
    *bad_key = "dns";
    if (p->dns.s_addr == p->host.s_addr)
        return failed(why, "an address other than [net] host");
    *bad_key = "hostfwd";
    struct net_hostfwd *fwd = NULL;
    unsigned n_fwd = 0;
    if (n->hostfwd && !net_config_parse_hostfwds(n->hostfwd, &fwd, &n_fwd, why))
        return false;
    for (unsigned i = 0; i < n_fwd; i++) {
        if (fwd[i].guest_addr.s_addr && !usable(fwd[i].guest_addr, p->net, p->mask)) {
            g_free(fwd);
            return failed(why, "guest addresses inside [net] net %s", n->net);
        }
    }
    p->fwd = fwd;
    p->n_fwd = n_fwd;
    *bad_key = NULL;
    return true;
}
