#!/usr/bin/env node
// The tpp-lab CLI. The library is TypeScript; tsx compiles it on the fly so there is no build step.
require('tsx/cjs/api').register();
require('../src/cli/main').main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(`tpp-lab: ${err && err.stack ? err.stack : err}`);
    process.exitCode = 1;
  },
);
