import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useInput, useStdin } from 'ink';
import { isText, keypressesOf, type KeyPress } from '../keys.js';
import { KeyRegistryContext, type KeyHandler, type KeyListener, type KeyRegistry } from '../hooks/use-keys.js';

interface KeyDispatcherProps {
  /** Keys no focused listener took (help, `:`, back, reload). */
  global: KeyHandler;
  /** Ctrl-C: called at once, whatever is queued. */
  onInterrupt(): void;
  children: ReactNode;
}

/**
 * The one stdin subscriber of the interface. Each chunk is split into keypresses, queued, and
 * handed over one at a time, the next only after the previous one's state has been rendered:
 * `:partenaire amp⏎` in one read opens the command line with `:`, then gives the field
 * `partenaire amp` and Enter, exactly as if typed slowly (tui.md, « Keys are never lost »).
 * Keys typed ahead of a loading list or dialog wait for it; Échap and Ctrl-C never wait (Échap
 * goes before the keys held, to the loading screen, which it cancels).
 */
export function KeyDispatcher({ global, onInterrupt, children }: KeyDispatcherProps) {
  const { isRawModeSupported } = useStdin();
  const listeners = useRef(new Set<KeyListener>()).current;
  const queue = useRef<KeyPress[]>([]).current;
  const rendering = useRef(false);
  const globalHandler = useRef(global);
  globalHandler.current = global;
  const [handed, setHanded] = useState(0);
  const clock = useRef(0);

  const registry: KeyRegistry = useMemo(
    () => ({
      add(listener) {
        listeners.add(listener);
        return () => {
          listeners.delete(listener);
          // The keys it held (the opening frame's, a loading dialog's) go to whoever listens now.
          if (listener.waiting) setHanded((count) => count + 1);
        };
      },
      activated(listener) {
        listener.since = ++clock.current;
      },
      ready(drop) {
        // Échap and Ctrl-C are never held, so what is dropped was typed for the step that did not come.
        if (drop === true) queue.length = 0;
        setHanded((count) => count + 1);
      },
    }),
    // The registry is made once; the set of listeners it fills lives as long as the dispatcher.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [],
  );

  const focusedNow = () => [...listeners].filter((listener) => listener.active).sort((a, b) => b.since - a.since);
  const handOver = () => {
    if (rendering.current || queue.length === 0) return;
    const focused = focusedNow();
    if (focused[0]?.waiting === true && queue[0]!.name !== 'escape') return;
    let press = queue.shift()!;
    if (focused[0]?.text === true && isText(press)) {
      // A paste lands whole in a text field: one state change instead of one per character.
      while (queue[0] !== undefined && isText(queue[0])) press = { ...press, text: press.text + queue.shift()!.text };
    }
    const taken = focused.some((listener) => listener.handler(press) !== false);
    if (!taken) globalHandler.current(press);
    rendering.current = true;
    setHanded((count) => count + 1);
  };

  // After the commit of the previous key's changes, the listeners are those of the new screen.
  useEffect(() => {
    rendering.current = false;
    handOver();
    // Runs once per handed key, after its changes are committed; handOver reads refs and the latest queue.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [handed]);

  useInput(
    (input, key) => {
      const presses = keypressesOf(input, key);
      if (presses.some((press) => press.ctrl && press.text === 'c')) {
        queue.length = 0;
        onInterrupt();
        return;
      }
      // Échap is never held behind the keys typed ahead of a loading screen: it is what cancels the
      // wait the screen shows (review 26: after any key typed early, only Ctrl-C ended it).
      const escapeAhead = focusedNow()[0]?.waiting === true;
      queue.unshift(...presses.filter((press) => escapeAhead && press.name === 'escape'));
      queue.push(...presses.filter((press) => !escapeAhead || press.name !== 'escape'));
      handOver();
    },
    { isActive: isRawModeSupported },
  );

  return <KeyRegistryContext.Provider value={registry}>{children}</KeyRegistryContext.Provider>;
}
