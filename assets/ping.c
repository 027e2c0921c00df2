/* ping.c: a small ping for machines without iputils-ping (a fresh Debian has none).
 *
 *   usage: ping [-c COUNT] [-i INTERVAL] [-W TIMEOUT] [-w DEADLINE] [-q] [-n] [-4] [-V] DESTINATION
 *
 * It sends ICMP echo requests (RFC 792) and prints what comes back in the words and layout of
 * iputils ping, so that a student who knows one recognises the other:
 *
 *   PING 192.168.0.2 (192.168.0.2) 56(84) bytes of data.
 *   64 bytes from 192.168.0.2: icmp_seq=1 ttl=64 time=0.051 ms
 *   --- 192.168.0.2 ping statistics ---
 *   1 packets transmitted, 1 received, 0% packet loss, time 0ms
 *   rtt min/avg/max/mdev = 0.051/0.051/0.051/0.000 ms
 *
 * Sockets, in the order iputils tries them when it runs as root:
 *   1. SOCK_RAW/IPPROTO_ICMP: needs CAP_NET_RAW in the user namespace that owns the network
 *      namespace (raw(7)). Lab root has it. Every ICMP packet of the namespace arrives here, so
 *      replies are matched by identifier (our pid) and the IP header is skipped (ip(7)).
 *   2. SOCK_DGRAM/IPPROTO_ICMP, the "ping socket" (icmp(7)): allowed to groups inside
 *      net.ipv4.ping_group_range, which a new network namespace starts with off ("1 0").
 *      The kernel picks the identifier and hands back only our replies, without IP header.
 * When both are refused (capabilities dropped, no ping group) it says so, as iputils does.
 *
 * Exit status as iputils: 0 when at least one reply came back, 1 when none did, 2 on an error.
 * Ctrl-C (SIGINT) stops it and prints the summary, like iputils.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/errqueue.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define DATA_LEN 56 /* iputils' default payload: 64 bytes of ICMP, 84 with the IP header */
#define MAX_PACKET 4096

static volatile sig_atomic_t interrupted;
/* Sequence numbers already reported as failed (a raw socket can hear of one failure twice). */
static unsigned char errored[65536 / 8];

static void
on_sigint (int sig)
{
  (void) sig;
  interrupted = 1;
}

static double
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static uint16_t
checksum (const void *data, size_t len)
{
  const uint8_t *p = data;
  uint32_t sum = 0;
  for (; len > 1; len -= 2, p += 2)
    sum += (uint32_t) (p[0] << 8 | p[1]);
  if (len)
    sum += (uint32_t) p[0] << 8;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return htons ((uint16_t) ~sum);
}

static void
usage (void)
{
  fprintf (stderr,
           "Usage: ping [-c count] [-i interval] [-W timeout] [-w deadline] [-q] [-n] [-4] [-V] destination\n"
           "nslab's small ping (assets/ping.c): IPv4 ICMP echo only.\n");
  exit (2);
}

static double
number_arg (char opt, const char *text, double min, double max)
{
  char *end;
  double v;
  errno = 0;
  v = strtod (text, &end);
  if (errno || end == text || *end || v < min || v > max)
    {
      fprintf (stderr, "ping: invalid argument: '%s' for -%c\n", text, opt);
      exit (2);
    }
  return v;
}

/* Words iputils uses for the ICMP destination-unreachable codes (RFC 792, RFC 1122). */
static const char *
unreachable_text (int code)
{
  switch (code)
    {
    case ICMP_NET_UNREACH: return "Destination Net Unreachable";
    case ICMP_HOST_UNREACH: return "Destination Host Unreachable";
    case ICMP_PROT_UNREACH: return "Destination Protocol Unreachable";
    case ICMP_PORT_UNREACH: return "Destination Port Unreachable";
    case ICMP_FRAG_NEEDED: return "Frag needed";
    case ICMP_NET_ANO:
    case ICMP_HOST_ANO:
    case ICMP_PKT_FILTERED: return "Packet filtered";
    default: return "Destination Unreachable";
    }
}

struct stats
{
  long sent, received, errors, dups;
  double min, max, sum, sum2;
};

/* Reads one report from the socket's error queue (ip(7), IP_RECVERR): a local "no neighbour
 * answered" (EHOSTUNREACH) or an ICMP error for one of our requests. */
static void
read_error_queue (int fd, struct stats *st, int quiet)
{
  char data[MAX_PACKET], control[512];
  struct sockaddr_in offender_copy;
  struct iovec iov = { data, sizeof data };
  struct msghdr msg = { 0 };
  struct cmsghdr *c;
  ssize_t n;

  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  n = recvmsg (fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
  if (n < 0)
    return;
  for (c = CMSG_FIRSTHDR (&msg); c; c = CMSG_NXTHDR (&msg, c))
    {
      struct sock_extended_err *ee;
      struct sockaddr_in *offender;
      char from[INET_ADDRSTRLEN] = "?";
      int seq = 0;

      if (c->cmsg_level != SOL_IP || c->cmsg_type != IP_RECVERR)
        continue;
      ee = (struct sock_extended_err *) CMSG_DATA (c);
      offender = (struct sockaddr_in *) SO_EE_OFFENDER (ee);
      memcpy (&offender_copy, offender, sizeof offender_copy);
      if (offender_copy.sin_family == AF_INET)
        inet_ntop (AF_INET, &offender_copy.sin_addr, from, sizeof from);
      /* The queued data is the ICMP header we sent; its sequence says which request failed. */
      if (n >= (ssize_t) sizeof (struct icmphdr))
        seq = ntohs (((struct icmphdr *) data)->un.echo.sequence);
      if ((errored[seq >> 3] >> (seq & 7)) & 1)
        continue; /* already reported as an ICMP packet on the raw socket */
      errored[seq >> 3] |= (unsigned char) (1u << (seq & 7));
      st->errors++;
      if (quiet)
        continue;
      if (ee->ee_origin == SO_EE_ORIGIN_ICMP && ee->ee_type == ICMP_DEST_UNREACH)
        printf ("From %s icmp_seq=%d %s\n", from, seq, unreachable_text (ee->ee_code));
      else if (ee->ee_origin == SO_EE_ORIGIN_LOCAL || ee->ee_errno == EHOSTUNREACH)
        printf ("From %s icmp_seq=%d Destination Host Unreachable\n", from, seq);
      else
        printf ("From %s icmp_seq=%d %s\n", from, seq, strerror ((int) ee->ee_errno));
    }
  fflush (stdout);
}

int
main (int argc, char **argv)
{
  long count = -1;
  double interval_ms = 1000, linger_ms = -1, deadline_ms = -1;
  int quiet = 0, opt, fd, raw = 1, on = 1;
  const char *target;
  struct addrinfo hints = { 0 }, *ai;
  struct sockaddr_in dest;
  char dest_text[INET_ADDRSTRLEN];
  struct stats st = { 0 };
  uint16_t ident;
  static unsigned char seen[65536 / 8];
  double start, next_send, last_send = 0;
  struct sigaction sa = { 0 };
  int rc;

  while ((opt = getopt (argc, argv, "c:i:W:w:qn4Vh")) != -1)
    switch (opt)
      {
      case 'c': count = (long) number_arg ('c', optarg, 1, LONG_MAX); break;
      case 'i': interval_ms = number_arg ('i', optarg, 0.002, 3600) * 1000; break;
      case 'W': linger_ms = number_arg ('W', optarg, 0, 3600) * 1000; break;
      case 'w': deadline_ms = number_arg ('w', optarg, 0, 86400) * 1000; break;
      case 'q': quiet = 1; break;
      case 'n': case '4': break; /* numeric output and IPv4 are all this ping does */
      case 'V': printf ("ping from nslab (assets/ping.c), a small stand-in for iputils ping\n"); return 0;
      default: usage ();
      }
  if (optind != argc - 1)
    usage ();
  target = argv[optind];

  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_RAW;
  hints.ai_protocol = IPPROTO_ICMP;
  rc = getaddrinfo (target, NULL, &hints, &ai);
  if (rc != 0)
    {
      fprintf (stderr, "ping: %s: %s\n", target, rc == EAI_NONAME ? "Name or service not known" : gai_strerror (rc));
      return 2;
    }
  memcpy (&dest, ai->ai_addr, sizeof dest);
  freeaddrinfo (ai);
  inet_ntop (AF_INET, &dest.sin_addr, dest_text, sizeof dest_text);

  fd = socket (AF_INET, SOCK_RAW, IPPROTO_ICMP);
  if (fd < 0 && (errno == EPERM || errno == EACCES))
    {
      int raw_errno = errno;
      raw = 0;
      fd = socket (AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
      if (fd < 0)
        {
          /* What iputils says when it has neither CAP_NET_RAW nor a ping group. */
          fprintf (stderr, "ping: socktype: SOCK_RAW\nping: socket: %s\n", strerror (raw_errno));
          fprintf (stderr, "ping: => missing cap_net_raw+p capability, and net.ipv4.ping_group_range does not include group %d\n",
                   (int) getegid ());
          return 2;
        }
    }
  if (fd < 0)
    {
      fprintf (stderr, "ping: socket: %s\n", strerror (errno));
      return 2;
    }
  /* Local delivery failures and ICMP errors come back on the error queue (ip(7)). */
  setsockopt (fd, SOL_IP, IP_RECVERR, &on, sizeof on);
  setsockopt (fd, SOL_IP, IP_RECVTTL, &on, sizeof on);
  if (connect (fd, (struct sockaddr *) &dest, sizeof dest) != 0)
    {
      fprintf (stderr, "ping: connect: %s\n", strerror (errno));
      return 2;
    }
  ident = raw ? (uint16_t) (getpid () & 0xffff) : 0; /* a ping socket's kernel sets its own */

  sa.sa_handler = on_sigint;
  sigaction (SIGINT, &sa, NULL);
  if (linger_ms < 0)
    linger_ms = 10000; /* iputils waits up to 10 s for the last replies when -W is not given */

  printf ("PING %s (%s) %d(%d) bytes of data.\n", target, dest_text, DATA_LEN, DATA_LEN + 8 + 20);
  fflush (stdout);

  start = next_send = now_ms ();
  while (!interrupted)
    {
      double t = now_ms (), wait_ms;
      struct pollfd pfd = { fd, POLLIN, 0 };

      if (deadline_ms >= 0 && t - start >= deadline_ms)
        break;
      if ((count < 0 || st.sent < count) && t >= next_send)
        {
          unsigned char packet[sizeof (struct icmphdr) + DATA_LEN];
          struct icmphdr *icmp = (struct icmphdr *) packet;
          struct timeval tv;
          memset (packet, 0, sizeof packet);
          icmp->type = ICMP_ECHO;
          icmp->un.echo.id = htons (ident);
          icmp->un.echo.sequence = htons ((uint16_t) (st.sent + 1));
          gettimeofday (&tv, NULL);
          memcpy (packet + sizeof *icmp, &tv, sizeof tv);
          for (size_t i = sizeof *icmp + sizeof tv; i < sizeof packet; i++)
            packet[i] = (unsigned char) i;
          icmp->checksum = checksum (packet, sizeof packet);
          st.sent++;
          seen[(st.sent & 0xffff) >> 3] &= (unsigned char) ~(1u << (st.sent & 7));
          errored[(st.sent & 0xffff) >> 3] &= (unsigned char) ~(1u << (st.sent & 7));
          if (send (fd, packet, sizeof packet, 0) < 0)
            {
              if (errno == EHOSTUNREACH || errno == ENETUNREACH)
                read_error_queue (fd, &st, quiet);
              else
                fprintf (stderr, "ping: sendmsg: %s\n", strerror (errno));
            }
          last_send = t;
          next_send = t + interval_ms;
          continue;
        }
      if (count >= 0 && st.sent >= count)
        {
          /* All sent: stop when every request is answered (or failed) or the linger ran out. */
          if (st.received + st.errors >= count || t - last_send >= linger_ms)
            break;
          wait_ms = last_send + linger_ms - t;
        }
      else
        wait_ms = next_send - t;
      if (deadline_ms >= 0 && start + deadline_ms - t < wait_ms)
        wait_ms = start + deadline_ms - t;
      if (wait_ms < 0)
        wait_ms = 0;

      rc = poll (&pfd, 1, (int) ceil (wait_ms));
      if (rc < 0)
        continue; /* EINTR: the loop condition sees Ctrl-C */
      if (rc == 0)
        continue;
      if (pfd.revents & POLLERR)
        read_error_queue (fd, &st, quiet);
      if (pfd.revents & POLLIN)
        {
          unsigned char buf[MAX_PACKET], control[256];
          struct sockaddr_in from;
          struct iovec iov = { buf, sizeof buf };
          struct msghdr msg = { 0 };
          struct cmsghdr *c;
          struct icmphdr *icmp;
          ssize_t n;
          size_t off = 0;
          int ttl = -1, seq;
          char from_text[INET_ADDRSTRLEN];

          msg.msg_name = &from;
          msg.msg_namelen = sizeof from;
          msg.msg_iov = &iov;
          msg.msg_iovlen = 1;
          msg.msg_control = control;
          msg.msg_controllen = sizeof control;
          n = recvmsg (fd, &msg, MSG_DONTWAIT);
          if (n < 0)
            continue;
          for (c = CMSG_FIRSTHDR (&msg); c; c = CMSG_NXTHDR (&msg, c))
            if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_TTL)
              memcpy (&ttl, CMSG_DATA (c), sizeof ttl);
          if (raw)
            {
              /* A raw socket gets the IP header too (raw(7)); its length is in 32-bit words. */
              struct iphdr *ip = (struct iphdr *) buf;
              if (n < (ssize_t) sizeof *ip)
                continue;
              off = (size_t) ip->ihl * 4;
              ttl = ip->ttl;
            }
          if (n < (ssize_t) (off + sizeof *icmp))
            continue;
          icmp = (struct icmphdr *) (buf + off);
          inet_ntop (AF_INET, &from.sin_addr, from_text, sizeof from_text);
          if (raw && (icmp->type == ICMP_DEST_UNREACH || icmp->type == ICMP_TIME_EXCEEDED))
            {
              /* An ICMP error quotes the IP header and first 8 bytes of the packet it is about
               * (RFC 792): ours if that was an echo request with our identifier. The kernel
               * sends one to us itself when no neighbour answers ARP for the destination. */
              struct iphdr *inner = (struct iphdr *) (icmp + 1);
              struct icmphdr *orig;
              size_t inner_off = off + sizeof *icmp;
              if (n < (ssize_t) (inner_off + sizeof *inner))
                continue;
              inner_off += (size_t) inner->ihl * 4;
              if (n < (ssize_t) (inner_off + sizeof *orig))
                continue;
              orig = (struct icmphdr *) (buf + inner_off);
              if (orig->type != ICMP_ECHO || ntohs (orig->un.echo.id) != ident)
                continue;
              seq = ntohs (orig->un.echo.sequence);
              if ((errored[seq >> 3] >> (seq & 7)) & 1)
                continue; /* already reported from the error queue */
              errored[seq >> 3] |= (unsigned char) (1u << (seq & 7));
              st.errors++;
              if (!quiet)
                {
                  if (icmp->type == ICMP_DEST_UNREACH)
                    printf ("From %s icmp_seq=%d %s\n", from_text, seq, unreachable_text (icmp->code));
                  else
                    printf ("From %s icmp_seq=%d Time to live exceeded\n", from_text, seq);
                  fflush (stdout);
                }
              continue;
            }
          if (icmp->type != ICMP_ECHOREPLY || (raw && ntohs (icmp->un.echo.id) != ident))
            continue; /* someone else's packet, or our own request seen on lo */
          seq = ntohs (icmp->un.echo.sequence);
          {
            struct timeval sent_tv, now_tv;
            double rtt = 0;
            int dup = (seen[seq >> 3] >> (seq & 7)) & 1;
            if ((size_t) n >= off + sizeof *icmp + sizeof sent_tv)
              {
                memcpy (&sent_tv, buf + off + sizeof *icmp, sizeof sent_tv);
                gettimeofday (&now_tv, NULL);
                rtt = (now_tv.tv_sec - sent_tv.tv_sec) * 1000.0 + (now_tv.tv_usec - sent_tv.tv_usec) / 1000.0;
                if (rtt < 0)
                  rtt = 0;
              }
            if (dup)
              st.dups++;
            else
              {
                seen[seq >> 3] |= (unsigned char) (1u << (seq & 7));
                st.received++;
                if (st.received == 1 || rtt < st.min)
                  st.min = rtt;
                if (rtt > st.max)
                  st.max = rtt;
                st.sum += rtt;
                st.sum2 += rtt * rtt;
              }
            if (!quiet)
              {
                printf ("%zd bytes from %s: icmp_seq=%d", n - (ssize_t) off, from_text, seq);
                if (ttl >= 0)
                  printf (" ttl=%d", ttl);
                /* iputils shows three significant digits: 0.051, 1.23, 12.3, 123 */
                printf (" time=%.*f ms%s\n", rtt < 1 ? 3 : rtt < 10 ? 2 : rtt < 100 ? 1 : 0, rtt, dup ? " (DUP!)" : "");
                fflush (stdout);
              }
          }
        }
    }

  printf ("\n--- %s ping statistics ---\n", target);
  printf ("%ld packets transmitted, %ld received", st.sent, st.received);
  if (st.dups)
    printf (", +%ld duplicates", st.dups);
  if (st.errors)
    printf (", +%ld errors", st.errors);
  printf (", %g%% packet loss, time %.0fms\n",
          st.sent ? floor ((st.sent - st.received) * 100.0 / st.sent) : 0.0, last_send ? last_send - start : 0.0);
  if (st.received)
    {
      double avg = st.sum / st.received;
      double var = st.sum2 / st.received - avg * avg;
      printf ("rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", st.min, avg, st.max, var > 0 ? sqrt (var) : 0.0);
    }
  fflush (stdout);
  return st.received ? 0 : 1;
}
