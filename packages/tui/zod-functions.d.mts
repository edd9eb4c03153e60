// Types of zod-functions.mjs (plain JavaScript: build.mjs imports it), for the test that checks it.
export declare function withFunctions(source: string): Promise<string>;
export declare const zodFunctionsPlugin: import('esbuild').Plugin;
