# nslab container start, run in the lab host as the container pane's process. Becomes the
# container the lab's starting state describes, then execs the container's shell.
# Environment (set by nslab):
#   NSLAB_CT_UNSHARE   unshare(1) flags for the container's namespaces ("" = none)
#   NSLAB_CT_ROOT      pivot | chroot | none: how the container's root is set up
#   NSLAB_CT_PROC      1 to mount a proc inside the container's root
#   NSLAB_CT_HOSTNAME  hostname to set (needs a uts namespace)
#   NSLAB_CT_SCRIPT    this script, to run again inside the new namespaces
#   ROOTFS             the container's root directory, as the lab host sees it
#   $1                 "inside" once the namespaces exist
set -eu
if [ "${1:-}" != inside ] && [ -n "$NSLAB_CT_UNSHARE" ]; then
  # shellcheck disable=SC2086 # the flags are words on purpose
  exec unshare $NSLAB_CT_UNSHARE --kill-child -- sh -c 'eval "$NSLAB_CT_SCRIPT"' nslab-container inside
fi

# /proc is still the lab host's here, so /proc/self names this process by its lab-host pid:
# that is the $CPID the host pane uses for `ip link set ... netns $CPID` and nsenter.
read -r self_stat </proc/self/stat
lab_host_pid=${self_stat%% *}
echo "$lab_host_pid" >/run/nslab/cpid.tmp
mv /run/nslab/cpid.tmp /run/nslab/cpid

if [ -n "$NSLAB_CT_HOSTNAME" ]; then hostname "$NSLAB_CT_HOSTNAME"; fi

if [ -x "$ROOTFS/bin/bash" ]; then shell=/bin/bash; else shell=/bin/sh; fi
root_mode=$NSLAB_CT_ROOT
with_proc=$NSLAB_CT_PROC
# The container's shell should not inherit nslab's plumbing.
unset NSLAB_CT_UNSHARE NSLAB_CT_ROOT NSLAB_CT_PROC NSLAB_CT_HOSTNAME NSLAB_CT_SCRIPT

# A container root made from files has an empty /dev; give it the harmless nodes, bound from
# the lab host (device nodes cannot be created in a user namespace), and its own proc when the
# lab wants one. Every command is an exec on the way to the prompt, so all of it is one touch
# (for the missing nodes) and one `mount --all`, which mounts the lines of an fstab in their
# order (mount(8)); $2 is what that fstab starts with. libmount reads no fstab from a pipe: it
# is a file in /run/nslab, nslab's own directory of the lab host, named by this process's
# lab-host pid, for as long as mount reads it.
# $1 is $ROOTFS, which nslab sets to /labs/rootfs: no spaces to split on.
mount_root() {
  fstab=$2
  if [ -d "$1/dev" ]; then
    missing=
    for node in null zero full random urandom tty; do
      [ -e "$1/dev/$node" ] || missing="$missing $1/dev/$node"
      fstab="$fstab/dev/$node $1/dev/$node none bind 0 0
"
    done
    # shellcheck disable=SC2086 # the paths are words on purpose
    if [ -n "$missing" ]; then touch $missing; fi
  fi
  if [ "$with_proc" = 1 ]; then
    fstab="${fstab}proc $1/proc proc defaults 0 0
"
  fi
  if [ -z "$fstab" ]; then return 0; fi
  table=/run/nslab/fstab.$lab_host_pid
  printf '%s' "$fstab" >"$table"
  mount --all --fstab "$table"
  rm "$table"
}

case "$root_mode" in
  pivot)
    # pivot_root(2) wants the new root to be a mount point: the rootfs is bound onto itself
    # (the fstab's first line), and proc is mounted before pivoting: once the old root is
    # detached there is no fully visible proc left, and the kernel refuses a new one in a user
    # namespace (mount_namespaces(7)).
    mkdir -p "$ROOTFS/old_root" "$ROOTFS/proc"
    mount_root "$ROOTFS" "$ROOTFS $ROOTFS none bind 0 0
"
    cd "$ROOTFS"
    pivot_root . old_root
    cd /
    umount -l /old_root
    rmdir /old_root
    exec "$shell" -i
    ;;
  chroot)
    mount_root "$ROOTFS" ''
    cd "$ROOTFS"
    exec chroot "$ROOTFS" "$shell" -i
    ;;
  *)
    cd /root
    exec "$shell" -i
    ;;
esac
