#!/usr/bin/env node
// physcnn against ONNX Runtime (onnxruntime-node, tools/onnxruntime) on the same W1-W5 models,
// in one run: each workload's zoo model is exported with `physcnn export --untrained`, then
// inference throughput at batch 32 and 128 and batch-1 latency are measured by `physcnn bench
// --infer-only` and by ORT with the same procedure (3 warm-up runs, 5 repetitions of at least
// --min-time seconds, medians). Both use 2 threads (ORT: intraOpNumThreads 2, interOpNumThreads
// 1, graph optimisations on). Prints a Markdown table with the ratios physcnn / ORT.
// Usage: node bench/onnxruntime.js [--physcnn build/src/physcnn] [--workloads w1,...]
//        [--min-time 0.25] [--reps 5]   (run `npm ci --ignore-scripts` in tools/onnxruntime first)
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.join(__dirname, '..');
const ort = require(path.join(root, 'tools/onnxruntime/node_modules/onnxruntime-node'));

const args = { physcnn: path.join(root, 'build/src/physcnn'), workloads: 'w1,w2,w3,w4,w5',
  'min-time': '0.25', reps: '5', threads: '2' };
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const THREADS = Number(args.threads);
const INPUTS = { w1: ['lenet5', [1, 28, 28]], w2: ['fmnist_bn', [1, 28, 28]],
  w3: ['ising_cnn', [1, 32, 32]], w4: ['unet_small', [1, 64, 64]], w5: ['tinyvgg', [3, 64, 64]] };

function median(v) { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; }

// Seconds per call: 3 warm-up calls, then reps repetitions of enough calls to last minTime.
async function timeCalls(fn, reps, minTime) {
  for (let i = 0; i < 3; ++i) await fn();
  let t0 = process.hrtime.bigint(); await fn();
  const once = Number(process.hrtime.bigint() - t0) / 1e9;
  const calls = Math.max(1, Math.ceil(minTime / Math.max(once, 1e-6)));
  const per = [];
  for (let r = 0; r < reps; ++r) {
    t0 = process.hrtime.bigint();
    for (let c = 0; c < calls; ++c) await fn();
    per.push(Number(process.hrtime.bigint() - t0) / 1e9 / calls);
  }
  return median(per);
}

function physcnnFigures(w, batch, tmp) {
  const json = path.join(tmp, `${w}_${batch}.json`);
  execFileSync(args.physcnn, ['--threads', String(THREADS), 'bench', '--workloads', w, '--infer-only',
    '--infer-batch', String(batch), '--reps', args.reps, '--min-time', args['min-time'], '--json', json],
  { stdio: ['ignore', 'ignore', 'inherit'] });
  const r = JSON.parse(fs.readFileSync(json, 'utf8')).workloads[0];
  return { imagesPerS: r.infer.images_per_s.median, latencyMs: r.latency_ms.median };
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'physcnn-ort-'));
  const rows = [];
  for (const w of args.workloads.split(',')) {
    const [model, shape] = INPUTS[w];
    const file = path.join(tmp, `${w}.onnx`);
    execFileSync(args.physcnn, ['export', '--model', model, '--untrained', '--onnx', file, '--quiet']);
    const session = await ort.InferenceSession.create(file, { intraOpNumThreads: THREADS,
      interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
    const row = { w, model };
    for (const batch of [32, 128, 1]) {
      const n = batch * shape.reduce((a, b) => a * b, 1);
      const x = new Float32Array(n);
      for (let i = 0; i < n; ++i) x[i] = Math.random() * 2 - 1;
      const feeds = { input: new ort.Tensor('float32', x, [batch, ...shape]) };
      const s = await timeCalls(() => session.run(feeds), Number(args.reps), Number(args['min-time']));
      if (batch === 1) {
        row.ortLat = s * 1e3;
      } else {
        row[`ort${batch}`] = batch / s;
        // physcnn bench measures the batch and the batch-1 latency in one call.
        const p = physcnnFigures(w, batch, tmp);
        row[`p${batch}`] = p.imagesPerS;
        if (batch === 32) row.pLat = p.latencyMs;
      }
      process.stderr.write(`${w} batch ${batch} done\n`);
    }
    rows.push(row);
  }
  const f = (v, d = 0) => v.toFixed(d);
  console.log(`physcnn vs ONNX Runtime ${ort.env.versions.common}, ${THREADS} threads each, ` +
    `medians of ${args.reps} repetitions (${os.cpus()[0].model}, ${os.cpus().length} cores, ` +
    `load average ${os.loadavg()[0].toFixed(1)} at the end)\n`);
  console.log('| workload | img/s b32 physcnn | ORT | ratio | img/s b128 physcnn | ORT | ratio | ' +
    'latency b1 ms physcnn | ORT | ratio (ORT/physcnn) |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.w} ${r.model} | ${f(r.p32)} | ${f(r.ort32)} | ${f(r.p32 / r.ort32, 2)} | ` +
      `${f(r.p128)} | ${f(r.ort128)} | ${f(r.p128 / r.ort128, 2)} | ${f(r.pLat, 3)} | ` +
      `${f(r.ortLat, 3)} | ${f(r.ortLat / r.pLat, 2)} |`);
  }
  console.log('\nratio > 1: physcnn is faster (throughput physcnn/ORT; latency ORT/physcnn).');
  fs.rmSync(tmp, { recursive: true, force: true });
}

main().catch((e) => { console.error(e); process.exit(1); });
