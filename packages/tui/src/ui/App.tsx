import { Suspense, lazy, useEffect, useRef, useState } from 'react';
import { useApp } from 'ink';
import { KeyDispatcher } from './components/KeyDispatcher.js';
import { OpeningFrame } from './components/OpeningFrame.js';
import type { KeyHandler } from './hooks/use-keys.js';
import type { Route } from './navigation.js';
import type { Session } from './session.js';
import { EXIT_INTERRUPTED } from '../cli/interrupt.js';

/**
 * The interface's end when the person gave up its opening (Échap): the command says why and
 * exits 6. Not a CafsupError: the shared package (and zod with it) loads behind the first frame.
 */
export class OpeningCancelled extends Error {}

// The screens come in their own chunk, and zod with the shared package's schemas, loaded behind
// the first frame: what the first frame needs is Ink, React and this module's few imports.
const loadWorkspace = () => import('./Workspace.js');
const Workspace = lazy(loadWorkspace);

interface AppProps {
  /**
   * The session, or the promise of it while the store opens: `cafsup` draws the first frame
   * before it loads the SDK, and the keys typed meanwhile wait for the screens.
   */
  session: Session | Promise<Session>;
  initialRoute?: Route;
  /** The evaluation date given with --as-of; `:date` changes it. */
  initialAsOf?: string;
  /** Called once with the exit code when the interface ends (q, :q, Ctrl-C). */
  onExit(code: number): void;
}

/**
 * The application: the one input dispatcher, the frame shown while the store opens, then the
 * workspace. The dispatcher outlives the opening, so the keys typed before the store answers are
 * queued, in order, for the first screen (tui.md, « Keys are never lost »).
 */
export function App({ session: given, onExit, ...props }: AppProps) {
  const { exit } = useApp();
  const [opened, setOpened] = useState<Session | null>(null);
  useEffect(() => {
    if (!(given instanceof Promise)) return;
    // A store that cannot be opened ends the interface; its error is said once the screen is given back.
    given.then(setOpened, (error: unknown) => exit(error instanceof Error ? error : new Error(String(error))));
  }, [given, exit]);
  const session = given instanceof Promise ? opened : given;
  // Loaded while the store opens rather than after it (a failure is lazy's to report).
  useEffect(() => void loadWorkspace().catch(() => undefined), []);
  const global = useRef<KeyHandler>(() => undefined);
  const quit = (code: number) => {
    onExit(code);
    exit();
  };
  // Given up with Échap: said once the screen is given back, as a store that could not be opened
  // is (main.ts). The request still on its way is left to the process's end, as Ctrl-C leaves it.
  const cancelOpening = () => exit(new OpeningCancelled('opening given up with Escape'));
  const opening = <OpeningFrame route={props.initialRoute ?? { screen: 'dashboard' }} onCancel={cancelOpening} />;
  return (
    <KeyDispatcher global={(press) => global.current(press)} onInterrupt={() => quit(EXIT_INTERRUPTED)}>
      <Suspense fallback={opening}>{session === null ? opening : <Workspace session={session} global={global} quit={quit} {...props} />}</Suspense>
    </KeyDispatcher>
  );
}
