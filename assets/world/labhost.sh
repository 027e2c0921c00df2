# nslab lab host (level 2): pid 1 of the lab host's pid namespace. Finishes the lab host's
# own view of the system, reports READY on stdout, then stays as the init that reaps orphans.
set -eu
unset NSLAB_LABHOST
hostname host
# This pid namespace needs its own /proc; the one inherited from level 1 shows level 1's pids.
mount -t proc nslab-proc /proc
ip link set lo up
# /run/nslab (container.sh writes the container's pid there) was made by level 1.
echo READY
exec >/dev/null 2>&1
# An init must reap the orphans re-parented to it; the shell's wait does that as a side
# effect of waiting for its own sleep.
while :; do
  sleep 3600 &
  wait
done
