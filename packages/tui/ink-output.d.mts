// Types of ink-output.mjs (plain JavaScript: build.mjs imports it), for the test that checks it.
export declare const KEPT_ENTRIES: number;
export declare function withKeptOutput(source: string, file: string): string;
export declare const keptOutputPlugin: import('esbuild').Plugin;
