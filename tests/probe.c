/* A static probe for tests/hardening.rs: runs inside a container and tries what busybox
 * cannot, printing one line per attempt, "NAME: RESULT", RESULT being "ok" or the errno's
 * name. Where the kernel would refuse a call on its own (a capability check), the arguments
 * are chosen so that it would fail differently (EBADF, EINVAL, ENOENT): an EPERM then comes
 * from the seccomp filter. Nothing here changes the host, filter or not.
 *
 * Built by the tests with `gcc -static -O2 tests/probe.c -o target/probe`. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *name, long r) {
	printf("%s: %s\n", name, r < 0 ? strerrorname_np(errno) : "ok");
	fflush(stdout);
}

/* A child for clone/clone3 that succeeded: it exits at once, the parent reaps it. */
static long reap(long pid) {
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid(pid, NULL, __WALL);
	return pid;
}

/* Everything the default filter denies, each in a way that is harmless without the filter. */
static void denied(void) {
	/* The target does not exist: the kernel looks it up before its capability check. */
	show("mount", mount("none", "/no-such-dir", "tmpfs", 0, NULL));
	show("umount2", umount2("/no-such-dir", 0));
	/* unshare(0) does nothing at all, but the filter refuses unshare whatever the flags. */
	show("unshare", unshare(0));
	show("clone_newuts", reap(syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, 0, 0, 0, 0)));
	show("clone_newuser", reap(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0)));
	show("clone_plain", reap(syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0)));
	/* clone3's arguments are behind a pointer: the filter says ENOSYS so libc falls back. */
	uint64_t args[11] = {0};
	args[4] = SIGCHLD; /* exit_signal */
	show("clone3", reap(syscall(SYS_clone3, args, sizeof args)));
	/* An operation keyctl does not have: EOPNOTSUPP from the kernel. */
	show("keyctl", syscall(SYS_keyctl, 9999, 0, 0, 0, 0));
	/* A NULL type: EFAULT from the kernel. */
	show("add_key", syscall(SYS_add_key, NULL, "d", "p", 1, 0));
	show("request_key", syscall(SYS_request_key, NULL, "d", NULL, 0));
	/* More segments than KEXEC_SEGMENT_MAX: EINVAL, after the CAP_SYS_BOOT check (EPERM). */
	show("kexec_load", syscall(SYS_kexec_load, 0, 1000, NULL, 0));
	/* fd 999 is not open: EBADF before the CAP_DAC_READ_SEARCH check. */
	char handle[64] = {0};
	show("open_by_handle_at", syscall(SYS_open_by_handle_at, 999, handle, O_RDONLY));
	/* Wrong magic: EINVAL after the CAP_SYS_BOOT check (EPERM). */
	show("reboot", syscall(SYS_reboot, 0, 0, 0, NULL));
	/* Another process: a child that waits to be killed. */
	pid_t child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	if (child < 0) {
		show("ptrace_attach", -1); /* fork's errno: never kill(-1) */
	} else {
		show("ptrace_attach", ptrace(PTRACE_SEIZE, child, 0, 0));
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	show("personality", personality(READ_IMPLIES_EXEC));
	int s = socket(AF_ALG, SOCK_SEQPACKET, 0);
	show("socket_af_alg", s);
	if (s >= 0)
		close(s);
	/* stdin is a pipe: ENOTTY from the kernel. */
	show("tiocsti", ioctl(0, TIOCSTI, "x"));
	/* Read-only in the container (EROFS); ENOENT where the kernel has no magic SysRq. */
	show("sysrq_trigger", open("/proc/sysrq-trigger", O_WRONLY));
	show("swapoff", swapoff("/no-such-file"));
	show("pivot_root", syscall(SYS_pivot_root, "/no-such-dir", "/no-such-dir"));
	/* Numbers past every table: ENOSYS from filter and kernel alike. */
	show("nr_1000", syscall(1000));
	/* What ordinary programs need. */
	show("getpid", getpid());
	show("mkdir", mkdir("/tmp/probe-dir", 0700));
	show("rmdir", rmdir("/tmp/probe-dir"));
}

/* int 0x80 from 64-bit code: the i386 entry, with i386 numbers (20 is getpid). The filter
 * kills the process at once (SIGSYS); without it this prints the pid. */
static void int80(void) {
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
	printf("int80: %ld\n", r);
}

/* An x32 call: getpid's number with __X32_SYSCALL_BIT. Killed too. */
static void x32(void) {
	printf("x32: %ld\n", syscall(0x40000000 | SYS_getpid));
}

/* The classic chroot escape: chroot into a subdirectory while the working directory stays
 * above it, climb with "..", and chroot there. Then look for `marker` (a host path). */
static void escape(const char *marker) {
	mkdir("/escape", 0755);
	show("chroot_sub", chroot("/escape"));
	for (int i = 0; i < 64; i++)
		chdir("..");
	show("chroot_dot", chroot("."));
	struct stat st;
	show("marker", stat(marker, &st));
	char cwd[4096];
	printf("cwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : strerrorname_np(errno));
	fflush(stdout);
	execl("/bin/ls", "ls", "/", NULL);
	show("exec_ls", -1);
}

/* A device node (type 'b' or 'c', major:minor) at `path`, unless `path` exists already;
 * then open it for reading and read one sector (reading changes nothing). */
static void node(const char *path, const char *type, unsigned maj, unsigned min) {
	struct stat st;
	int made = stat(path, &st) < 0;
	if (made)
		show("mknod", mknod(path, (*type == 'b' ? S_IFBLK : S_IFCHR) | 0600, makedev(maj, min)));
	int fd = open(path, O_RDONLY);
	show("open", fd);
	if (fd >= 0) {
		char sector[512];
		ssize_t n = read(fd, sector, sizeof sector);
		if (n < 0)
			show("read", n);
		else
			printf("read: %zd\n", n);
		close(fd);
	}
	if (made)
		unlink(path);
}

int main(int argc, char **argv) {
	if (argc == 2 && !strcmp(argv[1], "denied"))
		denied();
	else if (argc == 2 && !strcmp(argv[1], "int80"))
		int80();
	else if (argc == 2 && !strcmp(argv[1], "x32"))
		x32();
	else if (argc == 3 && !strcmp(argv[1], "escape"))
		escape(argv[2]);
	else if (argc == 6 && !strcmp(argv[1], "node"))
		node(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
	else {
		fprintf(stderr, "usage: probe denied|int80|x32|escape MARKER|node PATH b|c MAJOR MINOR\n");
		return 2;
	}
	return 0;
}
