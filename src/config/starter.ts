/**
 * The commented starter config written by `tenken config init`. It must validate as is (a test checks),
 * and every commented-out example must validate when uncommented.
 */
export const STARTER_CONFIG = `# tenken configuration (YAML). Check it with: tenken config check
# Every key is optional; what is not set uses the built-in default.
# Unknown keys are errors, reported as file:line:col.

# Host name shown in reports (default: /etc/hostname).
# host: mail.example.org

# Detect services from the built-in profiles (installed binary, running process, listener, or log).
detect: true

# Services to inspect or adjust. A name that matches a built-in profile (sendmail, postfix, exim4, nginx,
# httpd, apache2, delegate, squid, tinyproxy, wu-ftpd, vsftpd, proftpd, samba, sshd, dovecot, cron, mgetty,
# inetd, kernel, journal, syslog) starts from that profile; other names define a service from scratch.
services:
  sshd:
    enabled: auto        # auto = when detected; true = always; false = never
  # sendmail:
  #   enabled: true
  #   syslog: [sendmail, sm-mta]          # syslog tags whose lines belong to the service
  #   thresholds:
  #     error: { warn: 5, crit: 50 }      # per-run counts for the runbook's "error" keywords
  # intranet:
  #   title: Intranet web site
  #   processes: [nginx]
  #   logs: [/var/log/nginx/intranet.access.log]
  #   probes:
  #     - url: http://localhost/

# Shared system logs (a service's syslog lines are selected by program tag).
syslog:
  files: [/var/log/syslog, /var/log/messages, /var/log/auth.log, /var/log/secure, /var/log/maillog, /var/log/mail.log]
  journal: auto          # auto = read the systemd journal when no syslog file exists; on; off

# Check kinds to skip: services, logs, attacks, logins, procs, probes, dialup.
disable: []
`;
