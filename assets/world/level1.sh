# nslab lab world, level 1. Runs as pid 1 of a new pid namespace, as root of a new user
# namespace whose root maps to an unprivileged uid (never to the real root), in a new,
# private mount namespace (util-linux unshare makes it private by default, so nothing
# below propagates to the real machine). It assembles the lab host's root on a tmpfs,
# pivots into it, extracts the container rootfs from stdin, then creates level 2.
# Environment: NSLAB_LABHOST, the level-2 (lab host) script; NSLAB_INIT_FD, NSLAB_NPROC,
# NSLAB_NICE and NSLAB_TMPFS_SIZE from src/world/limits.ts and init-binary.ts.
set -eu
unset NSLAB_LEVEL1

# A tmpfs over /tmp is visible only in this mount namespace; it becomes the new root. It may
# be as big as the lab's memory limit (NSLAB_TMPFS_SIZE): its pages count against that anyway.
new_root=/tmp
mount -t tmpfs -o "mode=0755,size=${NSLAB_TMPFS_SIZE:-1g}" nslab-root "$new_root"
cd "$new_root"

# Every command below is an exec on the way to the first prompt (about a millisecond each on a
# small VM), so the tree is made in as few as the shell allows: one mkdir, one cp, one touch,
# one mount for every bind and file system, the fstab it reads written by the shell itself.
# Merged-/usr systems have /bin, /lib... as symlinks into usr/ (copied as they are, cp -P);
# others have directories, bound like /usr.
links=
binds="usr etc"
for dir in bin sbin lib lib32 lib64 libx32; do
  if [ -L "/$dir" ]; then
    links="$links /$dir"
  elif [ -d "/$dir" ]; then
    binds="$binds $dir"
  fi
done
# shellcheck disable=SC2086 # the names are words on purpose
mkdir -p $binds proc dev/pts dev/shm sys tmp var/tmp root home mnt srv run/nslab labs/rootfs old_root
chmod 1777 tmp var/tmp
# shellcheck disable=SC2086
if [ -n "$links" ]; then cp -P $links .; fi
touch dev/null dev/zero dev/full dev/random dev/urandom dev/tty

# The real system, read-only. Read-only binds are not yet locked here (we own this mount
# namespace), but level 2 is a nested user+mount namespace: the kernel then marks them
# MNT_LOCKED and refuses remount,rw and umount there (mount_namespaces(7), "restrictions").
# "bind,ro" is the bind and the read-only remount in one entry (util-linux 2.27+, mount(8)
# "bind mount operation"), and `mount --all` mounts the entries in their order (mount(8)).
# Device nodes cannot be created in a user namespace (mknod needs CAP_MKNOD in the initial
# namespace), so the harmless ones are bound. A new devpts instance keeps the real machine's
# terminals out of sight (devpts(5), "newinstance"). The fstab is a file: libmount does not
# read one from a pipe.
fstab=
for dir in $binds; do
  fstab="$fstab/$dir $new_root/$dir none bind,ro 0 0
"
done
for node in null zero full random urandom tty; do
  fstab="$fstab/dev/$node $new_root/dev/$node none bind 0 0
"
done
fstab="${fstab}nslab-devpts $new_root/dev/pts devpts newinstance,ptmxmode=0666,mode=0620 0 0
nslab-proc $new_root/proc proc defaults 0 0
"
printf '%s' "$fstab" >.nslab-fstab
mount --all --fstab "$new_root/.nslab-fstab"
rm .nslab-fstab
ln -s pts/ptmx /proc/self/fd dev/
ln -s /proc/self/fd/0 dev/stdin
ln -s /proc/self/fd/1 dev/stdout
ln -s /proc/self/fd/2 dev/stderr
ln -s /run var/run

# pivot_root(2) needs the new root to be a mount point (it is: the tmpfs). Detaching the
# old root leaves no path back to the real file system in this mount namespace.
pivot_root . old_root
cd /
umount -l /old_root
rmdir /old_root

# The container image arrives on stdin as a tar stream that nslab sanitized beforehand;
# extracting it after the pivot means even a hostile archive can only write into the tmpfs.
tar -x -f - -C /labs/rootfs --no-same-owner
exec </dev/null

# A machine without iputils ping: nslab built its own into the rootfs (src/rootfs/build.ts);
# the lab host gets a copy on its PATH (/labs/bin, see labEnvironment in src/world/world.ts),
# since its /usr is the machine's own, read-only.
if ! command -v ping >/dev/null 2>&1 && [ -f /labs/rootfs/usr/libexec/nslab/ping ] && [ ! -L /labs/rootfs/usr/libexec/nslab/ping ]; then
  mkdir -p /labs/bin
  cp /labs/rootfs/usr/libexec/nslab/ping /labs/bin/ping
fi

# One prompt for both panes, coloured by hostname so "host" and "container" stand apart.
# Kept in ~/.bashrc rather than an exported PS1, which sh(1) would print with raw escapes.
# Written by the shell's own printf, not cat and cp: two execs fewer.
bashrc='case "$(hostname)" in host) c=32 ;; container) c=36 ;; *) c=33 ;; esac
PS1="\[\e[1;${c}m\]\u@\h\[\e[0m\]:\w\\$ "
unset c
'
if [ ! -d /labs/rootfs/root ]; then mkdir -p /labs/rootfs/root; fi
printf '%s' "$bashrc" >/root/.bashrc
printf '%s' "$bashrc" >/labs/rootfs/root/.bashrc

# Level 2: the lab host. Its own user namespace locks the binds above; its own net, uts,
# ipc, pid and cgroup namespaces must be owned by that user namespace so lab root can set
# the hostname and configure links (they would be EPERM if owned by level 1).
# A time namespace too where the kernel has them (5.6+): `nsenter -a` enters every namespace
# type of its target, and setns(2) into a time namespace owned by the machine's user namespace
# is EPERM, so without one of the lab's own the tutorial's `nsenter -t PID -a` fails.
# (nslab-init does the same.)
time_ns=
if [ -e /proc/self/ns/time ]; then time_ns=--time; fi
# NSLAB_INIT_FD names the fd of nslab-init (assets/world/nslab-init.c), which does what the
# unshare below does and also leaves level 1 non-dumpable and holding no fd of nslab's.
# NSLAB_NPROC caps processes and threads; set here, before level 2 exists, lab root cannot
# raise it for the user namespaces below (the C file cites the kernel rule).
init_fd=${NSLAB_INIT_FD:-}
nproc=${NSLAB_NPROC:-0}
nice_value=${NSLAB_NICE:-0}
unset NSLAB_INIT_FD NSLAB_NPROC NSLAB_NICE
if [ -n "$init_fd" ]; then
  exec "/proc/self/fd/$init_fd" --nproc "$nproc" --nice "$nice_value" -- sh -c 'eval "$NSLAB_LABHOST"' nslab-labhost
fi
# Without a C compiler: the same limits, but level 1 stays dumpable (`nslab doctor` says so).
if [ "$nproc" -gt 0 ]; then ulimit -p "$nproc"; fi
if [ "$nice_value" -gt 0 ]; then renice -n "$nice_value" -p $$ >/dev/null; fi
exec unshare --user --map-root-user --mount --pid --net --uts --ipc --cgroup $time_ns \
  --fork --kill-child -- sh -c 'eval "$NSLAB_LABHOST"' nslab-labhost
