#!/usr/bin/env node
// The tpp-lab CLI. The library is TypeScript; tsx compiles it on the fly so there is no build step.
require('tsx/cjs/api').register();
require('../src/cli/main').main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    // Errors carry their own explanation; the stack helps only when debugging tpp-lab itself.
    const detail = process.env.TPP_DEBUG ? (err && err.stack) || err : (err && err.message) || err;
    console.error(`tpp-lab: ${detail}${process.env.TPP_DEBUG ? '' : '\n(set TPP_DEBUG=1 for the stack trace)'}`);
    process.exitCode = 1;
  },
);
