#!/usr/bin/env node
// The package's executable: the bundle that `npm install` (prepare) or `npm run build` made.
require('../dist/geo-hook.cjs');
