/* The floor of make bench: the container runix makes by default (`runix run -r ROOT CMD`), its
 * namespaces, mounts, hostname and lo, and nothing else: no hardening (capabilities, masked and
 * read-only paths, seccomp, cgroups, device rules), no checks, no re-execution, no sync with the
 * parent. What a runtime costs above this is the runtime, not the container.
 *
 * usage: floor [--net host] ROOT CMD [ARG...]    (root; built by bench.sh: gcc -O2 -static)
 *        --net host: no network namespace, as `runix run --net host`
 * Exits with CMD's status (128+N if killed by signal N); 125 if a step fails, 127 if exec does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static char **args; /* ROOT CMD [ARG...] */
static int host_net;
static char stack[64 * 1024] __attribute__((aligned(16)));

static void die(const char *what) {
    fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
    _exit(125);
}
#define CHECK(call) do { if ((call) < 0) die(#call); } while (0)

static int child(void *unused) {
    (void)unused;
    const char *root = args[0];
    /* Our mounts must not propagate back to the host. */
    CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
    CHECK(sethostname("container", 9));
    if (!host_net) { /* lo up in the new network namespace, as runix (and crun, runc) do */
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr = {.ifr_name = "lo", .ifr_flags = IFF_UP | IFF_RUNNING};
        CHECK(s);
        CHECK(ioctl(s, SIOCSIFFLAGS, &ifr));
        close(s);
    }
    /* pivot_root wants the new root to be a mount point. */
    CHECK(mount(root, root, NULL, MS_BIND | MS_REC, NULL));
    CHECK(chdir(root)); /* onto the bind: the paths below are relative to it */
    CHECK(mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL));
    CHECK(mount("sysfs", "sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL));
    CHECK(mount("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k"));
    /* /dev's six nodes, made as runix makes them as root (mknod, not binds). */
    static const struct { const char *name; unsigned maj, min; } nodes[] = {
        {"dev/null", 1, 3}, {"dev/zero", 1, 5}, {"dev/full", 1, 7},
        {"dev/random", 1, 8}, {"dev/urandom", 1, 9}, {"dev/tty", 5, 0}};
    umask(0);
    for (size_t i = 0; i < sizeof nodes / sizeof *nodes; i++)
        CHECK(mknod(nodes[i].name, S_IFCHR | 0666, makedev(nodes[i].maj, nodes[i].min)));
    CHECK(mkdir("dev/pts", 0755));
    CHECK(mount("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                "gid=5,newinstance,ptmxmode=0666,mode=0620"));
    CHECK(symlink("pts/ptmx", "dev/ptmx"));
    CHECK(mkdir("dev/shm", 01777));
    CHECK(mount("shm", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k"));
    CHECK(mkdir("dev/mqueue", 0755));
    CHECK(mount("mqueue", "dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL));
    /* The symlinks every container's /dev has. */
    CHECK(symlink("/proc/self/fd", "dev/fd"));
    CHECK(symlink("/proc/self/fd/0", "dev/stdin"));
    CHECK(symlink("/proc/self/fd/1", "dev/stdout"));
    CHECK(symlink("/proc/self/fd/2", "dev/stderr"));
    umask(022);
    /* The root moves: the old one is stacked under the new and detached, as runc does it. */
    CHECK(syscall(SYS_pivot_root, ".", "."));
    CHECK(umount2(".", MNT_DETACH));
    CHECK(chdir("/"));
    execv(args[1], args + 1);
    fprintf(stderr, "floor: exec %s: %s\n", args[1], strerror(errno));
    _exit(127);
}

int main(int argc, char **argv) {
    host_net = argc > 2 && !strcmp(argv[1], "--net") && !strcmp(argv[2], "host");
    args = argv + 1 + 2 * host_net;
    if (argc - 1 - 2 * host_net < 2) {
        fputs("usage: floor [--net host] ROOT CMD [ARG...]\n", stderr);
        return 125;
    }
    /* All six namespaces in one clone(2) (runix joins its cgroup first, so it unshares the
     * cgroup namespace in the child; without a cgroup there is nothing to wait for). */
    int flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
                CLONE_NEWCGROUP | SIGCHLD;
    if (host_net) flags &= ~CLONE_NEWNET;
    pid_t pid = clone(child, stack + sizeof stack, flags, NULL);
    if (pid < 0) die("clone");
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) die("waitpid");
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
