// The fast launch: the provider file's shell lines ask a running host for a session before Node starts.
//
// Why: a launch served by the host through launcher.ts still boots Node (≈15 ms before any of our code
// runs, plus ≈10 ms of launcher and ≈4 ms to exit; BENCHMARKS.md), three to five times per Terraform
// command, and that was most of what a plan of 100 sources spent beyond terraform_data. /bin/sh starts in
// under a millisecond. So on Linux, when a host for this build is running, the shell line below (line 3 of
// the file, packaging/executable.ts) rings the host's doorbell and waits for its answer; Node starts only
// when the host cannot serve the launch.
//
// What travels where, all inside the private folder that launcher.ts's sockets live in (openc2c-<uid>):
//
//   <build>.bell    a FIFO the host that owns it reads (doorbell.ts). A launch writes its pid there, one short
//                   line, which the kernel delivers whole however many launches ring at once.
//   <build>.host    the owning host's pid (and, on a second line, what tells that process from a later one
//                   with its pid; doorbell.ts). A launch rings only when that process is alive, so a host that
//                   was killed costs nothing but the check.
//   <pid>.fifo      the launch's own FIFO, made by the launch (mkfifo, ≈1 ms) and opened read-write so that
//                   opening never blocks. The host reads the launch's working directory and, from its
//                   environment, what launcher.ts would have sent and what names the host (doorbell.ts
//                   launchEnvironment) from /proc/<pid>, opens the FIFO and removes its name, then writes
//                   lines (HOST_LINES) for the shell to act on.
//
// The shell prints the handshake line on stdout and log lines on stderr, and exits with the code the host
// sends when Terraform shuts the session down; when the host's end closes mid-session it exits 1, as a
// crashed provider would. Anything else before the handshake line, or nothing within a second (a timer
// process writes "timeout" into the FIFO; the shell then also removes the stuck owner's name so that the
// launches after it do not wait), makes the shell carry on to line 4: Node and launcher.ts, exactly as
// without this line. So the fast launch can make a launch faster but never make it fail; what launcher.ts
// guarantees holds for every launch that reaches it.
//
// The shell needs /proc, mkfifo and a host already running; without them (macOS, the first launch after
// the host went idle) it goes straight to line 4.

import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from '../plugin/handshake.js'
import { HOST_SWITCH_VARIABLE } from './protocol.js'

export const BELL_SUFFIX = '.bell'
export const BELL_OWNER_SUFFIX = '.host'
export const LAUNCH_FIFO_SUFFIX = '.fifo'
/** How long the shell waits for the host's first line before it starts Node instead. */
export const FAST_LAUNCH_TIMEOUT_SECONDS = 1

/** Host → shell, one per line. */
export const HOST_LINES = {
  /** The go-plugin handshake line follows the space: print it on stdout. */
  handshake: 'handshake ',
  /** An hclog JSON line follows the space: print it on stderr. */
  log: 'log ',
  /** The session is over: exit with this code (0 or 1). */
  exit: (code: 0 | 1): string => `exit ${code}`,
  /** Not served here: start Node (line 4). */
  fallback: 'fallback',
  /** Written by the shell's own timer, not by a host: nobody answered in time. */
  timeout: 'timeout',
} as const

/** What the shell prints on stderr when the host's end of the FIFO closes mid-session, as launcher.ts does
 * when the host's connection closes: an hclog line for Terraform's log. */
const HOST_GONE_LOG = '{"@level":"error","@message":"the openc2c provider host ended this session unexpectedly","@module":"openc2c"}'

/** The doorbell's name part for a build: launches of one build ring one bell, whichever host runs it. */
export const bellName = (buildId: string): string => buildId.slice(0, 24)

/**
 * Line 3 of the provider file: POSIX sh, for dash and bash alike. Only builtins run on the way to the
 * host except mkfifo; the one-second timer is a background job whose output goes into the launch's FIFO,
 * never to Terraform's pipes (Terraform waits for those to close before it takes a launch as ended).
 *
 * A failed redirection would end the shell if it were on `exec`, so the FIFOs are opened by the `{ }`
 * group's redirections, which only skip the group when they fail. The one `exec` comes after the handshake
 * line, where the shell has nothing left to fall back to.
 */
export function fastLaunchLine(buildId: string): string {
  const key = bellName(buildId)
  const { handshake, log } = HOST_LINES
  if (!/^[0-9a-f]{24}$/.test(key)) throw new Error('the build id must be hexadecimal')
  return [
    `if [ "\${${MAGIC_COOKIE_KEY}-}" = ${MAGIC_COOKIE_VALUE} ] && [ $# = 0 ] && [ "\${${HOST_SWITCH_VARIABLE}-}" != off ] && [ -r /proc/self/status ]; then`,
    // The real uid names the folder, as process.getuid() does for launcher.ts.
    'u=; while read -r k v r; do if [ "$k" = Uid: ]; then u=$v; break; fi; done </proc/self/status;',
    // os.tmpdir()'s order; XDG_RUNTIME_DIR first when it is absolute (launcher.ts hostSocketPath).
    'case ${XDG_RUNTIME_DIR-} in /*) b=$XDG_RUNTIME_DIR ;; *) b=${TMPDIR:-${TMP:-${TEMP:-/tmp}}} ;; esac; d=$b/openc2c-$u;',
    // Only this user's folder (launcher.ts made it private), in a parent nobody else can swap it in (the
    // user's own, or sticky like /tmp; launcher.ts safeParent), and only a live owner's bell.
    `if [ -n "$u" ] && { [ -O "$b" ] || [ -k "$b" ]; } && [ -O "$d" ] && [ ! -h "$d" ] && [ -p "$d/${key}${BELL_SUFFIX}" ] && read -r h 2>/dev/null <"$d/${key}${BELL_OWNER_SUFFIX}" && kill -0 "$h" 2>/dev/null && mkfifo -m 600 "$d/$$${LAUNCH_FIFO_SUFFIX}" 2>/dev/null; then`,
    // The FIFO opened must be the one this user made (nobody else could have put theirs in its place).
    // As the provider does, ignore Ctrl-C: Terraform answers a terminal's Ctrl-C with StopProvider.
    "{ if [ -O /proc/self/fd/3 ]; then trap '' INT;",
    `{ sleep ${FAST_LAUNCH_TIMEOUT_SECONDS}; echo ${HOST_LINES.timeout}; } >&3 2>/dev/null </dev/null 4<&- & w=$!; printf '%s\\n' $$ >&4;`,
    'while read -r l <&3; do case $l in',
    `"${handshake}"*) kill $w 2>/dev/null; printf '%s\\n' "\${l#${handshake}}";`,
    // Served: from here on read through a read-only descriptor of the same FIFO, with the read-write one
    // closed, so that the host's end closing (the host died) is an end-of-file. `exec`, because a group's
    // redirection would keep the closed descriptor aside to restore it. A SIGTERM ends the launch as it
    // ends the provider's own process.
    `exec 5</proc/self/fd/3 3<&- 4<&-; trap 'exit 0' TERM; while read -r l <&5; do case $l in "${log}"*) printf '%s\\n' "\${l#${log}}" >&2 ;;`,
    `"${HOST_LINES.exit(0)}") exit 0 ;; "${HOST_LINES.exit(1)}") exit 1 ;; esac; done;`,
    `printf '%s\\n' '${HOST_GONE_LOG}' >&2; exit 1 ;;`,
    `"${log}"*) printf '%s\\n' "\${l#${log}}" >&2 ;;`,
    // No answer in time: the owner is stuck (or not a host at all). Its name goes, if it is still the one
    // rung, so that later launches do not wait too, and a host that starts or runs meanwhile takes over.
    `${HOST_LINES.timeout}) read -r g 2>/dev/null <"$d/${key}${BELL_OWNER_SUFFIX}" && [ "$g" = "$h" ] && rm -f "$d/${key}${BELL_OWNER_SUFFIX}"; break ;;`,
    `*) break ;; esac; done; kill $w 2>/dev/null; trap - INT; fi; } 3<>"$d/$$${LAUNCH_FIFO_SUFFIX}" 4<>"$d/${key}${BELL_SUFFIX}"; fi; fi`,
  ].join(' ')
}
