#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The README's 5-minute tutorial, run as written: the shell blocks between
# <!-- tutorial:begin --> and <!-- tutorial:end --> are extracted and executed in the source
# tree, in one shell, with three differences a test needs:
#  - make's PREFIX and SYSCONFDIR come from the environment (a temporary prefix), and
#    FAULTLINE_SOCKET / FAULTLINE_STATE_DIR point into it too, so nothing touches the host's
#    /usr/local, /etc, /run or /var/lib;
#  - 'systemctl' is a shell function that runs the installed unit's ExecStart and
#    ExecStopPost lines with its Environment, since there may be no systemd;
#  - /tmp/fl-tutorial and port 8080 are the tutorial's own: the test skips if they are taken.
. "$(dirname "$0")/../lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

if [ -e /tmp/fl-tutorial ]; then
	skip "the tutorial's /tmp/fl-tutorial already exists"
	t_finish
	exit 0
fi
if ss -Htln 'sport = :8080' | grep -q .; then
	skip "the tutorial's port 8080 is in use"
	t_finish
	exit 0
fi
on_exit "rm -rf /tmp/fl-tutorial"

awk '/<!-- tutorial:begin -->/ {on = 1; next} /<!-- tutorial:end -->/ {on = 0}
     on && /^```sh$/ {code = 1; next} on && /^```$/ {code = 0; next} on && code' \
	"$ROOT/README.md" >"$T/tutorial.sh"
check "README: the tutorial has commands ($(wc -l <"$T/tutorial.sh") lines)" \
	[ "$(grep -c . "$T/tutorial.sh")" -ge 15 ]
check "README: every tutorial step is there" bash -c "
	grep -qx 'make install' '$T/tutorial.sh' &&
	grep -q 'faultctl run experiments/tutorial.json' '$T/tutorial.sh' &&
	grep -q 'faultctl report' '$T/tutorial.sh' && grep -q 'faultctl abort' '$T/tutorial.sh'"

P=$T/prefix
# The harness, with this test's paths filled in; \$ is left for the tutorial's shell.
cat >"$T/harness.sh" <<HARNESS
set -u
export PREFIX='$P' SYSCONFDIR='$P/etc'
export PATH='$P/sbin:$P/bin':\$PATH
export FAULTLINE_SOCKET='$T/tutorial.sock' FAULTLINE_STATE_DIR='$T/tutorial-state'
unset FAULTLINE_CONFIG
unit_line() { sed -n "s/^\$1=//p" "\$PREFIX/lib/systemd/system/faultlined.service"; }
systemctl() {
	case "\$*" in
	daemon-reload) ;;
	"enable --now faultlined")
		export \$(unit_line Environment)
		# In a subshell: not a job of the tutorial's shell, whose %1 %2 are its own.
		( \$(unit_line ExecStart) 2>>'$T/tutorial-agent.log' & echo \$! >'$T/agent.pid' )
		for i in \$(seq 100); do faultctl list >/dev/null 2>&1 && return 0; sleep 0.1; done
		echo "systemctl: faultlined did not start" >&2; return 1 ;;
	"disable --now faultlined")
		kill -TERM "\$(cat '$T/agent.pid')"
		while kill -0 "\$(cat '$T/agent.pid')" 2>/dev/null; do sleep 0.1; done
		\$(unit_line ExecStopPost) ;;
	*) echo "systemctl: \$* is not emulated" >&2; return 1 ;;
	esac
}
cd '$ROOT'
HARNESS
# set -x puts each command in the transcript before its output.
(cat "$T/harness.sh"; echo 'set -x'; cat "$T/tutorial.sh") >"$T/run.sh"
timeout 300 bash "$T/run.sh" >"$T/transcript" 2>&1
rc=$?
# If it failed half-way, stop what it started.
if [ -f "$T/agent.pid" ]; then
	kill -TERM "$(cat "$T/agent.pid")" 2>/dev/null
fi
on_exit "make -s -C '$ROOT' uninstall PREFIX='$P' SYSCONFDIR='$P/etc' >/dev/null 2>&1"

say() { grep -qE -- "$1" "$T/transcript"; } # the transcript has a line matching $1
check "tutorial: runs to the end (rc $rc; tail: $(tail -3 "$T/transcript" | tr '\n' ' '))" \
	[ "$rc" -eq 0 ]
check "tutorial: the agent ran from the installed unit's ExecStart" \
	grep -q "listening on $T/tutorial.sock" "$T/tutorial-agent.log"
check "tutorial: faultctl version shows the kernel features" say '^  btf +(yes|no) '
check "tutorial: the example validates" say '^experiments/tutorial.json: ok$'
check "tutorial: watch ends with the verdict passed" say '^run [0-9a-f]+: passed'
check "tutorial: the report shows the fault" say 'pause-worker'
check "tutorial: the HTML report exists" test -s /tmp/fl-tutorial/report.html
check "tutorial: status showed the fault active before the abort" say 'pause-worker.*active'
check "tutorial: the aborted run is cancelled" say 'cancelled'
check "tutorial: faultctl recover ran after the service stopped" say '/bin/faultctl recover$'
check "tutorial: both programs used the installed config" \
	say "export FAULTLINE_CONFIG=$P/etc/faultline/faultlined.conf"
check "tutorial: uninstall left no file in the prefix" \
	bash -c "[ -z \"\$(find '$P' -type f 2>/dev/null)\" ]"
check "tutorial: the worker and the web server are gone" \
	bash -c "! pgrep -f '^tutorial-worker ' >/dev/null &&
		! pgrep -f '^busybox httpd -f -p 127.0.0.1:8080' >/dev/null"
echo "---- transcript"
cat "$T/transcript"

t_finish
