#!/usr/bin/env bash
# Installs the Debian packages of the real daemons the probe tests talk to (test/services/ starts them on
# loopback with their own temporary configs; nothing here starts or configures a system service), and the
# journal-file writer the journal readers' tests use with the real journalctl.
# Idempotent: when every daemon binary is already there it returns at once, without touching apt.
# Non-interactive: DEBIAN_FRONTEND=noninteractive, debconf answers preseeded, and a policy-rc.d that
# forbids maintainer scripts from starting services (so installation can neither hang nor bind ports).
set -euo pipefail

# binary that proves the package is installed -> package name
declare -A WANT=(
  [/usr/sbin/nginx]=nginx-light
  [/usr/sbin/postfix]=postfix
  [/usr/sbin/dovecot]=dovecot-core
  [/usr/lib/dovecot/imap]=dovecot-imapd
  [/usr/lib/dovecot/pop3]=dovecot-pop3d
  [/usr/sbin/vsftpd]=vsftpd
  [/usr/sbin/smbd]=samba
  [/usr/bin/smbclient]=smbclient
  [/usr/bin/tinyproxy]=tinyproxy
  [/usr/sbin/dnsmasq]=dnsmasq-base
  [/usr/bin/openssl]=openssl
  # a private sshd (never the system's) for the attack detection's end-to-end test, and the password client
  [/usr/sbin/sshd]=openssh-server
  [/usr/bin/sshpass]=sshpass
  # the real mgetty and a pty for it (socat) for the dial-up check's end-to-end test (test/e2e-dialup.test.ts)
  [/sbin/mgetty]=mgetty
  [/usr/bin/socat]=socat
  # writes real journal files from export format for the journal readers' tests (journalctl is systemd's)
  [/lib/systemd/systemd-journal-remote]=systemd-journal-remote
)

missing=()
for bin in "${!WANT[@]}"; do
  [[ -x $bin ]] || missing+=("${WANT[$bin]}")
done
if ((${#missing[@]} == 0)); then
  echo "services: all daemons installed"
  exit 0
fi

if [[ $(id -u) != 0 ]]; then
  echo "services: cannot install ${missing[*]}: not root" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt_opts=(-y -q --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold
  -o DPkg::Lock::Timeout=300)

# Keep maintainer scripts from starting daemons (they would bind 25, 80, 110, 143, 445... and may hang
# without an init system). Respect an existing policy-rc.d; remove only the one we created.
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi

# Postfix asks what kind of mail server this is; "Local only" keeps it off the network.
echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
echo "postfix postfix/mailname string $(hostname -f 2>/dev/null || hostname)" | debconf-set-selections

# nginx-light is gone after bookworm: take plain nginx where it is not offered.
pkgs=()
for p in "${missing[@]}"; do
  if [[ $p == nginx-light ]] && ! apt-cache show nginx-light >/dev/null 2>&1; then p=nginx; fi
  pkgs+=("$p")
done

apt-get update -q -o DPkg::Lock::Timeout=300 >/dev/null
# Sorted, unique, so a package wanted for two binaries is named once.
mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | sort -u)
echo "services: installing ${pkgs[*]}"
apt-get install "${apt_opts[@]}" "${pkgs[@]}" >/tmp/tenken-services-apt.log 2>&1 || {
  echo "services: apt-get install failed; last lines of /tmp/tenken-services-apt.log:" >&2
  tail -n 20 /tmp/tenken-services-apt.log >&2
  exit 1
}

# Packages may still have left a daemon running (a system without policy-rc.d support): stop only those
# started by their init scripts, identified by the pid files the packages use.
for pidfile in /run/nginx.pid /var/spool/postfix/pid/master.pid /run/dovecot/master.pid /run/vsftpd.pid \
  /run/samba/smbd.pid /run/samba/nmbd.pid /run/tinyproxy/tinyproxy.pid /run/sshd.pid; do
  if [[ -s $pidfile ]]; then
    pid=$(head -n1 "$pidfile" | tr -dc 0-9)
    [[ -n $pid ]] && kill "$pid" 2>/dev/null || true
  fi
done
echo "services: installed ${pkgs[*]}"
