/** Preloaded into the app by the lifetime test: SIGUSR2 makes it crash with an uncaught error. */
process.on('SIGUSR2', () => {
  setImmediate(() => {
    throw new Error('test crash');
  });
});
