#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The demo game day: a real web server in one network namespace, faultlined in another,
# joined by a veth pair; experiments/demo-gameday.json pauses the server until a safety
# rule aborts the run and the agent rolls the pause back by itself.
# Everything created here is removed at the end, also on Ctrl-C.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root (it creates network namespaces)" >&2
	exit 2
fi

tag=$(printf '%04x' $((RANDOM % 65536)))
SRV=fl-demo-srv-$tag
CLI=fl-demo-cli-$tag
VA=fl-d$tag-a
VB=fl-d$tag-b
TMP=$(mktemp -d /tmp/faultline-demo.XXXXXX)
HTTP_PID=
AGENT_PID=

cleanup() {
	trap - EXIT INT TERM
	[ -n "$AGENT_PID" ] && kill -TERM "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null
	if [ -n "$HTTP_PID" ]; then
		kill -CONT "$HTTP_PID" 2>/dev/null
		kill -TERM "$HTTP_PID" 2>/dev/null
		wait "$HTTP_PID" 2>/dev/null
	fi
	ip netns del "$SRV" 2>/dev/null
	ip netns del "$CLI" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted; cleaning up"; exit 130' INT TERM

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

say "network: namespaces $SRV (10.77.0.1) and $CLI (10.77.0.2), veth $VA <-> $VB"
ip netns add "$SRV" && ip netns add "$CLI" || exit 1
ip link add "$VA" type veth peer name "$VB" || exit 1
ip link set "$VA" netns "$SRV" && ip link set "$VB" netns "$CLI" || exit 1
ip -n "$SRV" addr add 10.77.0.1/24 dev "$VA" && ip -n "$SRV" link set "$VA" up && ip -n "$SRV" link set lo up
ip -n "$CLI" addr add 10.77.0.2/24 dev "$VB" && ip -n "$CLI" link set "$VB" up && ip -n "$CLI" link set lo up

say "service: busybox httpd on 10.77.0.1:8080 serving /health"
mkdir -p "$TMP/www"
echo ok >"$TMP/www/health"
ip netns exec "$SRV" busybox httpd -f -p 10.77.0.1:8080 -h "$TMP/www" &
HTTP_PID=$!
for _ in $(seq 100); do
	ip netns exec "$CLI" bash -c 'exec 3<>/dev/tcp/10.77.0.1/8080' 2>/dev/null && break
	sleep 0.05
done

say "agent: faultlined in $CLI, socket $TMP/faultline.sock"
export FAULTLINE_SOCKET=$TMP/faultline.sock FAULTLINE_STATE_DIR=$TMP/state
ip netns exec "$CLI" "$BUILD/faultlined" --log-level notice 2>"$TMP/agent.log" &
AGENT_PID=$!
echo "faultlined pid $AGENT_PID, web server pid $HTTP_PID"
for _ in $(seq 100); do
	"$BUILD/faultctl" version >/dev/null 2>&1 && break
	sleep 0.05
done

say "game day: $(grep -m1 '"title"' experiments/demo-gameday.json | cut -d'"' -f4)"
"$BUILD/faultctl" run experiments/demo-gameday.json --wait
rc=$?

say "after the run"
state=$(awk '{ sub(/^.*\) /, ""); print substr($0, 1, 1) }' "/proc/$HTTP_PID/stat" 2>/dev/null)
echo "web server pid $HTTP_PID state: ${state:-gone} (T would mean still paused)"
echo "undo journal records left: $(find "$TMP/state/journal" -name '*.json' | wc -l)"
echo "agent log:"
sed 's/^/  /' "$TMP/agent.log"
case $rc in
1)
	echo
	echo "demo: the safety rule aborted the game day and the pause was rolled back: as designed"
	[ "$state" != T ] || exit 1
	exit 0
	;;
4) exit 130 ;;
*)
	echo "demo: unexpected result (faultctl exit $rc)" >&2
	exit 1
	;;
esac
