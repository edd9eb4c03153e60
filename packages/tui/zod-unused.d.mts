// Types of zod-unused.mjs (plain JavaScript: build.mjs imports it), for the test that checks it.
export declare const ZOD_UNUSED: readonly { module: string; importer: string }[];
export declare function leftOut(source: string, file: string): string;
export declare const zodUnusedPlugin: import('esbuild').Plugin;
