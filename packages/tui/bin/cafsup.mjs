#!/usr/bin/env node
// The entry's former name, which systemd units and scripts written before it became CommonJS
// still give: the same program (bin/cafsup.cjs), ~9 ms slower to start through an ES module.
import './cafsup.cjs';
