// BullMQ side of ocean-bench's queue phase: BENCH_RUNS times the same two rounds as ours, each in a fresh
// queue:
// - live: a Worker (concurrency N, a handler that does nothing) starts first, then one addBulk of the no-op
//   jobs; the clock runs from the push to the last `completed` event;
// - drain: the jobs are added first, then the Worker starts; the clock runs from its start.
// Prints one JSON line with the seconds of every run. Every key lives under BENCH_PREFIX and is removed
// (obliterate) before exiting; ocean-bench deletes the whole prefix afterwards too.
import { readFileSync } from 'node:fs';
import { Queue, Worker } from 'bullmq';
import IORedis from 'ioredis';

const setting = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};
const redisUrl = setting('BENCH_REDIS_URL', 'redis://127.0.0.1:6379/');
const prefix = setting('BENCH_PREFIX');
const jobs = Number(setting('BENCH_JOBS', '5000'));
const concurrency = Number(setting('BENCH_CONCURRENCY', '50'));
const timeoutMs = Number(setting('BENCH_TIMEOUT_MS', '60000'));
const runs = Number(setting('BENCH_RUNS', '1'));
const version = (pkg) =>
  JSON.parse(readFileSync(new URL(`./node_modules/${pkg}/package.json`, import.meta.url))).version;

const host = new URL(redisUrl).hostname;
if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(host)) {
  throw new Error(`Redis must be on 127.0.0.1, got ${host}`);
}

// BullMQ requires maxRetriesPerRequest: null on connections a Worker blocks on.
const connection = new IORedis(redisUrl, { maxRetriesPerRequest: null });
const payloads = () =>
  Array.from({ length: jobs }, (_, n) => ({
    name: 'sync',
    data: { account_id: n + 1, trigger: 'schedule', requested_at: new Date().toISOString() },
  }));

/** A Worker on `name` and a promise that settles when `jobs` jobs completed (or any failed, or time ran out). */
function startWorker(name) {
  let completed = 0;
  let timer;
  let worker;
  const done = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${name}: ${completed} of ${jobs} done after ${timeoutMs} ms`)), timeoutMs);
    worker = new Worker(name, async () => {}, { connection, prefix, concurrency });
    worker.on('completed', () => {
      completed += 1;
      if (completed === jobs) resolve();
    });
    worker.on('failed', (_, err) => reject(new Error(`${name}: a job failed: ${err?.message}`)));
  });
  done.finally(() => clearTimeout(timer)).catch(() => {});
  return { worker, done };
}

const queues = [];
const workers = [];
const result = { push_secs: [], live_secs: [], drain_secs: [] };
try {
  for (let run = 0; run < runs; run += 1) {
    const live = new Queue(`live-${run}`, { connection, prefix });
    queues.push(live);
    const liveWorker = startWorker(`live-${run}`);
    workers.push(liveWorker.worker);
    await liveWorker.worker.waitUntilReady();
    const liveStart = performance.now();
    await live.addBulk(payloads());
    result.push_secs.push((performance.now() - liveStart) / 1000);
    await liveWorker.done;
    result.live_secs.push((performance.now() - liveStart) / 1000);
    await liveWorker.worker.close();

    const drain = new Queue(`drain-${run}`, { connection, prefix });
    queues.push(drain);
    await drain.addBulk(payloads());
    const drainStart = performance.now();
    const drainWorker = startWorker(`drain-${run}`);
    workers.push(drainWorker.worker);
    await drainWorker.done;
    result.drain_secs.push((performance.now() - drainStart) / 1000);
    await drainWorker.worker.close();
  }
  console.log(JSON.stringify({ bullmq_version: version('bullmq'), ioredis_version: version('ioredis'), ...result }));
} finally {
  await Promise.all(workers.map((w) => w.close(true)));
  for (const queue of queues) {
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
  }
  await connection.quit();
}
