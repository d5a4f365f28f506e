# SPDX-License-Identifier: MIT
# bash completion for faultctl(1): subcommands, their flags, experiment files (*.json) and
# run ids (asked of the agent with 'faultctl list', quietly, when it is reachable).

_faultctl_run_ids()
{
	local -a pre=()
	# Pass on a --socket given earlier on the line.
	[[ -n ${_fl_socket-} ]] && pre=(--socket "$_fl_socket")
	"${COMP_WORDS[0]}" "${pre[@]}" list 2>/dev/null | while read -r id _; do
		[[ $id =~ ^[0-9a-f]+$ ]] && printf '%s\n' "$id"
	done
}

_faultctl_files()
{
	local IFS=$'\n'
	# Directories (to descend into) and *.json files; -o filenames adds the '/' to directories.
	COMPREPLY+=($(compgen -d -- "$1") $(compgen -f -X '!*.json' -- "$1"))
	compopt -o filenames 2>/dev/null
}

_faultctl()
{
	local cur prev cmd="" i _fl_socket=""
	local commands="validate run plan watch report status list abort recover version help"
	local global="--socket --state-dir --help --version"
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}

	# The subcommand: the first word that is not a global option or its argument.
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--socket | --state-dir)
			[[ ${COMP_WORDS[i]} == --socket ]] && _fl_socket=${COMP_WORDS[i + 1]}
			((i++))
			;;
		--socket=*) _fl_socket=${COMP_WORDS[i]#--socket=} ;;
		-*) ;;
		*)
			cmd=${COMP_WORDS[i]}
			break
			;;
		esac
	done

	if [[ -z $cmd ]]; then
		case $prev in
		--socket)
			COMPREPLY=($(compgen -f -- "$cur"))
			return
			;;
		--state-dir)
			COMPREPLY=($(compgen -d -- "$cur"))
			return
			;;
		esac
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$global" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		fi
		return
	fi

	local flags=""
	case $cmd in
	validate | plan) flags="--json --help" ;;
	run) flags="--wait --json --dry-run --lease --at --junit --report --help" ;;
	watch) flags="--plain --help" ;;
	report) flags="--format --output --json --help" ;;
	status | abort)
		flags="--json --help"
		[[ $cmd == abort ]] && flags="--all $flags"
		;;
	list | recover | version) flags="--json --help" ;;
	help)
		COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		return
		;;
	esac

	case $prev in
	--format | -f)
		COMPREPLY=($(compgen -W "json junit md html" -- "$cur"))
		return
		;;
	--output | -o | --junit | --report)
		COMPREPLY=($(compgen -f -- "$cur"))
		compopt -o filenames 2>/dev/null
		return
		;;
	--lease | --at)
		return
		;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$flags" -- "$cur"))
		return
	fi
	case $cmd in
	validate | run | plan) _faultctl_files "$cur" ;;
	watch | report | status | abort)
		COMPREPLY=($(compgen -W "$(_faultctl_run_ids)" -- "$cur"))
		;;
	esac
}

complete -F _faultctl faultctl
