#!/usr/bin/env bash
# Installs the Debian packages that `make test` needs, when any is missing:
# PostgreSQL (initdb and postgres for throwaway test servers), redis-server, Chromium
# (browser tests) and gettext (msgfmt). As root on Debian it installs them with apt-get;
# otherwise it says what to install and fails.
set -euo pipefail

missing=()

have_initdb() {
    local candidate
    for candidate in /usr/lib/postgresql/*/bin/initdb; do
        [[ -x "$candidate" ]] && return 0
    done
    command -v initdb >/dev/null 2>&1
}

have_initdb || missing+=("postgresql (initdb)")
command -v redis-server >/dev/null 2>&1 || [[ -x /usr/bin/redis-server ]] || missing+=("redis-server")
command -v chromium >/dev/null 2>&1 || [[ -x /usr/bin/chromium ]] || missing+=("chromium")
command -v msgfmt >/dev/null 2>&1 || missing+=("gettext (msgfmt)")

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

echo "Missing system packages: ${missing[*]}" >&2

if [[ "$(id -u)" -eq 0 ]] && [[ -f /etc/debian_version ]] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends postgresql redis-server chromium gettext
    exit 0
fi

cat >&2 <<'MSG'
Install them first, as root on Debian or Ubuntu:
    apt-get update
    apt-get install -y --no-install-recommends postgresql redis-server chromium gettext
MSG
exit 1
