// The floor of the interface's first frame: the smallest Ink program, bundled like `cafsup`
// (bench/startup.mjs builds it), drawing one line in a terminal and leaving at the first key.
// Like cafsup's loadInterface, it hides `fetch` while Ink loads (yoga decodes its wasm then).
import { createElement } from 'react';

const { fetch } = globalThis;
Reflect.deleteProperty(globalThis, 'fetch');
const { Text, render, useApp, useInput } = await import('ink');
globalThis.fetch = fetch;

function Hello() {
  const { exit } = useApp();
  useInput(() => exit());
  return createElement(Text, null, 'Bonjour, Ink');
}

render(createElement(Hello), { exitOnCtrlC: false });
