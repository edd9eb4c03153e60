/** Colours only on a terminal, never with NO_COLOR (no-color.org) or FORCE_COLOR=0. */
export function colourEnabled(stream: NodeJS.WriteStream): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR === '0') return false;
  return stream.isTTY === true;
}

const CODES = { red: 31, yellow: 33, blue: 34, grey: 90, green: 32, bold: 1, dim: 2 } as const;
export type Colour = keyof typeof CODES;

export function paint(enabled: boolean, colour: Colour, text: string): string {
  return enabled ? `\u001b[${CODES[colour]}m${text}\u001b[0m` : text;
}
