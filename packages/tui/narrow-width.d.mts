// Types of narrow-width.mjs (plain JavaScript: build.mjs imports it), for the test that checks it.
export declare const NARROW_TEXT: RegExp;
export declare function withNarrowWidth(source: string, file: string): string;
export declare const narrowWidthPlugin: import('esbuild').Plugin;
