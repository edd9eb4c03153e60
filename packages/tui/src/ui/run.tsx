import { render } from 'ink';
import { App } from './App.js';
import type { Route } from './navigation.js';
import type { Session } from './session.js';
import { EXIT_INTERRUPTED, SHOW_CURSOR, endBySignal, removeUnfinishedFiles } from '../cli/interrupt.js';

// main.ts tells an opening given up from a failure by it, from this chunk only.
export { OpeningCancelled } from './App.js';

const ENTER_ALTERNATE_SCREEN = '\u001b[?1049h';
/**
 * The alternate screen cleared, then left: tmux, when the window grew while the interface was up,
 * gives back the normal screen with the alternate screen's rows below those it saved (a dialog's
 * frame was left on the shell's screen after Ctrl-C, review 42b L3).
 */
const LEAVE_ALTERNATE_SCREEN = '\u001b[2J\u001b[?1049l';

/**
 * Opens the full-screen interface in the terminal's alternate screen and gives it back on
 * every way out: q, Ctrl-C (130), SIGTERM/SIGHUP (a dropped SSH session), and a crash.
 */
export async function runInterface(opening: Session | Promise<Session>, options: { initialRoute?: Route; asOf?: string } = {}): Promise<number> {
  const { stdout, stdin } = process;
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    stdout.write(`${SHOW_CURSOR}${LEAVE_ALTERNATE_SCREEN}`);
  };
  // The screen given back, the signal ends the process itself (cli/interrupt.ts): `process.exit`
  // ended the store's threads, and aborted inside SQLite (trial 27, H1).
  const onSignal = (signal: NodeJS.Signals) => () => {
    restore();
    endBySignal(signal);
  };
  const onTerm = onSignal('SIGTERM');
  const onHup = onSignal('SIGHUP');
  const onInt = onSignal('SIGINT');
  const onCrash = (error: unknown) => {
    restore();
    process.stderr.write(`Erreur interne de l’interface : ${error instanceof Error ? error.message : String(error)}\n`);
    if (process.env.CAFSUP_DEBUG === '1' && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    // No `finally` runs past process.exit: a list `e` was writing would stay in its hidden file.
    removeUnfinishedFiles();
    process.exit(70);
  };
  process.once('SIGTERM', onTerm);
  process.once('SIGHUP', onHup);
  process.once('SIGINT', onInt);
  process.once('uncaughtException', onCrash);
  process.once('exit', restore);

  stdout.write(ENTER_ALTERNATE_SCREEN);
  // A prompt that ran before (the actor's name) leaves stdin paused: Ink would unmount at once.
  stdin.resume();
  let exitCode = 0;
  try {
    // The interface takes the failure to open after its first frame; until then it is nobody's (no unhandled rejection).
    if (opening instanceof Promise) opening.catch(() => undefined);
    const instance = render(
      <App
        session={opening}
        {...(options.initialRoute === undefined ? {} : { initialRoute: options.initialRoute })}
        {...(options.asOf === undefined ? {} : { initialAsOf: options.asOf })}
        onExit={(code) => (exitCode = code)}
      />,
      {
        exitOnCtrlC: false,
        patchConsole: true,
      },
    );
    await instance.waitUntilExit();
  } finally {
    restore();
    process.off('SIGTERM', onTerm);
    process.off('SIGHUP', onHup);
    process.off('SIGINT', onInt);
    process.off('uncaughtException', onCrash);
    stdin.pause();
  }
  // Ctrl-C quits at once: closing the client would wait for a request still in flight to a slow
  // server (up to its timeout). A write already sent is all or nothing either way, and the
  // trail tells which.
  if (exitCode === EXIT_INTERRUPTED) endBySignal('SIGINT');
  return exitCode;
}
