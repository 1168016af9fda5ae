#!/usr/bin/env bash
# The Debian package built by `tools/dev package` (build-deb/netsnap_*.deb): its files, the
# extracted snapshotd's --version and --check-config, and systemd-analyze verify of its unit.
# The package is extracted into a temporary folder, never installed with dpkg -i: that would
# change this machine's /etc, /usr and services. Exit 77 (skipped) when no package was built.
set -euo pipefail
root=$1
deb=$(ls "$root"/build-deb/netsnap_*.deb 2>/dev/null | head -1 || true)
if [[ -z $deb ]]; then
  echo "skipped: no build-deb/netsnap_*.deb (run tools/dev package first)"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

listing=$(dpkg-deb -c "$deb")
for f in ./usr/sbin/snapshotd ./usr/bin/netsnap ./etc/netsnap/snapshotd.toml \
         ./lib/systemd/system/netsnap.service ./usr/lib/sysusers.d/netsnap.conf \
         ./usr/lib/tmpfiles.d/netsnap.conf ./usr/share/man/man8/snapshotd.8.gz \
         ./usr/share/man/man1/netsnap.1.gz ./usr/share/man/man5/snapshotd.toml.5.gz \
         ./usr/share/bash-completion/completions/netsnap ./usr/share/doc/netsnap/copyright; do
  grep -q " $f\$" <<<"$listing" || { echo "missing in the package: $f"; exit 1; }
done
dpkg-deb --info "$deb" conffiles | grep -qx /etc/netsnap/snapshotd.toml ||
  { echo "snapshotd.toml is not a conffile"; exit 1; }

dpkg-deb -x "$deb" "$tmp"
"$tmp/usr/sbin/snapshotd" --version
"$tmp/usr/bin/netsnap" --version
"$tmp/usr/sbin/snapshotd" --check-config "$tmp/etc/netsnap/snapshotd.toml"
if command -v systemd-analyze >/dev/null; then
  # ExecStart= and the Documentation= man pages resolved in the extracted tree.
  sed "s|=/usr/sbin/snapshotd|=$tmp/usr/sbin/snapshotd|g" "$tmp/lib/systemd/system/netsnap.service" \
    > "$tmp/netsnap.service"
  out=$(MANPATH="$tmp/usr/share/man" systemd-analyze verify "$tmp/netsnap.service" 2>&1)
  [[ -z $out ]] || { echo "systemd-analyze verify: $out"; exit 1; }
else
  echo "systemd-analyze is missing: the unit is not verified"
fi
echo "package ok: $deb"
