import { createContext, useContext, useLayoutEffect, useRef } from 'react';
import type { KeyPress } from '../keys.js';

/** What a handler answers: false when the press is not its own (the global keys then get it). */
export type KeyHandler = (press: KeyPress) => boolean | void;

/** A handler as the dispatcher holds it: always the latest closure, and whether it listens now. */
export interface KeyListener {
  handler: KeyHandler;
  active: boolean;
  /** A text field: a run of characters reaches it as one press (a paste lands whole). */
  text: boolean;
  /**
   * Still loading what the keys act on (a list's first rows, a dialog's dry run): the keys
   * typed ahead wait for it instead of landing on nothing. Échap is never held (it cancels).
   */
  waiting: boolean;
  /** When it last became active: the most recent listener gets the key first. */
  since: number;
}

export interface KeyRegistry {
  add(listener: KeyListener): () => void;
  activated(listener: KeyListener): void;
  /**
   * A listener stopped waiting: the keys held for it can go, or, with `drop`, are thrown away
   * (typed blind for a step that did not come: a dialog's reason when its dry run found nothing
   * to do or failed must not land on the list as commands).
   */
  ready(drop?: boolean): void;
}

export const KeyRegistryContext = createContext<KeyRegistry | null>(null);

/**
 * Listens to the keyboard through the root dispatcher (never to stdin itself): the handler
 * receives one keypress at a time, each after the previous one has been rendered.
 */
export function useKeys(
  handler: KeyHandler,
  { active = true, text = false, waiting = false, dropHeld = false }: { active?: boolean; text?: boolean; waiting?: boolean; dropHeld?: boolean } = {},
): void {
  const registry = useContext(KeyRegistryContext);
  if (registry === null) throw new Error('KeyRegistryContext manquant');
  const listener = useRef<KeyListener>({ handler, active: false, text, waiting, since: 0 }).current;
  // The listener object is registered once and updated in place at every render.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  useLayoutEffect(() => registry.add(listener), [registry]);
  // Layout effects run in the commit, before the dispatcher hands over the next key.
  useLayoutEffect(() => {
    listener.handler = handler;
    listener.text = text;
    if (active && !listener.active) registry.activated(listener);
    listener.active = active;
    const wasWaiting = listener.waiting;
    listener.waiting = waiting;
    if (wasWaiting && !waiting) registry.ready(dropHeld);
  });
}
