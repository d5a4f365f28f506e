#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Shell completion for faultctl: the bash function called as bash calls it (COMP_WORDS,
# COMP_CWORD), for subcommands, flags, flag values, experiment files and run ids; the zsh
# function parsed and registered by compinit.
. "$(dirname "$0")/../lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

# complete WORDS...: COMPREPLY for the command line WORDS (the last word is the one being
# completed), one per line, sorted.  faultctl is found on PATH, as a user's would be.
complete_line() {
	PATH=$BUILD:$PATH bash -c '
		source "$1"
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_faultctl faultctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort
	' _ "$ROOT/dist/completion/faultctl.bash" "$@" 2>"$T/complete.err"
}
# has WORD WORDS...: the completion of WORDS offers WORD.
offers() {
	local want=$1
	shift
	complete_line "$@" | grep -qxF -- "$want"
}
lacks() { ! offers "$@"; }

check "bash: the script registers _faultctl for faultctl" bash -c \
	"source '$ROOT/dist/completion/faultctl.bash' && complete -p faultctl | grep -q '_faultctl'"
out=$(complete_line faultctl "" | tr '\n' ' ')
check "bash: every subcommand ($out)" \
	[ "$out" = "abort help list plan recover report run status validate version watch " ]
check "bash: 'ru' -> run" [ "$(complete_line faultctl ru)" = run ]
check "bash: 'pl' -> plan" [ "$(complete_line faultctl pl)" = plan ]
check "bash: 're' -> recover report" [ "$(complete_line faultctl re | tr '\n' ' ')" = "recover report " ]
check "bash: global flags" offers --socket faultctl --so
check "bash: global flags" offers --state-dir faultctl --st
check "bash: the subcommand after a global flag" offers validate faultctl --socket /x val
check "bash: run flags" offers --wait faultctl run --w
check "bash: run flags" offers --dry-run faultctl run --d
check "bash: run --json" offers --json faultctl run --j
check "bash: no foreign flags on run" lacks --all faultctl run --a
check "bash: abort --all" offers --all faultctl abort --a
check "bash: --json on every read command" bash -c '
	for c in status list version validate report recover; do
		'"$(declare -f complete_line offers)"'
		ROOT='"$ROOT"' BUILD='"$BUILD"' T='"$T"' offers --json faultctl $c --j || exit 1
	done'
check "bash: report --format values" \
	[ "$(complete_line faultctl report --format "" | tr '\n' ' ')" = "html json junit md " ]
check "bash: help completes subcommands" offers watch faultctl help w

# Experiment files: *.json and directories, not other files.
mkdir -p "$T/exp/sub"
touch "$T/exp/a.json" "$T/exp/b.json" "$T/exp/notes.txt"
out=$(complete_line faultctl run "$T/exp/" | tr '\n' ' ')
check "bash: run FILE offers *.json and directories ($out)" \
	[ "$out" = "$T/exp/a.json $T/exp/b.json $T/exp/sub " ]
check "bash: validate FILE too" offers "$T/exp/a.json" faultctl validate --json "$T/exp/a"
check "bash: not other files" lacks "$T/exp/notes.txt" faultctl validate "$T/exp/n"

# Run ids come from the agent.
start_agent || { not_ok "start faultlined"; t_finish; exit 1; }
start_target fl-complete
printf '%s\n' '{"version":1,"title":"ids","faults":[{"name":"p","type":"process.pause","target":{"pid":'"$TARGET_PID"'},"duration":"100ms"}]}' >"$T/ids.json"
id=$("$FAULTCTL" run --wait "$T/ids.json" >/dev/null 2>&1; "$FAULTCTL" list | awk 'NR==1 {print $1}')
check "bash: status ID offers the run id $id" offers "$id" faultctl status ""
check "bash: report ID offers it" offers "$id" faultctl report "${id:0:3}"
check "bash: abort ID offers it" offers "$id" faultctl abort ""
check "bash: ids from the agent named by --socket" offers "$id" faultctl --socket "$FAULTLINE_SOCKET" watch ""
check "bash: no ids from an agent that is not there" \
	lacks "$id" faultctl --socket "$T/nothing.sock" status ""
check "bash: nothing on stderr ($(head -c 200 "$T/complete.err"))" test ! -s "$T/complete.err"

# zsh: the function parses and compinit registers it for faultctl.
if command -v zsh >/dev/null; then
	check "zsh: _faultctl parses" zsh -n "$ROOT/dist/completion/_faultctl"
	out=$(zsh -fc "fpath=('$ROOT/dist/completion' \$fpath); autoload -U compinit; compinit -u -D;
		print -r -- \${_comps[faultctl]}" 2>&1)
	check "zsh: compinit registers _faultctl for faultctl ($out)" [ "$out" = _faultctl ]
else
	skip "zsh: not installed (scripts/install-deps.sh installs it)"
fi

t_finish
