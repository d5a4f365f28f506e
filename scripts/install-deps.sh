#!/bin/sh
# SPDX-License-Identifier: MIT
# Install every Debian package that faultline's build, tests and demo need.
# Non-interactive and idempotent: when everything is present it only runs dpkg-query.
set -eu

PKGS="build-essential pkg-config make gcc clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev
libnl-3-dev libnl-route-3-dev libjansson-dev libcurl4-openssl-dev libcmocka-dev
iproute2 procps util-linux busybox-static curl qemu-system-x86 passwd cpio kmod xz-utils
libxml2-utils chromium python3-pil bsdutils python3-jsonschema e2fsprogs
scdoc man-db systemd python3-prometheus-client zsh valgrind
stress-ng"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	"install ok installed") ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi

echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
