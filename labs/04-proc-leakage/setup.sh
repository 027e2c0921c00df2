# proc-leakage: two services on the lab host, outside the rootfs. Runs as lab-host root.
#
# chroot(1) into a plain directory leaves the chrooted shell with a root that is not a mount:
# `unshare --mount` then fails ("cannot change root filesystem propagation: Invalid argument",
# it makes "/" private first). Binding the rootfs onto itself, as container runtimes do, lets the
# tutorial's unshare work inside the chroot. The chroot still shares every namespace.
set -eu
mount --bind /labs/rootfs /labs/rootfs
mkdir -p /run/nslab/planted /opt/services
# The vault: a copy of sleep(1) under that name, with a secret in its environment.
cp "$(command -v sleep)" /opt/services/vault
secret="nslab-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
cd /
env -i HOME=/var/lib/vault VAULT_ADDR=127.0.0.1:8200 NSLAB_SECRET="$secret" /opt/services/vault infinity </dev/null >/dev/null 2>&1 &
echo $! >/run/nslab/planted/vault
# The webserver is its own witness for proc.killedBy: the kernel keeps no record of who sent
# the signal that killed a process, so it catches the catchable ones (SA_SIGINFO gives the
# sender's pid) and writes "<pid> <root of that pid>" before it exits. perl comes from the lab
# host's /usr (the real, read-only one); `$0 =` also sets the comm (prctl PR_SET_NAME).
cat >/opt/services/webserver.pl <<'PERL'
use POSIX ();
my $name = 'webserver';
$0 = $name;
my $record = "/run/nslab/planted/$name.killer";
my $witness = sub {
  my $pid = $_[1]{pid} // 0;
  my $root = readlink("/proc/$pid/root") // '?';
  if (open(my $f, '>', $record)) { print $f "$pid $root\n"; close $f }
  POSIX::_exit(143);
};
for my $sig (POSIX::SIGTERM, POSIX::SIGINT, POSIX::SIGHUP, POSIX::SIGQUIT, POSIX::SIGUSR1, POSIX::SIGUSR2) {
  POSIX::sigaction($sig, POSIX::SigAction->new($witness, POSIX::SigSet->new, POSIX::SA_SIGINFO));
}
sleep 3600 while 1;
PERL
env -i HOME=/var/www PORT=8080 perl /opt/services/webserver.pl </dev/null >/dev/null 2>&1 &
echo $! >/run/nslab/planted/webserver
