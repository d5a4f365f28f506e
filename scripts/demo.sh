#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The demo game day: a real web server in one network namespace, faultlined in another,
# joined by a veth pair.  Three experiments, each probing the server's health:
#  1. experiments/demo-gameday.json pauses the server until a safety rule aborts the run and
#     the agent rolls the pause back by itself (aborted);
#  2. experiments/demo-network-loss.json drops 10% of the packets to it: tolerated (passed);
#  3. experiments/demo-network-partition.json cuts it off: a safety rule aborts the run and
#     the partition is removed at once (aborted); its HTML report is written to build/.
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
# Inside its namespace the client's end has a fixed name, so the experiments can name it.
ip -n "$CLI" link set "$VB" name demo0 || exit 1
ip -n "$CLI" addr add 10.77.0.2/24 dev demo0 && ip -n "$CLI" link set demo0 up && ip -n "$CLI" link set lo up

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

REPORT=$(cd "$BUILD" && pwd)/demo-report.html
ok=true
# step FILE EXPECTED_EXIT [faultctl run options...]
step() {
	local file=$1 want=$2 rc
	shift 2
	say "game day: $(grep -m1 '"title"' "$file" | cut -d'"' -f4)"
	"$BUILD/faultctl" run "$file" --wait "$@"
	rc=$?
	case $rc in
	4 | 130) exit 130 ;;
	"$want") ;;
	*)
		echo "demo: unexpected result for $file (faultctl exit $rc, expected $want)" >&2
		ok=false
		;;
	esac
}
step experiments/demo-gameday.json 1
step experiments/demo-network-loss.json 0
step experiments/demo-network-partition.json 1 --report "$REPORT"

say "after the game day"
state=$(awk '{ sub(/^.*\) /, ""); print substr($0, 1, 1) }' "/proc/$HTTP_PID/stat" 2>/dev/null)
echo "web server pid $HTTP_PID state: ${state:-gone} (T would mean still paused)"
echo "undo journal records left: $(find "$TMP/state/journal" -name '*.json' | wc -l)"
echo "tc filters left on demo0: $(tc -n "$CLI" filter show dev demo0 egress 2>/dev/null | wc -l)"
echo "agent log:"
sed 's/^/  /' "$TMP/agent.log"
echo
if [ "$ok" = true ] && [ "$state" != T ] && [ -s "$REPORT" ]; then
	echo "demo: paused server aborted and resumed, 10% loss tolerated, partition aborted and removed"
	echo "demo: HTML report of the partition run: $REPORT"
	exit 0
fi
echo "demo: the game day did not go as designed" >&2
exit 1
