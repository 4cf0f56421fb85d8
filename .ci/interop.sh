#!/usr/bin/env bash
# Installs what the interop suite (npm run test:interop) runs against: squid, dante-server,
# nginx, openssl (squid's htpasswd), httpbin under gunicorn, and the system user dante's
# username method checks.
# Idempotent and quick when all is present; on failure it says so and exits 0, and the
# suite skips what is missing. Must run as root (CI does); otherwise it only reports.
set -u
SOCKS_USER=hansomproxy            # keep in sync with spec/interop/servers.ts
SOCKS_PASSWORD=hansom-socks-pw     # a throwaway for a loopback-only test proxy

have() { [ -x "$1" ]; }
missing=()
have /usr/sbin/squid || missing+=(squid)
have /usr/sbin/danted || have /usr/sbin/sockd || missing+=(dante-server)
have /usr/sbin/nginx || missing+=(nginx)
have /usr/bin/openssl || missing+=(openssl)
have /usr/bin/gunicorn || missing+=(gunicorn)
# httpbin is a module of Debian's python3 (not whatever python3 is first on PATH);
# python3-brotli backs its /brotli endpoint.
[ -f /usr/lib/python3/dist-packages/httpbin/core.py ] || missing+=(python3-httpbin)
/usr/bin/python3 -c 'import brotli' >/dev/null 2>&1 || missing+=(python3-brotli)

if [ "$(id -u)" -ne 0 ]; then
  [ ${#missing[@]} -eq 0 ] || echo "interop.sh: not root; missing packages: ${missing[*]} (the interop suite will skip them)"
  exit 0
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "interop.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # policy-rc.d 101: the packages' own services are not started; the specs run their own.
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created_policy=1
  fi
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/tmp/hansom-interop-apt.log 2>&1; then
    echo "interop.sh: apt-get failed (see /tmp/hansom-interop-apt.log); the interop suite will skip what is missing"
    tail -n 5 /tmp/hansom-interop-apt.log
  fi
  [ "$created_policy" -eq 1 ] && rm -f /usr/sbin/policy-rc.d
  # A service the package started anyway would hold the default ports; ours use free ones, so leave it.
fi

if ! id "$SOCKS_USER" >/dev/null 2>&1; then
  useradd -M -s /usr/sbin/nologin "$SOCKS_USER" || echo "interop.sh: could not create user $SOCKS_USER"
fi
# Set every time: cheap, and repairs a user left with another password.
echo "$SOCKS_USER:$SOCKS_PASSWORD" | chpasswd || echo "interop.sh: could not set the password of $SOCKS_USER"
exit 0
