// Runs a command in this process's place: it shares the terminal, gets the signals sent to this
// process, and its exit becomes this process's exit. Used where an old Node re-runs rlm on Node 24
// (bin/rlm.js, scripts/node24.mjs), so that `kill`, `timeout`, systemd and CI stopping the
// process they started also stop the one doing the work (and calling the model).
// Plain JavaScript that any Node parses: this runs on the old Node.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Starts `command args`; never returns control: this process exits as the child did. */
export function runInForeground(command, args, options = {}) {
  const child = spawn(command, args, { stdio: 'inherit', ...options });
  const forward = (signal) => {
    // Ctrl-C at a terminal signals the whole foreground process group, the child included: a
    // second SIGINT from here would stop it at once instead of letting it wind down (rlm ends a
    // run cleanly on the first, and stops hard on the second).
    if (signal === 'SIGINT' && keyboardSignalsReachChild()) return;
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of FORWARDED) process.on(signal, forward);
  child.on('error', (error) => {
    process.stderr.write(`could not start ${command}: ${error.message}\n`);
    process.exit(2);
  });
  child.on('exit', (code, signal) => {
    for (const name of FORWARDED) process.off(name, forward);
    if (signal) {
      // Die of the same signal, so that whoever started this process sees what happened.
      process.kill(process.pid, signal);
      // Still here: this process ignores that signal. Exit as a shell reports it.
      process.exit(128 + (constants.signals[signal] ?? 0));
    }
    process.exit(code ?? 1);
  });
}

/** True when this process is in its terminal's foreground process group (Linux; false elsewhere). */
function keyboardSignalsReachChild() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // After "pid (comm)": state ppid pgrp session tty_nr tpgid ...
    const [, , pgrp, , ttyNr, tpgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ttyNr !== '0' && pgrp === tpgid;
  } catch {
    return false;
  }
}
