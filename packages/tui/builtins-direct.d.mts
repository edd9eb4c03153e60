// Types of builtins-direct.mjs (plain JavaScript: build.mjs imports it), for the test that checks it.
export declare function directBuiltin(name: string): string;
export declare const builtinsDirectPlugin: import('esbuild').Plugin;
