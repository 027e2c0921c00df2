/* nslab-init: pid 1 of the lab world's level 1, and the creator of level 2 (the lab host).
 *
 *   usage: nslab-init [--nproc N] [--nice N] -- PROGRAM [ARG...]
 *
 * level1.sh execs this as its last step, in place of `unshare --user --map-root-user --mount
 * --pid --net --uts --ipc --cgroup --fork --kill-child -- PROGRAM...`, which it reproduces, with
 * three differences that keep the lab host away from level 1:
 *
 *   1. It is not dumpable. A process in the lab host can uncover level 1's /proc (a nested
 *      `unshare -m`, then `umount /proc`), and this process runs with the lab host's own
 *      credentials (it created that user namespace), so ptrace and /proc/1/mem would be open to
 *      lab root. __ptrace_may_access() refuses a task whose mm is not SUID_DUMP_USER unless the
 *      caller has CAP_SYS_PTRACE in the mm's user namespace, which is level 1's: the lab host
 *      has no capability there (kernel/ptrace.c; proc(5), /proc/pid/mem and "dumpable").
 *      execve(2) resets dumpable to 1 for a readable program with unchanged ids, so the prctl
 *      must come after the last exec: this program is that last exec (prctl(2), PR_SET_DUMPABLE).
 *   2. It holds no fd of nslab's. It closes everything above stderr at start (including the fd
 *      it was executed through) and points stdin/stdout/stderr at /dev/null after the fork; only
 *      the lab host's init keeps stdout until it has said READY (labhost.sh).
 *   3. It applies the floor of the lab's limits before creating level 2: RLIMIT_NPROC is
 *      counted per user namespace level and checked against the value the creator had when the
 *      namespace was made (kernel/ucount.c, is_rlimit_overlimit), so lab root cannot lift it,
 *      and the count covers this lab world only. A positive nice value cannot be lowered
 *      without CAP_SYS_NICE in the initial namespace (setpriority(2)).
 *
 * Written in the style of bubblewrap: one system call per line, every failure fatal and named.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080 /* Linux 5.6, <linux/sched.h> */
#endif

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

static void
die_with_error (const char *call)
{
  int err = errno;
  fprintf (stderr, "nslab-init: %s failed: %s\n", call, strerror (err));
  exit (1);
}

static void
die (const char *message)
{
  fprintf (stderr, "nslab-init: %s\n", message);
  exit (2);
}

static void
write_file (const char *path, const char *text)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  size_t length = strlen (text);
  if (fd < 0)
    die_with_error (path);
  /* A map must arrive in one write(2) (user_namespaces(7), "Defining user and group ID mappings"). */
  if (write (fd, text, length) != (ssize_t) length)
    die_with_error (path);
  if (close (fd) != 0)
    die_with_error (path);
}

/* Every fd above stderr: the one this program was executed through, and anything inherited. */
static void
close_inherited_fds (void)
{
  if (syscall (SYS_close_range, 3U, ~0U, 0U) == 0)
    return;
  for (int fd = 3; fd < 65536; fd++)
    close (fd);
}

static long
parse_number (const char *text)
{
  char *end = NULL;
  long value;
  errno = 0;
  value = strtol (text, &end, 10);
  if (errno != 0 || end == text || *end != '\0')
    die ("a number was expected");
  return value;
}

int
main (int argc, char **argv)
{
  long nproc = -1, nice_value = 0;
  uid_t uid = getuid ();
  gid_t gid = getgid ();
  char map[64];
  pid_t child;
  int status, null_fd, i, flags;

  close_inherited_fds ();

  for (i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--") == 0)
        break;
      if (i + 1 >= argc)
        die ("usage: nslab-init [--nproc N] [--nice N] -- PROGRAM [ARG...]");
      if (strcmp (argv[i], "--nproc") == 0)
        nproc = parse_number (argv[++i]);
      else if (strcmp (argv[i], "--nice") == 0)
        nice_value = parse_number (argv[++i]);
      else
        die ("unknown option");
    }
  if (i + 1 >= argc)
    die ("usage: nslab-init [--nproc N] [--nice N] -- PROGRAM [ARG...]");
  argv += i + 1;

  if (nproc > 0)
    {
      struct rlimit limit = { (rlim_t) nproc, (rlim_t) nproc };
      if (setrlimit (RLIMIT_NPROC, &limit) != 0)
        die_with_error ("setrlimit(RLIMIT_NPROC)");
    }
  if (nice_value > 0 && setpriority (PRIO_PROCESS, 0, (int) nice_value) != 0)
    die_with_error ("setpriority");

  /* What unshare(1) does for --user --map-root-user --mount --pid --net --uts --ipc --cgroup
   * (--time too where the kernel has time namespaces: level1.sh says why). */
  flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC
          | CLONE_NEWCGROUP;
  if (access ("/proc/self/ns/time", F_OK) == 0)
    flags |= CLONE_NEWTIME;
  if (unshare (flags) != 0)
    die_with_error ("unshare");
  write_file ("/proc/self/setgroups", "deny");
  snprintf (map, sizeof map, "0 %u 1", (unsigned) uid);
  write_file ("/proc/self/uid_map", map);
  snprintf (map, sizeof map, "0 %u 1", (unsigned) gid);
  write_file ("/proc/self/gid_map", map);
  /* unshare(1)'s default --propagation private: nothing below propagates back to level 1. */
  if (mount ("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    die_with_error ("mount(\"/\", MS_REC|MS_PRIVATE)");

  /* Executed as /proc/self/fd/N, it would be called "3" in ps; say what it is. */
  if (prctl (PR_SET_NAME, "nslab-init", 0, 0, 0) != 0)
    die_with_error ("prctl(PR_SET_NAME)");
  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    die_with_error ("prctl(PR_SET_DUMPABLE, 0)");

  child = fork ();
  if (child < 0)
    die_with_error ("fork");
  if (child == 0)
    {
      /* unshare(1)'s --kill-child, seen from the child: die with this process. (No getppid()
       * check for a parent that died first: the parent lives outside the new pid namespace, so
       * getppid() is 0 here; and if it died, the kernel kills all of level 1 anyway.) */
      if (prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
        die_with_error ("prctl(PR_SET_PDEATHSIG)");
      execvp (argv[0], argv);
      die_with_error ("execvp");
    }

  /* From here on this process holds nothing but /dev/null. */
  null_fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0)
    die_with_error ("open(\"/dev/null\")");
  for (i = 0; i <= 2; i++)
    if (dup2 (null_fd, i) < 0)
      die_with_error ("dup2");
  close (null_fd);

  /* pid 1 of level 1: reap every orphan; leave when the lab host's init is gone, and the
   * kernel then kills whatever is left in this pid namespace (pid_namespaces(7)). */
  for (;;)
    {
      pid_t done = waitpid (-1, &status, 0);
      if (done < 0 && errno == EINTR)
        continue;
      if (done < 0)
        return 1;
      if (done == child)
        return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
    }
}
