#!/usr/bin/env bash
# Install the Debian packages the test suite needs when they are missing (browser,
# CJK fonts, Pango for WeasyPrint).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
# WeasyPrint (PDF statements and receipts) loads Pango through its C API
ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0.so.0" || need+=(libpango-1.0-0 libpangoft2-1.0-0)
if ((${#need[@]})); then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian packages: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "Missing Debian packages: ${need[*]} (install them: apt-get install ${need[*]})" >&2
    exit 1
  fi
fi
