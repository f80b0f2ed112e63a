// Preloaded into a benchmarked process (NODE_OPTIONS=--require ..., which --cpu-prof may not be) with
// CPU_PROFILE_DIR set: profiles the main thread between two SIGUSR2 (so only the window the bench
// chooses, not startup) and writes CPU_PROFILE_DIR/<pid>-<n>.cpuprofile at the second one, or at exit.
const { Session } = require('node:inspector');
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { isMainThread } = require('node:worker_threads');

const dir = process.env.CPU_PROFILE_DIR;
if (dir && isMainThread) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  let running = false;
  let written = 0;
  const stop = () => {
    running = false;
    // An in-thread session answers synchronously, so this also completes inside an exit handler.
    session.post('Profiler.stop', (error, result) => {
      if (error) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${process.pid}-${++written}.cpuprofile`), JSON.stringify(result.profile));
    });
  };
  process.on('SIGUSR2', () => {
    if (running) return stop();
    running = true;
    session.post('Profiler.start');
  });
  process.on('exit', () => {
    if (running) stop();
  });
}
