#!/usr/bin/env node
// The bundled program; `pnpm build` writes it (packages/tui/build.mjs). Where Node keeps a
// compile cache (22.1 and later), the bundle is parsed once rather than at every start.
import module from 'node:module';

module.enableCompileCache?.();
await import('../dist/cafsup.mjs');
