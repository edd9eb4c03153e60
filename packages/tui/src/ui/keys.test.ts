import type { Key } from 'ink';
import { describe, expect, it } from 'vitest';
import { SCREEN_BINDINGS, commandOf, footerOf, keypressesOf } from './keys.js';

const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

describe('keypressesOf', () => {
  it('splits a run of characters that Ink hands over whole, Enter, Tab and Backspace included', () => {
    expect(keypressesOf('jjR\r', NO_KEY)).toEqual([
      { name: null, text: 'j', ctrl: false, shift: false },
      { name: null, text: 'j', ctrl: false, shift: false },
      { name: null, text: 'R', ctrl: false, shift: true },
      { name: 'return', text: '', ctrl: false, shift: false },
    ]);
    expect(keypressesOf('a\tb\u007f\u0003', NO_KEY).map((press) => press.name ?? (press.ctrl ? `ctrl-${press.text}` : press.text))).toEqual([
      'a',
      'tab',
      'b',
      'backspace',
      'ctrl-c',
    ]);
  });

  it('keeps a key Ink parsed (an escape sequence) as one press', () => {
    expect(keypressesOf('', { ...NO_KEY, downArrow: true })).toEqual([{ name: 'down', text: '', ctrl: false, shift: false }]);
    expect(keypressesOf('c', { ...NO_KEY, ctrl: true })).toEqual([{ name: null, text: 'c', ctrl: true, shift: false }]);
    // An accented letter or an emoji is one press, not two halves.
    expect(keypressesOf('é😀', NO_KEY).map((press) => press.text)).toEqual(['é', '😀']);
  });

  it('takes Échap then a letter in one read (Alt and the letter to Ink) as Échap, then the letter', () => {
    expect(keypressesOf('s', { ...NO_KEY, meta: true })).toEqual([
      { name: 'escape', text: '', ctrl: false, shift: false },
      { name: null, text: 's', ctrl: false, shift: false },
    ]);
    // Échap alone stays one press.
    expect(keypressesOf('', { ...NO_KEY, escape: true, meta: true })).toEqual([{ name: 'escape', text: '', ctrl: false, shift: false }]);
    // Échap then a key that is no letter nor digit (`/`, `:`, Tab), or then Entrée: Ink (as patched) says meta.
    expect(keypressesOf('/', { ...NO_KEY, meta: true }).map((press) => press.name ?? press.text)).toEqual(['escape', '/']);
    expect(keypressesOf('\t', { ...NO_KEY, meta: true }).map((press) => press.name ?? press.text)).toEqual(['escape', 'tab']);
    expect(keypressesOf('', { ...NO_KEY, return: true, meta: true }).map((press) => press.name ?? press.text)).toEqual(['escape', 'return']);
    // Alt and an arrow stays the arrow: xterm sends Alt as a modifier of the sequence.
    expect(keypressesOf('', { ...NO_KEY, upArrow: true, meta: true }).map((press) => press.name ?? press.text)).toEqual(['up']);
  });
});

describe('bindings', () => {
  it('name the command of a press, without the action keys for a read-only session', () => {
    const [s] = keypressesOf('s', NO_KEY);
    expect(commandOf(SCREEN_BINDINGS.partner, s!)).toBe('suspend');
    expect(commandOf(SCREEN_BINDINGS.partner, s!, false)).toBeNull();
    expect(footerOf(SCREEN_BINDINGS.alerts, ['open', 'suspend'], true)).toBe('Entrée détail · s suspendre');
    expect(footerOf(SCREEN_BINDINGS.alerts, ['open', 'suspend'], false)).toBe('Entrée détail');
  });
});
