/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for vmm/config/: [net "NAME"] and vmm/config/net_config.c, [log], [metrics], [security] and [limits] (the config suite, with
 * test_config.c; config_fixture.h).
 */
#include "config.h"
#include "config_fixture.h"
#include "net_config.h"

#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- [net "NAME"] and vmm/config/net_config.c ---------------------------------- */

static const struct config_net *nic(const struct vm_config *cfg, guint i)
{
    ck_assert_uint_lt(i, cfg->nets->len);
    return g_ptr_array_index(cfg->nets, i);
}

START_TEST(test_hostfwd_parser)
{
    struct net_hostfwd f;
    char *why = NULL;
    char a[INET_ADDRSTRLEN];

    ck_assert(net_config_parse_hostfwd("tcp:127.0.0.1:8080-:80", &f, NULL));
    ck_assert(!f.udp);
    ck_assert_str_eq(inet_ntop(AF_INET, &f.host_addr, a, sizeof(a)), "127.0.0.1");
    ck_assert_uint_eq(f.host_port, 8080);
    ck_assert_uint_eq(f.guest_addr.s_addr, 0);
    ck_assert_uint_eq(f.guest_port, 80);
    ck_assert(net_config_parse_hostfwd("udp:0.0.0.0:5353-10.0.2.20:53", &f, NULL));
    ck_assert(f.udp);
    ck_assert_uint_eq(f.host_addr.s_addr, 0);
    ck_assert_str_eq(inet_ntop(AF_INET, &f.guest_addr, a, sizeof(a)), "10.0.2.20");
    ck_assert_uint_eq(f.guest_port, 53);
    /* no protocol is tcp; no host address is loopback only */
    ck_assert(net_config_parse_hostfwd("::2222-:22", &f, NULL));
    ck_assert(!f.udp);
    ck_assert_str_eq(inet_ntop(AF_INET, &f.host_addr, a, sizeof(a)), "127.0.0.1");
    ck_assert(net_config_parse_hostfwd("tcp::65535-:1", &f, NULL));

    static const char *const bad[] = {
        "", "tcp", "tcp:127.0.0.1:8080", "sctp::80-:80", "tcp::0-:80",
        "tcp::65536-:80", "tcp::80-:0", "tcp::80-:x", "tcp::-80-:80",
        "tcp:localhost:80-:80", "tcp:1.2.3:80-:80", "tcp::80-1.2.3.4.5:80",
        "tcp::80", "tcp::80-80", "tcp::80--:80", "tcp::+80-:80",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        ck_assert_msg(!net_config_parse_hostfwd(bad[i], &f, NULL), "%s", bad[i]);
    ck_assert(!net_config_parse_hostfwd("tcp::99999-:80", &f, &why));
    ck_assert_str_eq(why, "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT "
                          "(host port \"99999\" is not 1 to 65535)");
    g_free(why);

    struct net_hostfwd *list = NULL;
    unsigned n = 9;
    ck_assert(net_config_parse_hostfwds(" tcp::8080-:80 ;udp::5353-:53;", &list, &n,
                                        NULL));
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(list[1].host_port, 5353);
    g_free(list);
    ck_assert(net_config_parse_hostfwds("", &list, &n, NULL));
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(list);
    /* the same host port twice; tcp and udp may share a number */
    ck_assert(!net_config_parse_hostfwds("tcp::80-:80;tcp::80-:81", &list, &n, NULL));
    ck_assert(net_config_parse_hostfwds("tcp::80-:80;udp::80-:80", &list, &n, NULL));
    g_free(list);
}
END_TEST

START_TEST(test_net_addresses_and_mac)
{
    struct in_addr net, mask, ip;
    uint8_t mac[6], mac2[6];

    ck_assert(net_config_parse_subnet("10.0.2.0/24", &net, &mask, NULL));
    ck_assert_uint_eq(ntohl(mask.s_addr), 0xffffff00);
    ck_assert(net_config_parse_subnet("192.168.0.0/16", &net, &mask, NULL));
    ck_assert(!net_config_parse_subnet("10.0.2.1/24", &net, &mask, NULL));
    ck_assert(!net_config_parse_subnet("10.0.2.0", &net, &mask, NULL));
    ck_assert(!net_config_parse_subnet("10.0.2.0/31", &net, &mask, NULL));
    ck_assert(!net_config_parse_subnet("10.0.2.0/x", &net, &mask, NULL));
    ck_assert(net_config_parse_ipv4("10.0.2.2", &ip, NULL));
    ck_assert(!net_config_parse_ipv4("10.0.2", &ip, NULL));

    ck_assert(net_config_parse_mac("52:54:00:12:34:5f", mac, NULL));
    ck_assert_uint_eq(mac[5], 0x5f);
    ck_assert(net_config_parse_mac("52-54-00-12-34-56", mac, NULL));
    ck_assert(!net_config_parse_mac("52:54:00:12:34", mac, NULL));
    ck_assert(!net_config_parse_mac("52:54-00:12:34:56", mac, NULL));
    ck_assert(!net_config_parse_mac("01:00:5e:00:00:01", mac, NULL)); /* multicast */
    ck_assert(!net_config_parse_mac("00:00:00:00:00:00", mac, NULL));
    ck_assert(!net_config_parse_mac("52:54:00:12:34:5g", mac, NULL));

    /* stable, locally administered, unicast, different per NIC and VM */
    net_config_default_mac("vm1", "eth0", mac);
    net_config_default_mac("vm1", "eth0", mac2);
    ck_assert_mem_eq(mac, mac2, 6);
    ck_assert_uint_eq(mac[0] & 3, 2);
    net_config_default_mac("vm1", "eth1", mac2);
    ck_assert(memcmp(mac, mac2, 6) != 0);
    net_config_default_mac("vm2", "eth0", mac2);
    ck_assert(memcmp(mac, mac2, 6) != 0);
}
END_TEST

START_TEST(test_net_file)
{
    struct vm_config cfg;
    put("bzImage", "k");
    put("vm.conf", "[boot]\nkernel = bzImage\n"
                   "[net \"eth0\"]\n"
                   "hostfwd = tcp:127.0.0.1:8080-:80; udp::5353-:53\n"
                   "restrict = yes\nmac = 52:54:00:12:34:56\n"
                   "[net \"lan\"]\nbackend = tap\nifname = tap0\noffload = off\n");
    ck_assert_ptr_null(run(&cfg, "vm.conf", NULL));
    ck_assert_uint_eq(cfg.nets->len, 2);
    ck_assert_str_eq(nic(&cfg, 0)->name, "eth0");
    ck_assert_int_eq(nic(&cfg, 0)->backend, CONFIG_NET_USER);
    ck_assert_str_eq(nic(&cfg, 0)->hostfwd, "tcp:127.0.0.1:8080-:80; udp::5353-:53");
    ck_assert(nic(&cfg, 0)->restrict_);
    ck_assert_str_eq(nic(&cfg, 0)->net, "10.0.2.0/24");
    ck_assert_str_eq(nic(&cfg, 0)->mac, "52:54:00:12:34:56");
    ck_assert_ptr_null(nic(&cfg, 0)->host);
    ck_assert_int_eq(nic(&cfg, 1)->backend, CONFIG_NET_TAP);
    ck_assert_str_eq(nic(&cfg, 1)->ifname, "tap0");
    ck_assert(!nic(&cfg, 1)->offload);

    struct net_user_params p;
    const char *key;
    char a[INET_ADDRSTRLEN];
    ck_assert(net_config_user_params(nic(&cfg, 0), &p, &key, NULL));
    ck_assert_str_eq(inet_ntop(AF_INET, &p.host, a, sizeof(a)), "10.0.2.2");
    ck_assert_str_eq(inet_ntop(AF_INET, &p.dns, a, sizeof(a)), "10.0.2.3");
    ck_assert_str_eq(inet_ntop(AF_INET, &p.dhcp_start, a, sizeof(a)), "10.0.2.15");
    ck_assert_uint_eq(p.n_fwd, 2);
    ck_assert(p.restrict_);
    g_free((void *)p.fwd);
    config_clear(&cfg);
}
END_TEST

START_TEST(test_net_flag)
{
    struct vm_config cfg;
    put("bzImage", "k");
    ck_assert_ptr_null(run(&cfg, "--kernel", "bzImage", "--net",
                           "user,hostfwd=tcp::8080-:80,hostfwd=udp::69-:69,"
                           "net=192.168.5.0/24,dns=192.168.5.53", "--net",
                           "tap,ifname=tap1", NULL));
    ck_assert_uint_eq(cfg.nets->len, 2);
    ck_assert_str_eq(nic(&cfg, 0)->name, "net0");
    ck_assert_str_eq(nic(&cfg, 0)->hostfwd, "tcp::8080-:80;udp::69-:69");
    ck_assert_str_eq(nic(&cfg, 0)->net, "192.168.5.0/24");
    ck_assert_str_eq(nic(&cfg, 0)->dns, "192.168.5.53");
    ck_assert_str_eq(nic(&cfg, 1)->name, "net1");
    ck_assert_str_eq(nic(&cfg, 1)->ifname, "tap1");
    ck_assert(nic(&cfg, 1)->offload);
    config_clear(&cfg);
    /* --set reaches a named NIC too */
    ck_assert_ptr_null(run(&cfg, "--kernel", "bzImage", "--set",
                           "net.up.hostfwd=tcp::2222-:22", NULL));
    ck_assert_str_eq(nic(&cfg, 0)->name, "up");
    config_clear(&cfg);
}
END_TEST

START_TEST(test_net_errors)
{
    put("bzImage", "k");
    ck_err(vm_err("[net \"eth0\"]\nhostfwd = tcp:127.0.0.1:8080-80\n"),
           "vm.conf: [net \"eth0\"] hostfwd: expected "
           "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT (no ':' before the guest "
           "port), got \"tcp:127.0.0.1:8080-80\"");
    ck_err(vm_err("[net \"eth0\"]\nhostfwd = tcp::80-:80;tcp::99-:x\n"),
           "vm.conf: [net \"eth0\"] hostfwd: expected "
           "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT (guest port \"x\" is not "
           "1 to 65535) in \"tcp::99-:x\", got \"tcp::80-:80;tcp::99-:x\"");
    ck_err(vm_err("[net \"eth0\"]\nnet = 10.0.2.0/33\n"),
           "vm.conf: [net \"eth0\"] net: expected a subnet like 10.0.2.0/24 (prefix "
           "length 8 to 30), got \"10.0.2.0/33\"");
    ck_err(vm_err("[net \"eth0\"]\nhost = 10.0.3.2\n"),
           "vm.conf: [net \"eth0\"] host: expected an address inside [net] net "
           "10.0.2.0/24, not its network or broadcast address, got \"10.0.3.2\"");
    ck_err(vm_err("[net \"eth0\"]\nnet = 10.1.0.0/29\n"),
           "vm.conf: [net \"eth0\"] net: the default dhcp-start does not fit: set it "
           "to an address inside [net] net 10.1.0.0/29, not its network or broadcast "
           "address");
    ck_err(vm_err("[net \"eth0\"]\ndns = 10.0.2.2\n"),
           "vm.conf: [net \"eth0\"] dns: expected an address other than [net] host, "
           "got \"10.0.2.2\"");
    ck_err(vm_err("[net \"eth0\"]\nhostfwd = tcp::80-10.9.9.9:80\n"),
           "vm.conf: [net \"eth0\"] hostfwd: expected guest addresses inside [net] net "
           "10.0.2.0/24, got \"tcp::80-10.9.9.9:80\"");
    ck_err(vm_err("[net \"eth0\"]\nmac = 01:02:03:04:05:06\n"),
           "vm.conf: [net \"eth0\"] mac: expected a unicast MAC address (the first "
           "byte even), got \"01:02:03:04:05:06\"");
    ck_err(vm_err("[net \"eth0\"]\nbackend = slirp\n"),
           "vm.conf: [net \"eth0\"] backend: expected user or tap, got \"slirp\"");
    ck_err(vm_err("[net \"eth0\"]\nbackend = tap\n"),
           "vm.conf: [net \"eth0\"] ifname: required with backend = tap");
    ck_err(vm_err("[net \"eth0\"]\nbackend = tap\nifname = t0\nhostfwd = ::80-:80\n"),
           "vm.conf: [net \"eth0\"] hostfwd: only backend = user takes it, "
           "[net \"eth0\"] backend is tap");
    ck_err(vm_err("[net \"eth0\"]\nifname = tap0\n"),
           "vm.conf: [net \"eth0\"] ifname: only backend = tap takes it, "
           "[net \"eth0\"] backend is user");
    ck_err(vm_err("[net \"eth0\"]\nbackend = tap\nifname = a/b\n"),
           "vm.conf: [net \"eth0\"] ifname: expected an interface name of 1 to 15 "
           "bytes without '/', ':' or blanks, got \"a/b\"");
    ck_err(vm_err("[net \"a\"]\n[net \"b\"]\n[net \"c\"]\n[net \"d\"]\n[net \"e\"]\n"),
           "too many NICs: 5 given, at most 4 are supported");
    ck_err(run_err("--kernel", "bzImage", "--net", "user,hostfwd=tcp::0-:80", NULL),
           "--net hostfwd: expected [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT "
           "(host port \"0\" is not 1 to 65535), got \"tcp::0-:80\"");
    ck_err(run_err("--kernel", "bzImage", "--net", "user,restrict", NULL),
           "--net: expected KEY=VALUE after \"user,\", got \"restrict\"");
    ck_err(run_err("--kernel", "bzImage", "--net", "", NULL),
           "--net: expected user|tap[,KEY=VALUE...], got \"\"");
    ck_err(run_err("--kernel", "bzImage", "--net", "user,colour=red", NULL),
           "--net colour: unknown key \"colour\" in [net \"net0\"]");
}
END_TEST

/* ---- [log] and [metrics] ------------------------------------------------ */

START_TEST(test_log_and_metrics)
{
    put("bzImage", "k");
    mkdir("logs", 0755);
    struct vm_config cfg;
    ck_assert_ptr_null(run(&cfg, "--kernel", "bzImage", NULL));
    ck_assert_int_eq(cfg.log_format, LOG_FORMAT_TEXT);
    ck_assert_int_eq(cfg.log_level, LOG_LEVEL_INFO);
    ck_assert_ptr_null(cfg.log_file);
    ck_assert_ptr_null(cfg.metrics_file);
    ck_assert_uint_eq(cfg.metrics_interval, 10);
    config_clear(&cfg);

    ck_assert_ptr_null(run(&cfg, "--kernel", "bzImage", "--log-format", "json",
                           "--log-file", "logs/kvmkit.log", "--set", "log.level=debug",
                           "--set", "metrics.file=logs/m.json",
                           "--set", "metrics.interval=2", NULL));
    ck_assert_int_eq(cfg.log_format, LOG_FORMAT_JSON);
    ck_assert_int_eq(cfg.log_level, LOG_LEVEL_DEBUG);
    ck_assert_str_eq(cfg.log_file, in_tmp("logs/kvmkit.log"));
    ck_assert_str_eq(cfg.metrics_file, in_tmp("logs/m.json"));
    ck_assert_uint_eq(cfg.metrics_interval, 2);
    config_clear(&cfg);

    /* The same from a file, paths relative to it. */
    put("vm.conf", "[boot]\nkernel = bzImage\n[log]\nformat = text\nlevel = warning\n"
                   "file = logs/a.log\n[metrics]\nfile = logs/b.json\ninterval = 86400\n");
    ck_assert_ptr_null(run(&cfg, "vm.conf", NULL));
    ck_assert_int_eq(cfg.log_level, LOG_LEVEL_WARNING);
    ck_assert_str_eq(cfg.log_file, in_tmp("logs/a.log"));
    ck_assert_uint_eq(cfg.metrics_interval, 86400);
    config_clear(&cfg);

    ck_err(run_err("--log-format", "xml", NULL),
           "--log-format: expected text or json, got \"xml\"");
    ck_err(run_err("--set", "log.level=loud", NULL),
           "--set log.level: expected error, warning, info or debug, got \"loud\"");
    ck_err(vm_err("[metrics]\ninterval = 0\n"),
           "vm.conf: [metrics] interval: expected an integer from 1 to 86400, got \"0\"");
    ck_err(run_err("--kernel", "bzImage", "--log-file", "no/kvmkit.log", NULL),
           fmt("--log-file: no such directory: %s", in_tmp("no")));
    ck_err(run_err("--kernel", "bzImage", "--set", "metrics.file=logs", NULL),
           fmt("--set metrics.file: expected a file, got a directory: %s", in_tmp("logs")));
}
END_TEST

START_TEST(test_security_and_limits)
{
    put("bzImage", "k");
    mkdir("jail", 0755);
    struct vm_config cfg;
    ck_assert_ptr_null(run(&cfg, "--kernel", "bzImage", NULL));
    ck_assert_int_eq(cfg.seccomp, CONFIG_SECCOMP_ON);
    ck_assert_ptr_null(cfg.security_user);
    ck_assert_ptr_null(cfg.security_chroot);
    ck_assert_str_eq(cfg.namespaces, "none");
    ck_assert_ptr_null(cfg.limit_cpu);
    ck_assert_uint_eq(cfg.limit_memory, 0);
    config_clear(&cfg);

    put("vm.conf", "[boot]\nkernel = bzImage\n[security]\nseccomp = log\nuser = 1000:1000\n"
                   "chroot = jail\nnamespaces = uts,mount,pid\n[limits]\ncpu = 1.5\n"
                   "memory = 600M\n");
    ck_assert_ptr_null(run(&cfg, "vm.conf", NULL));
    ck_assert_int_eq(cfg.seccomp, CONFIG_SECCOMP_LOG);
    ck_assert_str_eq(cfg.security_user, "1000:1000");
    ck_assert_str_eq(cfg.security_chroot, in_tmp("jail"));
    ck_assert_str_eq(cfg.limit_cpu, "1.5");
    ck_assert_uint_eq(cfg.limit_memory, 600 << 20);
    unsigned bits = 0;
    g_autofree char *expected = NULL;
    ck_assert(config_parse_namespaces(cfg.namespaces, &bits, &expected));
    ck_assert_uint_eq(bits, CONFIG_NS_UTS | CONFIG_NS_MOUNT | CONFIG_NS_PID);
    config_clear(&cfg);

    ck_assert_ptr_null(run(&cfg, "--kernel", "bzImage", "--set", "security.seccomp=off",
                           "--set", "security.user=nobody", NULL));
    ck_assert_int_eq(cfg.seccomp, CONFIG_SECCOMP_OFF);
    ck_assert_str_eq(cfg.security_user, "nobody");
    config_clear(&cfg);

    unsigned milli = 0;
    ck_assert(config_parse_cpu_limit("1.5", &milli) && milli == 1500);
    ck_assert(config_parse_cpu_limit("0.01", &milli) && milli == 10);
    ck_assert(config_parse_cpu_limit("2", &milli) && milli == 2000);
    ck_assert(config_parse_cpu_limit("0.125", &milli) && milli == 125);
    static const char *const bad_cpu[] = { "0", "0.001", "1.", ".5", "1.2345", "-1", "1e3",
                                           "1025", "one" };
    for (size_t i = 0; i < G_N_ELEMENTS(bad_cpu); i++)
        ck_assert_msg(!config_parse_cpu_limit(bad_cpu[i], &milli), "%s", bad_cpu[i]);

    ck_err(run_err("--set", "security.seccomp=maybe", NULL),
           "--set security.seccomp: expected on, off or log, got \"maybe\"");
    ck_err(run_err("--set", "security.user=Root!", NULL),
           "--set security.user: expected a user name or UID:GID, got \"Root!\"");
    static const char *const bad_ns[] = { "mount,user", "pid,pid", "pid,", "PID" };
    for (size_t i = 0; i < G_N_ELEMENTS(bad_ns); i++)
        ck_err(run_err("--set", fmt("security.namespaces=%s", bad_ns[i]), NULL),
               fmt("--set security.namespaces: expected none, or a list of mount, pid, net, "
                   "ipc, uts separated by ',', each at most once, got \"%s\"", bad_ns[i]));
    ck_err(run_err("--set", "limits.cpu=0", NULL),
           "--set limits.cpu: expected a number of cores from 0.01 to 1024, like 1.5, "
           "got \"0\"");
    ck_err(run_err("--set", "limits.memory=12X", NULL),
           "--set limits.memory: expected a size like 512M, got \"12X\"");
    ck_err(run_err("--kernel", "bzImage", "--set", "security.chroot=nowhere", NULL),
           fmt("--set security.chroot: %s is not a directory", in_tmp("nowhere")));
    ck_err(run_err("--kernel", "bzImage", "--net", "user", "--set",
                   "security.namespaces=net", NULL),
           "--set security.namespaces: net: [net \"net0\"] has backend = user, which needs "
           "the host's network; use backend = tap or drop net");
}
END_TEST

void config_net_tests(TCase *tc)
{
    tcase_add_test(tc, test_hostfwd_parser);
    tcase_add_test(tc, test_net_addresses_and_mac);
    tcase_add_test(tc, test_net_file);
    tcase_add_test(tc, test_net_flag);
    tcase_add_test(tc, test_net_errors);
    tcase_add_test(tc, test_log_and_metrics);
    tcase_add_test(tc, test_security_and_limits);
}
